// Wide tables scroll sideways on their own on narrow screens (style.css). A scrolling box must be
// reachable by keyboard and named (WCAG 2.1.1; axe's "scrollable-region-focusable"), so each
// table in <main> is wrapped once in <div class="table-scroll" tabindex="0" role="region"
// aria-label="...">, named after its caption or the nearest heading before it. Runs on load and
// after each in-place navigation of the player ("encore:page").
(function () {
  "use strict";

  function nameFor(table) {
    if (table.caption && table.caption.textContent.trim()) return table.caption.textContent.trim();
    var label = table.getAttribute("aria-label");
    if (label) return label;
    for (var node = table; node && node.tagName !== "MAIN"; node = node.parentElement) {
      for (var sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
        var heading = /^H[1-6]$/.test(sibling.tagName) ? sibling : sibling.querySelector("h1,h2,h3,h4,h5,h6");
        if (heading && heading.textContent.trim()) return heading.textContent.trim();
      }
    }
    return document.title;
  }

  function wrapTables() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.parentElement.classList.contains("table-scroll")) return;
      var box = document.createElement("div");
      box.className = "table-scroll";
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", nameFor(table));
      table.parentElement.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  document.addEventListener("DOMContentLoaded", wrapTables);
  document.addEventListener("encore:page", wrapTables);
})();
