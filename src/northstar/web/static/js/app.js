// Northstar front-end glue. No inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  // htmx requests that change state carry the session's CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (evt) {
    if (token) { evt.detail.headers["X-CSRF-Token"] = token; }
  });
  // Forms that need a confirmation say so with data-confirm.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { evt.preventDefault(); }
  });
  // Long work: buttons with data-busy show a status while the page works.
  document.addEventListener("submit", function (evt) {
    var button = evt.target.querySelector && evt.target.querySelector("[data-busy]");
    if (button) { button.disabled = true; button.textContent = button.getAttribute("data-busy"); }
  });
})();
