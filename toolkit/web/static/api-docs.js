// The API documentation page (/api/docs): Swagger UI, vendored beside this file, over the
// app's own OpenAPI description. An external file: the content security policy forbids
// inline scripts. No validator badge (it would fetch from the internet).
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: false,
    tryItOutEnabled: false,
    defaultModelsExpandDepth: 0,
    persistAuthorization: false
  });
});
