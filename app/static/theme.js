// The colour theme: "light", "dark" or "auto" (follow the device's prefers-color-scheme),
// remembered in localStorage. Loaded in <head>, not deferred, so <html data-theme> is set before
// the first paint (no flash of the wrong theme); style.css holds both palettes.
(function () {
  "use strict";
  var KEY = "encore-theme";
  var root = document.documentElement;

  function stored() {
    try { return localStorage.getItem(KEY) || "auto"; } catch (e) { return "auto"; }
  }

  function apply(choice) {
    if (choice === "light" || choice === "dark") root.setAttribute("data-theme", choice);
    else root.removeAttribute("data-theme");
  }

  apply(stored());

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("theme-choice");
    if (select) {
      select.value = stored();
      select.addEventListener("change", function () {
        try {
          if (select.value === "auto") localStorage.removeItem(KEY);
          else localStorage.setItem(KEY, select.value);
        } catch (e) { /* storage refused: the choice lasts for this page only */ }
        apply(select.value);
      });
    }
    // The player swaps <main> in place, so the footer's language form says where to come back
    // to at the moment it is sent, not when the page was first loaded.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.classList && form.classList.contains("language-picker")) {
        form.elements.next.value = location.pathname + location.search;
      }
    });
  });
})();
