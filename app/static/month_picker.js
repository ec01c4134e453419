// The books' month picker: choosing a month opens it (the form also works without script,
// through GET /transparency?period=...).
(function () {
  "use strict";
  var select = document.querySelector("select[data-autosubmit]");
  if (!select) return;
  select.addEventListener("change", function () { select.form.requestSubmit(); });
})();
