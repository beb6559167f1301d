// The Udfyld page: move focus to the summary of problems when the page shows one.
// Everything else works without this script (htmx does the draft saving and the rows).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("fejloversigt");
  if (summary && !document.querySelector("[autofocus]")) {
    summary.focus();
  }
});
