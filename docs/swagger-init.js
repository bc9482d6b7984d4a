/*
 * Starts Swagger UI on the /docs page with the document at openapi.json
 * (relative to the page, so /openapi.json). A separate file, not an inline
 * script, so the page's Content-Security-Policy can say script-src 'self'.
 * Without Swagger UI (swagger-ui-bundle.js not installed), it shows the
 * page's link to the document instead.
 */
window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  if (typeof SwaggerUIBundle === "undefined") {
    document.getElementById("docs-fallback").hidden = false;
    return;
  }
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
    tryItOutEnabled: false
  });
});
