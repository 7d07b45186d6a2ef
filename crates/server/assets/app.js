// needlepath: small enhancements only. Every page works without this file.
// - A check-in symptom's severity and trend are shown once its box is ticked (all are shown
//   without script).
// - Buttons with data-confirm ask before acting.
// - An error summary takes the focus, so keyboard and screen-reader users hear it first.
// - Pages marked data-refresh (the staff queue) reload their main content every minute while
//   nobody is typing in them.
(function () {
  "use strict";

  function symptomDetails() {
    document.querySelectorAll("[data-symptom]").forEach(function (row) {
      var box = row.querySelector("input[type=checkbox]");
      var details = row.querySelector("[data-symptom-details]");
      if (!box || !details) return;
      var sync = function () { details.hidden = !box.checked; };
      box.addEventListener("change", sync);
      sync();
    });
  }

  // Photo comparison (issue 15): the overlay of the first photo on the latest, with its
  // opacity on a slider. Without script the two stand side by side.
  function overlays() {
    document.querySelectorAll("[data-compare]").forEach(function (section) {
      var overlay = section.querySelector("[data-overlay]");
      var slider = section.querySelector("[data-opacity]");
      var top = section.querySelector(".overlay-top");
      if (!overlay || !slider || !top) return;
      overlay.hidden = false;
      var sync = function () { top.style.opacity = String(slider.value / 100); };
      slider.addEventListener("input", sync);
      sync();
    });
  }

  function confirmations() {
    document.addEventListener("submit", function (ev) {
      var button = ev.submitter;
      var message = (button && button.getAttribute("data-confirm")) || ev.target.getAttribute("data-confirm");
      if (message && !window.confirm(message)) ev.preventDefault();
    });
  }

  function focusErrors() {
    var summary = document.querySelector(".error-summary, [data-focus]");
    if (summary) summary.focus();
  }

  function refresh() {
    var main = document.querySelector("main[data-refresh]");
    if (!main || !window.fetch) return;
    var seconds = parseInt(main.getAttribute("data-refresh"), 10) || 60;
    setInterval(function () {
      var active = document.activeElement;
      if (active && active.closest("form") && active.matches("input, textarea, select")) return;
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var next = new DOMParser().parseFromString(html, "text/html").querySelector("main");
          if (next) main.innerHTML = next.innerHTML;
        })
        .catch(function () {});
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    symptomDetails();
    overlays();
    confirmations();
    focusErrors();
    refresh();
  });
})();
