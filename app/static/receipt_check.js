// Check a vote receipt against the published list. The receipt is hashed in the browser: the
// code itself never leaves the voter's machine.
(function () {
  "use strict";
  var form = document.getElementById("check-receipt");
  if (!form) return;
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var code = document.getElementById("receipt-input").value.trim();
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
    var hex = Array.from(new Uint8Array(digest)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    var row = document.querySelector('tr[data-hash="' + hex + '"]');
    document.querySelectorAll("tr.mine").forEach(function (r) { r.classList.remove("mine"); });
    if (row) { row.classList.add("mine"); row.scrollIntoView({block: "center"}); }
    // The sentences come from the page (data-counted, data-missing), in its language.
    var result = document.getElementById("receipt-result");
    result.textContent = row
      ? (result.dataset.counted || "Counted as {choice}.").replace("{choice}", row.cells[1].textContent)
      : result.dataset.missing || "Not in the list (a receipt replaced by a later vote is not counted).";
  });
})();
