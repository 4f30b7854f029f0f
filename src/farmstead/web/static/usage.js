// Farmstead web monitor: the usage chart. Worker-hours per period, one stacked series per queue, fleet,
// job or user, drawn with Chart.js (served from this package: static/vendor, copied from npm by
// `make vendor`). The table under the chart has the same figures, so without the script (or without the
// library) nothing is lost. Written for Farmstead (Apache-2.0).
"use strict";

(function () {
  var canvas = document.getElementById("usage-chart");
  var data = document.getElementById("usage-data");
  if (!canvas || !data || typeof window.Chart !== "function") return;
  var parsed = JSON.parse(data.textContent);
  var style = getComputedStyle(document.documentElement);
  var colour = function (name) { return style.getPropertyValue(name).trim(); };
  // Distinct hues that keep apart in both themes.
  var palette = ["#1a64b0", "#2a7a3b", "#b8352a", "#8c5a10", "#6a3fb0", "#0f7a7a", "#a0366e", "#5f6b6c"];
  window.Chart.defaults.color = colour("--fg");
  window.Chart.defaults.borderColor = colour("--line");
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: parsed.labels,
      datasets: parsed.series.map(function (series, i) {
        return {label: series.name, data: series.hours, backgroundColor: palette[i % palette.length]};
      })
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: {x: {stacked: true}, y: {stacked: true, title: {display: true, text: "worker-hours"}}},
      plugins: {legend: {position: "bottom"}}
    }
  });
})();
