// skema's own small script (no inline scripts: the content security policy forbids them).
// Pages work without it; it only adds conveniences.
document.addEventListener("htmx:responseError", function (event) {
  var box = document.getElementById("htmx-fejl");
  if (box) {
    box.textContent = "Noget gik galt (" + event.detail.xhr.status + "). Prøv igen.";
    box.hidden = false;
  }
});
