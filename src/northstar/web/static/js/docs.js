// Starts Swagger UI from the local bundle (no CDN, no inline script).
window.addEventListener("DOMContentLoaded", function () {
  var node = document.getElementById("swagger-ui");
  if (!node || !window.SwaggerUIBundle) { return; }
  window.SwaggerUIBundle({ url: node.getAttribute("data-spec-url"), dom_id: "#swagger-ui", deepLinking: true });
});
