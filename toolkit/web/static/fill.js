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
