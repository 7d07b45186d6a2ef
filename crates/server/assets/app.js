// needlepath: small enhancements only. Every page works without this file.
// - A check-in symptom's severity and trend are shown once its box is ticked (all are shown
//   without script).
// - Buttons with data-confirm ask before acting.
// - An error summary takes the focus, so keyboard and screen-reader users hear it first.
// - Pages marked data-refresh (the staff queue) reload their main content every minute while
//   nobody is typing in them.
// - A photo form marked data-guided gets the guided camera where the browser has one.
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

  // Guided capture (issue 15): the view's first (baseline) photo laid faintly over the live
  // camera, and the frame taken put into the form's own file input, so the plain form sends it
  // unchanged. The words are in the form's <template data-guided-ui> (from the locale files), the
  // guides on the form (data-guide-<view>) or in the patient's own photo list (data-guides), read
  // only when the camera opens. Without a camera, its permission or DataTransfer, nothing changes.
  function guidedCapture() {
    var media = navigator.mediaDevices;
    if (!media || typeof media.getUserMedia !== "function" || !canFillFileInputs()) return;
    document.querySelectorAll("form[data-guided]").forEach(function (form) {
      var input = document.getElementById(form.getAttribute("data-guided"));
      var tpl = form.querySelector("template[data-guided-ui]");
      if (input && tpl && tpl.content) guidedCamera(media, form, input, tpl);
    });
  }

  function canFillFileInputs() {
    try { return typeof File === "function" && !!new DataTransfer().items; } catch (e) { return false; }
  }

  function guidedCamera(media, form, input, tpl) {
    var say = function (what) { return tpl.getAttribute("data-say-" + what) || ""; };
    tpl.after(tpl.content.cloneNode(true));
    var part = function (name) { return form.querySelector("[data-guided-" + name + "]"); };
    var open = part("open"), panel = part("panel"), video = part("video"), guide = part("guide");
    var opacity = part("opacity"), take = part("take"), cancel = part("cancel");
    var status = part("status"), shot = part("shot");
    var viewSelect = document.getElementById(form.getAttribute("data-guide-view-from") || "");
    var listUrl = form.getAttribute("data-guides");
    var listed = null;
    var stream = null;

    var view = function () { return viewSelect ? viewSelect.value : form.getAttribute("data-guide-view") || ""; };
    // The image URL of the view's guide, or null: on the form, or the earliest baseline of the
    // view in the patient's own list (newest first), fetched once.
    function guideFor(v) {
      var given = form.getAttribute("data-guide-" + v);
      if (given || !listUrl || !window.fetch) return Promise.resolve(given);
      if (!listed) {
        listed = fetch(listUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { photos: [] }; })
          .then(function (body) { return body.photos || []; })
          .catch(function () { return []; });
      }
      return listed.then(function (photos) {
        var baselines = photos.filter(function (p) { return p.view === v && p.stage === "baseline"; });
        return baselines.length ? baselines[baselines.length - 1].image_url : null;
      });
    }
    function showGuide() {
      return guideFor(view()).then(function (url) {
        if (url) guide.src = url; else guide.removeAttribute("src");
        guide.hidden = !url;
        if (stream) status.textContent = say(url ? "ready" : "no-guide");
      });
    }
    function close(focusTo) {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.srcObject = null;
      panel.hidden = true;
      open.setAttribute("aria-expanded", "false");
      if (focusTo) focusTo.focus();
    }
    var fade = function () { guide.style.opacity = String(opacity.value / 100); };
    opacity.addEventListener("input", fade);
    fade();
    if (viewSelect) viewSelect.addEventListener("change", function () { if (stream) showGuide(); });

    open.addEventListener("click", function () {
      if (stream) { take.focus(); return; }
      status.textContent = say("starting");
      var facing = input.getAttribute("capture") === "user" ? "user" : "environment";
      media.getUserMedia({ video: { facingMode: { ideal: facing } }, audio: false }).then(function (s) {
        stream = s;
        video.muted = true;
        video.srcObject = s;
        panel.hidden = false;
        open.setAttribute("aria-expanded", "true");
        take.focus();
        video.play().catch(function () {});
        return showGuide();
      }).catch(function () {
        close();
        status.textContent = say("failed");
      });
    });
    cancel.addEventListener("click", function () { close(open); status.textContent = ""; });
    panel.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { close(open); status.textContent = ""; }
    });
    window.addEventListener("pagehide", function () { close(); });

    take.addEventListener("click", function () {
      if (!stream || !video.videoWidth) return;
      shot.width = video.videoWidth;
      shot.height = video.videoHeight;
      shot.getContext("2d").drawImage(video, 0, 0, shot.width, shot.height);
      shot.toBlob(function (blob) {
        if (!blob) { status.textContent = say("failed"); return; }
        var files = new DataTransfer();
        files.items.add(new File([blob], "guided-" + (view() || "photo") + ".jpg", { type: "image/jpeg" }));
        input.files = files.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        shot.hidden = false;
        var send = form.querySelector("[type=submit]");
        close(send || open);
        status.textContent = say("taken");
      }, "image/jpeg", 0.92);
    });
    // A file chosen by hand replaces the frame taken: its preview goes.
    input.addEventListener("change", function (ev) {
      if (ev.isTrusted) { shot.hidden = true; status.textContent = ""; }
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
    guidedCapture();
    confirmations();
    focusErrors();
    refresh();
  });
})();
