// The /samtykker pages: after "Vis CPR-nummer" (htmx) the shown number gets the focus,
// so a keyboard or screen-reader user lands on it. The pages work without this script.
document.addEventListener("htmx:afterSwap", function (event) {
  var shown = event.detail.target.querySelector(".cpr-vist");
  if (shown) { shown.focus(); }
});
