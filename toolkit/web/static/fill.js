// The Udfyld page. Everything works without this script (htmx saves the draft and adds
// rows; without JavaScript the buttons post the form). It only:
// - moves focus to the summary of problems when the page shows one;
// - says so when a draft could not be saved because the server could not be reached.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("fejloversigt");
  if (summary && !document.querySelector("[autofocus]")) {
    summary.focus();
  }
});
document.addEventListener("htmx:sendError", function () {
  var box = document.getElementById("htmx-fejl");
  if (box) {
    box.textContent = "Der er ingen forbindelse til skema, så dine seneste svar er ikke " +
      "gemt. Lad siden stå åben, og prøv igen om lidt (tryk Gem kladde).";
    box.hidden = false;
  }
});
document.addEventListener("htmx:afterRequest", function (event) {
  var box = document.getElementById("htmx-fejl");
  if (box && event.detail.successful) {
    box.hidden = true;
  }
});
// Answers typed since the last saved draft are sent once more when the page is closed
// or hidden (a beacon: the same post as the draft autosave, with the form's CSRF field).
(function () {
  var dirty = false;
  document.addEventListener("input", function (event) {
    if (event.target.form && event.target.form.id === "skema") { dirty = true; }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var path = event.detail.pathInfo && event.detail.pathInfo.requestPath;
    if (event.detail.successful && path && /\/kladde$/.test(path)) { dirty = false; }
  });
  function flush() {
    var form = document.getElementById("skema");
    if (!dirty || !form || !navigator.sendBeacon) { return; }
    if (navigator.sendBeacon(form.getAttribute("action") + "/kladde", new FormData(form))) {
      dirty = false;
    }
  }
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); }
  });
})();
