/* Polls the run status JSON while a computation works; reloads the page when it ends. */
(function () {
  "use strict";
  function init() {
    var box = document.getElementById("run-status");
    if (!box || box.dataset.active !== "1") { return; }
    var label = box.querySelector(".run-status-label");
    var bar = box.querySelector("progress");
    var pct = box.querySelector(".run-progress");
    var step = box.querySelector(".run-step");
    function poll() {
      fetch(box.dataset.statusUrl, { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (label) { label.textContent = s.status_label; }
          if (bar) { bar.value = s.progress; bar.textContent = s.progress + " %"; }
          if (pct) { pct.textContent = s.progress; }
          if (step) { step.textContent = s.step; }
          if (s.done) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
