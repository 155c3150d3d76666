// The Contact Center's page script: htmx requests carry this session's CSRF token, and the
// message box empties once a message is sent. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrf();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    if (form && form.matches && form.matches("form.send") && event.detail.successful) {
      form.reset();
      var box = form.querySelector("textarea");
      if (box) box.focus();
    }
  });
})();
