// Farmstead web monitor: the frame grid. A job's tasks as cells coloured by status, one canvas per step,
// drawn from one letter per task (the server's task map, polled with an ETag so an idle job costs a 304).
// Pointer: hover shows the frame, its status, worker and run time; click opens the task; Ctrl/Cmd-click
// picks a cell, Shift-click a range. Keyboard: each step's grid is one tab stop; arrows move, Home/End go
// to the row's ends (with Ctrl, the grid's), PageUp/PageDown by ten rows, Enter opens the task, Space
// picks it, Shift+arrows pick a range, Escape clears the picks. Picked tasks go to the toolbar's form.
// Written for Farmstead (Apache-2.0); no third-party code.
"use strict";

(function () {
  var root = document.querySelector("[data-grid]");
  if (!root) return;
  var POLL_MS = 2500;
  var MAX_PICKED = Number(root.dataset.maxPicked || 1000);
  var jobBase = root.dataset.jobBase;
  var form = document.getElementById("cell-selection");
  var statusOf = {};
  var colours = {};
  var steps = [];        // {stepId, name, total, codes, counts, canvas, ctx, cols, pitch, size, cursor}
  var picked = new Map(); // taskId -> [stepIndex, cellIndex]
  var anchor = null;      // [stepIndex, cellIndex] a Shift range starts from
  var etag = null;
  var details = new Map(); // taskId -> {at, data}
  var tip = document.createElement("div");
  tip.className = "grid-tip";
  tip.hidden = true;
  tip.setAttribute("role", "tooltip");
  tip.id = "grid-tip";
  var say = document.createElement("p");
  say.className = "visually-hidden";
  say.setAttribute("aria-live", "polite");
  var info = document.createElement("p");
  info.className = "grid-info hint";
  var blocks = document.createElement("div");

  function taskId(step, index) { return "task-" + step.stepId.split("-")[1] + "-" + index; }

  function readColours() {
    var style = getComputedStyle(document.documentElement);
    var pick = function (name) { return style.getPropertyValue(name).trim(); };
    colours = {
      SUCCEEDED: pick("--ok"), RUNNING: pick("--run"), STARTING: pick("--run"), SCHEDULED: pick("--run"),
      ASSIGNED: pick("--run"), INTERRUPTING: pick("--susp"), FAILED: pick("--fail"), CANCELED: pick("--cancel"),
      SUSPENDED: pick("--susp"), NOT_COMPATIBLE: pick("--fail"), READY: pick("--wait"), PENDING: pick("--cell-empty"),
      UNKNOWN: pick("--cell-empty"), MARK: pick("--fg"), FOCUS: pick("--focus"), BG: pick("--bg")
    };
  }

  function pitchFor(total) {
    if (total <= 500) return 16;
    if (total <= 5000) return 10;
    if (total <= 25000) return 6;
    return 4;
  }

  function layout(step) {
    var width = Math.max(120, blocks.clientWidth - 4);
    step.pitch = pitchFor(step.total);
    step.size = step.pitch >= 6 ? step.pitch - 1 : step.pitch;
    step.cols = Math.max(1, Math.floor(width / step.pitch));
    var rows = Math.max(1, Math.ceil(step.total / step.cols));
    var ratio = window.devicePixelRatio || 1;
    step.canvas.style.width = step.cols * step.pitch + "px";
    step.canvas.style.height = rows * step.pitch + "px";
    step.canvas.width = Math.ceil(step.cols * step.pitch * ratio);
    step.canvas.height = Math.ceil(rows * step.pitch * ratio);
    step.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  }

  function statusAt(step, index) { return statusOf[step.codes.charAt(index)] || "UNKNOWN"; }

  function drawCell(step, index) {
    var x = (index % step.cols) * step.pitch;
    var y = Math.floor(index / step.cols) * step.pitch;
    var ctx = step.ctx;
    ctx.fillStyle = colours.BG;
    ctx.fillRect(x, y, step.pitch, step.pitch);
    ctx.fillStyle = colours[statusAt(step, index)] || colours.UNKNOWN;
    ctx.fillRect(x, y, step.size, step.size);
    if (picked.has(taskId(step, index))) {
      var inset = Math.max(1, Math.floor(step.size / 4));
      ctx.fillStyle = colours.MARK;
      ctx.fillRect(x + inset, y + inset, Math.max(1, step.size - 2 * inset), Math.max(1, step.size - 2 * inset));
    }
    if (step.cursor === index && document.activeElement === step.canvas) {
      ctx.strokeStyle = colours.FOCUS;
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, Math.max(2, step.pitch - 2), Math.max(2, step.pitch - 2));
    }
  }

  function drawAll(step) {
    var ctx = step.ctx;
    ctx.fillStyle = colours.BG;
    ctx.fillRect(0, 0, step.canvas.width, step.canvas.height);
    var current = null;
    for (var i = 0; i < step.total; i++) {  // one fillStyle change per run of one status
      var colour = colours[statusAt(step, i)] || colours.UNKNOWN;
      if (colour !== current) { ctx.fillStyle = colour; current = colour; }
      ctx.fillRect((i % step.cols) * step.pitch, Math.floor(i / step.cols) * step.pitch, step.size, step.size);
    }
    picked.forEach(function (at) { if (steps[at[0]] === step) drawCell(step, at[1]); });
    if (step.cursor !== null) drawCell(step, step.cursor);
  }

  function legend(step) {
    var parts = [];
    Object.keys(step.counts).sort().forEach(function (status) {
      parts.push('<li><span class="swatch s-' + status.toLowerCase() + '"></span>' + step.counts[status] + " " +
                 status.toLowerCase().replace("_", " ") + "</li>");
    });
    return parts.join("");
  }

  function build(data) {
    statusOf = {};
    Object.keys(data.codes).forEach(function (status) { statusOf[data.codes[status]] = status; });
    var cursors = {};
    steps.forEach(function (step) { cursors[step.stepId] = step.cursor; });
    blocks.innerHTML = "";
    steps = data.steps.map(function (item, position) {
      var block = document.createElement("div");
      block.className = "grid-step";
      var heading = document.createElement("h3");
      heading.textContent = item.name + " · " + item.total + " task" + (item.total === 1 ? "" : "s");
      var list = document.createElement("ul");
      list.className = "grid-legend";
      list.innerHTML = legend(item);
      var scroll = document.createElement("div");
      scroll.className = "grid-scroll";
      var canvas = document.createElement("canvas");
      canvas.tabIndex = 0;
      canvas.setAttribute("role", "application");
      canvas.setAttribute("aria-roledescription", "frame grid");
      canvas.setAttribute("aria-label", "Tasks of step " + item.name + ": arrow keys move, Enter opens, Space picks");
      canvas.setAttribute("aria-describedby", "grid-tip");
      canvas.dataset.step = String(position);
      scroll.appendChild(canvas);
      block.appendChild(heading);
      block.appendChild(list);
      block.appendChild(scroll);
      blocks.appendChild(block);
      var step = {stepId: item.stepId, name: item.name, total: item.total, codes: item.codes, counts: item.counts,
                  canvas: canvas, ctx: canvas.getContext("2d"), cursor: item.stepId in cursors ? cursors[item.stepId] : null};
      layout(step);
      bindCanvas(step);
      return step;
    });
    steps.forEach(drawAll);
  }

  function update(data) {
    var same = data.steps.length === steps.length && data.steps.every(function (item, i) {
      return steps[i].stepId === item.stepId && steps[i].total === item.total;
    });
    if (!same) { build(data); return; }
    data.steps.forEach(function (item, i) {
      var step = steps[i];
      var old = step.codes;
      step.codes = item.codes;
      step.counts = item.counts;
      step.canvas.parentNode.previousSibling.innerHTML = legend(item);
      var changed = 0;
      for (var k = 0; k < step.total && changed <= 5000; k++) if (old.charCodeAt(k) !== item.codes.charCodeAt(k)) changed++;
      if (changed > 5000) { drawAll(step); return; }
      for (var j = 0; j < step.total; j++) if (old.charCodeAt(j) !== item.codes.charCodeAt(j)) drawCell(step, j);
    });
  }

  function note(data) {
    var unknown = data.steps.reduce(function (n, s) { return n + (s.codes.split("?").length - 1); }, 0);
    var total = data.steps.reduce(function (n, s) { return n + s.total; }, 0);
    if (data.error) info.textContent = "The grid could not be brought up to date: " + data.error;
    else if (unknown) info.textContent = "Reading this job's tasks: " + (total - unknown) + " of " + total + " so far.";
    else info.textContent = picked.size ? "" : "Hover or focus a cell for its frame; Ctrl-click or Space picks tasks.";
  }

  function fetchGrid() {
    if (document.hidden) return;
    var headers = {"X-Requested-With": "fetch"};
    if (etag) headers["If-None-Match"] = etag;
    fetch(jobBase + "/grid", {headers: headers, credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        if (!response.ok) return null;  // 304: nothing moved
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (data) {
        if (!data) return;
        if (!steps.length) build(data); else update(data);
        note(data);
      })
      .catch(function () { /* try again at the next poll */ });
  }

  // --- picking ------------------------------------------------------------------------------------
  function syncForm() {
    if (!form) return;
    form.querySelectorAll("input[name=item]").forEach(function (input) { input.remove(); });
    picked.forEach(function (_, id) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "item"; input.value = id;
      form.appendChild(input);
    });
    form.hidden = picked.size === 0;
    var count = form.querySelector("[data-selection-count]");
    if (count) count.textContent = picked.size + " task" + (picked.size === 1 ? "" : "s") + " picked:";
  }

  function toggle(step, index, on) {
    var id = taskId(step, index);
    var want = on === undefined ? !picked.has(id) : on;
    if (want && !picked.has(id)) {
      if (picked.size >= MAX_PICKED) { info.textContent = "At most " + MAX_PICKED + " tasks can be picked at once."; return; }
      picked.set(id, [steps.indexOf(step), index]);
    } else if (!want) picked.delete(id);
    drawCell(step, index);
  }

  function pickRange(step, from, to) {
    var low = Math.min(from, to), high = Math.max(from, to);
    for (var i = low; i <= high; i++) toggle(step, i, true);
    syncForm();
  }

  function clearPicks() {
    var was = Array.from(picked.values());
    picked.clear();
    was.forEach(function (at) { if (steps[at[0]]) drawCell(steps[at[0]], at[1]); });
    syncForm();
  }

  // --- what a cell is ------------------------------------------------------------------------------
  function describe(step, index, announce, near) {
    var id = taskId(step, index);
    var status = statusAt(step, index);
    var basic = step.name + " task " + index + ": " + status.toLowerCase().replace("_", " ");
    tip.textContent = basic;
    if (announce) say.textContent = basic + (picked.has(id) ? ", picked" : "");
    place(step, index, near);
    var cached = details.get(id);
    if (cached && Date.now() - cached.at < 5000) { show(cached.data, step, index, near); return; }
    clearTimeout(describe.timer);
    describe.timer = setTimeout(function () {
      fetch(jobBase + "/grid/" + step.stepId + "/" + id, {headers: {"X-Requested-With": "fetch"},
                                                        credentials: "same-origin", cache: "no-store"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          details.set(id, {at: Date.now(), data: data});
          if (step.cursor === index || tip.dataset.task === id) show(data, step, index, near);
        })
        .catch(function () {});
    }, 120);
    tip.dataset.task = id;
  }

  function show(data, step, index, near) {
    var text = data.label + " — " + data.status.toLowerCase().replace("_", " ") +
      (data.worker ? " · " + data.worker : "") + (data.runTime ? " · " + data.runTime : "") +
      (data.attempts > 1 ? " · " + data.attempts + " attempts" : "");
    tip.textContent = text;
    if (document.activeElement === step.canvas) say.textContent = text;
    place(step, index, near);
  }

  function place(step, index, near) {
    var box = step.canvas.getBoundingClientRect();
    var host = root.getBoundingClientRect();
    var x = near ? near[0] : box.left + (index % step.cols) * step.pitch;
    var y = near ? near[1] : box.top + Math.floor(index / step.cols) * step.pitch;
    tip.hidden = false;
    tip.style.left = Math.max(0, Math.min(x - host.left + 12, host.width - 260)) + "px";
    tip.style.top = (y - host.top + 16) + "px";
  }

  function cellAt(step, event) {
    var box = step.canvas.getBoundingClientRect();
    var col = Math.floor((event.clientX - box.left) / step.pitch);
    var row = Math.floor((event.clientY - box.top) / step.pitch);
    var index = row * step.cols + col;
    return col >= 0 && col < step.cols && index >= 0 && index < step.total ? index : null;
  }

  function open(step, index) { window.location.href = jobBase + "/steps/" + step.stepId + "/tasks/" + taskId(step, index); }

  function moveTo(step, index, extend) {
    var before = step.cursor;
    step.cursor = Math.max(0, Math.min(step.total - 1, index));
    if (before !== null) drawCell(step, before);
    drawCell(step, step.cursor);
    if (extend) {
      if (!anchor || steps[anchor[0]] !== step) anchor = [steps.indexOf(step), before === null ? step.cursor : before];
      pickRange(step, anchor[1], step.cursor);
    }
    var y = Math.floor(step.cursor / step.cols) * step.pitch;
    var scroll = step.canvas.parentNode;
    if (y < scroll.scrollTop) scroll.scrollTop = y;
    else if (y + step.pitch > scroll.scrollTop + scroll.clientHeight) scroll.scrollTop = y + step.pitch - scroll.clientHeight;
    describe(step, step.cursor, true);
  }

  function bindCanvas(step) {
    var canvas = step.canvas;
    canvas.addEventListener("mousemove", function (event) {
      var index = cellAt(step, event);
      if (index === null) { tip.hidden = true; return; }
      if (tip.dataset.task === taskId(step, index) && !tip.hidden) { place(step, index, [event.clientX, event.clientY]); return; }
      describe(step, index, false, [event.clientX, event.clientY]);
    });
    canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
    canvas.addEventListener("click", function (event) {
      var index = cellAt(step, event);
      if (index === null) return;
      if (event.shiftKey) {
        pickRange(step, anchor && steps[anchor[0]] === step ? anchor[1] : index, index);
      } else if (event.ctrlKey || event.metaKey) {
        toggle(step, index); syncForm(); anchor = [steps.indexOf(step), index];
      } else open(step, index);
    });
    canvas.addEventListener("focus", function () {
      if (step.cursor === null) step.cursor = 0;
      drawCell(step, step.cursor);
      describe(step, step.cursor, true);
    });
    canvas.addEventListener("blur", function () { if (step.cursor !== null) drawCell(step, step.cursor); tip.hidden = true; });
    canvas.addEventListener("keydown", function (event) {
      var at = step.cursor === null ? 0 : step.cursor;
      var rowStart = at - (at % step.cols);
      var moves = {
        ArrowLeft: at - 1, ArrowRight: at + 1, ArrowUp: at - step.cols, ArrowDown: at + step.cols,
        Home: event.ctrlKey ? 0 : rowStart, End: event.ctrlKey ? step.total - 1 : Math.min(step.total - 1, rowStart + step.cols - 1),
        PageUp: at - 10 * step.cols, PageDown: at + 10 * step.cols
      };
      if (event.key in moves) {
        event.preventDefault();
        moveTo(step, moves[event.key], event.shiftKey);
      } else if (event.key === "Enter") {
        event.preventDefault(); open(step, at);
      } else if (event.key === " ") {
        event.preventDefault(); toggle(step, at); syncForm(); anchor = [steps.indexOf(step), at]; describe(step, at, true);
      } else if (event.key === "Escape") {
        clearPicks(); say.textContent = "No tasks picked.";
      }
    });
  }

  root.textContent = "";
  root.appendChild(info);
  root.appendChild(blocks);
  root.appendChild(tip);
  root.appendChild(say);
  if (form) {
    var clear = form.querySelector("[data-clear-selection]");
    if (clear) clear.addEventListener("click", clearPicks);
  }
  readColours();
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { steps.forEach(function (step) { layout(step); drawAll(step); }); }, 150);
  });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
    readColours(); steps.forEach(drawAll);
  });
  fetchGrid();
  setInterval(fetchGrid, POLL_MS);
})();
