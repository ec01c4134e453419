// The "Share" control (sharing/_share.html): copy the link or the embed code to the clipboard;
// where the clipboard API is missing or refused (plain HTTP, an old browser), select the text
// field so Ctrl+C / long-press copies it. Event delegation: pages come and go, this stays.
// Its words come from the status line's data-* attributes (in the page's language).
(function () {
  "use strict";
  if (window.encoreShare) return;
  window.encoreShare = true;

  document.addEventListener("click", async (event) => {
    const button = event.target.closest(".copy-share");
    if (!button) return;
    const field = button.parentElement.querySelector(".share-text");
    const box = button.closest(".share-box");
    const status = box && box.querySelector(".share-status");
    const say = (key, english) => { if (status) status.textContent = status.dataset[key] || english; };
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
      await navigator.clipboard.writeText(field.value);
      say("copied", "Copied.");
    } catch (e) {
      field.focus();
      field.select();
      say("copyHelp", "Press Ctrl+C (or ⌘C) to copy the selected text.");
    }
  });
})();
