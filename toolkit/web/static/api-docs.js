// The API documentation page (/api/docs): Swagger UI, vendored beside this file, over the
// app's own OpenAPI description. An external file: the content security policy forbids
// inline scripts. No validator badge (it would fetch from the internet).
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: false,
    tryItOutEnabled: false,
    defaultModelsExpandDepth: 0,
    persistAuthorization: false
  });
  // What Swagger UI leaves out for keyboard and screen-reader users: a parameter's
  // drop-down gets its parameter's name; a scrolling code sample can take the focus.
  new MutationObserver(function () {
    root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach(
      function (select) {
        select.setAttribute("aria-label", select.closest("tr").dataset.paramName);
      });
    root.querySelectorAll(".highlight-code pre:not([tabindex])").forEach(function (pre) {
      pre.setAttribute("tabindex", "0");
    });
  }).observe(root, {childList: true, subtree: true});
});
