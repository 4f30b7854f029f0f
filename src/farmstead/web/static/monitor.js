// Farmstead web monitor: progressive enhancement only. Every page works without this script
// (forms post, a confirmation page asks, a reload refreshes); with it, pages refresh their live part
// in place, actions are confirmed in a dialog, and a session log follows the worker as it writes.
// Written for this project (Apache-2.0, like the rest of Farmstead); no third-party code.
"use strict";

(function () {
  var POLL_MS = 2000;
  var LOG_MS = 1500;
  // A chatty task can write millions of lines: the page keeps the newest MAX_LOG_LINES and says so (the
  // whole log is a download away), so following it never makes the browser lay out an endless <pre>.
  var MAX_LOG_LINES = 20000;

  function signedOut(response) {
    if (response.status === 401) {
      window.location.href = "/signin?next=" + encodeURIComponent(window.location.pathname + window.location.search);
      return true;
    }
    return false;
  }

  // --- live regions: <div data-live="URL">, replaced when the server's fragment changes -------------
  function keepState(region) {
    var checked = [];
    region.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      checked.push(box.name + "=" + box.value + "|" + (box.dataset.selectAll || ""));
    });
    var active = document.activeElement;
    var focus = active && region.contains(active) ? (active.getAttribute("href") || active.value || null) : null;
    var opened = {};  // folded sections the user opened or closed stay so
    region.querySelectorAll("details[data-keep]").forEach(function (section) {
      opened[section.dataset.keep] = section.open;
    });
    return { checked: checked, focus: focus, opened: opened };
  }

  function restoreState(region, state) {
    region.querySelectorAll("details[data-keep]").forEach(function (section) {
      if (section.dataset.keep in state.opened) section.open = state.opened[section.dataset.keep];
    });
    region.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      box.checked = state.checked.indexOf(box.name + "=" + box.value + "|" + (box.dataset.selectAll || "")) >= 0;
    });
    if (state.focus) {
      var again = Array.prototype.find.call(region.querySelectorAll("a, input, button"), function (el) {
        return (el.getAttribute("href") || el.value) === state.focus;
      });
      if (again) again.focus();
    }
  }

  function poll(region) {
    var url = region.dataset.live;
    var last = region.innerHTML;
    var busy = false;
    var etag = null;
    setInterval(function () {
      if (busy || document.hidden) return;
      busy = true;
      var headers = { "X-Requested-With": "fetch" };
      if (etag) headers["If-None-Match"] = etag;  // the server answers 304 after one cheap read
      fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (signedOut(response) || !response.ok) return null;  // 304 is not ok: nothing changed
          etag = response.headers.get("ETag");
          return response.text();
        })
        .then(function (html) {
          if (html !== null && html !== undefined && html !== last) {
            var state = keepState(region);
            region.innerHTML = html;
            last = region.innerHTML;
            restoreState(region, state);
            region.dispatchEvent(new CustomEvent("farmstead:updated", { bubbles: true }));
          }
        })
        .catch(function () { /* the server restarts or the network blips: try again next time */ })
        .finally(function () { busy = false; });
    }, Number(region.dataset.interval || POLL_MS));
  }

  // --- confirmed actions: forms marked data-confirm ask before they post --------------------------
  function confirmActions(form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      var label = button && button.dataset.label ? button.dataset.label : "Apply this";
      var kind = form.querySelector("input[name=kind]").value;
      var selected = form.querySelectorAll("input[name=item]").length +
        document.querySelectorAll("input[name=item][form='" + form.id + "']:checked").length;
      if (form.id && selected === 0) {
        event.preventDefault();
        window.alert("Select at least one " + kind + " first.");
        return;
      }
      var what = selected + " " + kind + (selected === 1 ? "" : "s");
      // A requeue of one job or step asks what the page wrote for it (what reruns, what stays).
      var question = button && button.dataset.question ? button.dataset.question : label + " " + what + "?";
      if (!window.confirm(question)) {
        event.preventDefault();
        return;
      }
      var flag = form.querySelector("input[name=confirmed]");
      if (!flag) {
        flag = document.createElement("input");
        flag.type = "hidden";
        flag.name = "confirmed";
        form.appendChild(flag);
      }
      flag.value = "1";
    });
  }

  // --- the buttons of "this job / step / task" follow its state as the live part changes ------------
  function followState(region) {
    var state = region.querySelector("[data-applicable]");
    if (!state) return;
    var applicable = state.dataset.applicable.split(" ");
    var questions = JSON.parse(state.dataset.questions || "{}");
    document.querySelectorAll("form[data-applies] [data-action]").forEach(function (control) {
      var action = control.dataset.action;
      control.hidden = applicable.indexOf(action) < 0;
      if (questions[action]) control.dataset.question = questions[action];
    });
  }
  document.addEventListener("farmstead:updated", function (event) { followState(event.target); });

  // --- "select all" boxes in table headers ------------------------------------------------------
  document.addEventListener("change", function (event) {
    var all = event.target.dataset && event.target.dataset.selectAll;
    if (!all) return;
    var table = event.target.closest("table");
    table.querySelectorAll("input[name=item]").forEach(function (box) { box.checked = event.target.checked; });
  });

  // --- session log tail ----------------------------------------------------------------------------
  function tail(pre) {
    var state = document.querySelector("[data-log-state]");
    var ended = pre.dataset.ended === "1";
    var quietAfterEnd = 0;
    var shown = pre.textContent.split("\n").length - 1;
    var trimmed = false;
    function step() {
      if (document.hidden) { setTimeout(step, LOG_MS); return; }
      var url = pre.dataset.logTail + "?token=" + encodeURIComponent(pre.dataset.token || "");
      fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (signedOut(response) || !response.ok) return null;
          return response.json();
        })
        .then(function (data) {
          var more = false;
          if (data) {
            var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
            if (data.lines.length) {
              var node = document.createTextNode(data.lines.join("\n") + "\n");
              node.lineCount = data.lines.length;
              pre.appendChild(node);
              shown += data.lines.length;
              while (shown > MAX_LOG_LINES && pre.firstChild && pre.firstChild !== node) {
                var dropped = pre.firstChild;
                shown -= dropped.lineCount || (dropped.textContent.split("\n").length - 1);
                pre.removeChild(dropped);
                trimmed = true;
              }
              if (trimmed && state) state.textContent = "Showing the newest lines; download the log for all of them.";
              if (atBottom) pre.scrollTop = pre.scrollHeight;
            }
            if (data.next) pre.dataset.token = data.next;
            more = data.lines.length >= 1000;
            ended = data.ended;
            quietAfterEnd = ended && !data.lines.length ? quietAfterEnd + 1 : 0;
          }
          if (ended && quietAfterEnd >= 2) {
            if (state) state.textContent = "The session has ended.";
            return;
          }
          setTimeout(step, more ? 0 : LOG_MS);
        })
        .catch(function () { setTimeout(step, LOG_MS * 2); });
    }
    pre.scrollTop = pre.scrollHeight;
    step();
  }

  // --- output previews: <figure data-preview="URL"> asks which picture to show, or why there is none --
  function preview(figure) {
    fetch(figure.dataset.preview, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        figure.textContent = "";
        if (data.hide) {  // a queue without job attachments: nothing to preview, ever
          figure.remove();
          return;
        }
        if (data.src) {
          var link = document.createElement("a");
          link.href = data.taskUrl;
          var image = document.createElement("img");
          image.src = data.src;
          image.alt = data.label + ": " + data.file;
          link.appendChild(image);
          var caption = document.createElement("figcaption");
          caption.textContent = "Newest output: " + data.label + " · " + data.file;
          figure.appendChild(link);
          figure.appendChild(caption);
        } else {
          var note = document.createElement("figcaption");
          note.className = "hint";
          note.textContent = "No preview: " + data.reason + ".";
          figure.appendChild(note);
        }
      })
      .catch(function () {});
  }

  document.querySelectorAll("[data-live]").forEach(poll);
  document.querySelectorAll("figure[data-preview]").forEach(preview);
  document.querySelectorAll("form[data-confirm]").forEach(confirmActions);
  document.querySelectorAll("pre[data-log-tail]").forEach(tail);
})();
