// The player from the keyboard: shortcuts, their help dialog, and the "Skip to player" link.
//
// Shortcuts (shown in the help dialog, opened with "?" or the player's ? button):
//   Space play/pause · Left/Right seek 5 s · Up/Down volume · n/p next/previous · m mute.
// They are ignored while typing (inputs, text areas, selects, editable text) and with Ctrl,
// Meta or Alt held (browser and system shortcuts; Alt+arrows move entries in the queue). Space
// on a focused button or link keeps pressing that button or link. Keys other than "?" do
// nothing until something is in the queue, so arrows scroll pages as usual until then.
// Uses only the public API (window.EncorePlayer, player.js).
(function () {
  "use strict";
  if (window.encorePlayerKeys) return;
  window.encorePlayerKeys = true;

  const bar = document.getElementById("player");
  const help = document.getElementById("player-help");
  if (!bar || !help) return;

  const VOLUME_STEP = 0.1;
  const SEEK_STEP = 5;

  // Fields that take text: the keys are theirs. (Sliders, checkboxes and buttons are not.)
  const TEXT_INPUTS = /^(text|search|email|password|url|tel|number|date|datetime-local|month|week|time)$/;
  function typing(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable || target.closest("textarea, select")) return true;
    return target.tagName === "INPUT" && TEXT_INPUTS.test(target.type || "text");
  }

  function slider(target) {
    return !!(target && target.tagName === "INPUT" && target.type === "range"); // arrows move it
  }

  function activates(target) {
    // Space already presses these; a shortcut on top would do two things at once.
    return !!(target && target.closest && target.closest("button, a[href], summary, [role=button], [role=link]"));
  }

  function arrow(player, key) {
    if (key === "ArrowLeft") player.seekBy(-SEEK_STEP);
    else if (key === "ArrowRight") player.seekBy(SEEK_STEP);
    else player.volumeBy(key === "ArrowUp" ? VOLUME_STEP : -VOLUME_STEP);
  }

  let opener = null;
  function openHelp() {
    if (help.open) return;
    opener = document.activeElement;
    help.showModal();
    help.querySelector(".player-help-close").focus();
  }

  help.querySelector(".player-help-close").addEventListener("click", () => help.close());
  help.addEventListener("close", () => { if (opener && opener.focus) opener.focus(); opener = null; });
  bar.querySelector(".player-help-open").addEventListener("click", openHelp);

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (help.open || typing(event.target)) return;
    if (event.key === "?") { event.preventDefault(); openHelp(); return; }
    const player = window.EncorePlayer;
    if (!player || !player.hasQueue) return;
    switch (event.key) {
      case " ":
      case "Spacebar":
        if (activates(event.target)) return;
        player.toggle();
        break;
      case "ArrowLeft": case "ArrowRight": case "ArrowUp": case "ArrowDown":
        if (slider(event.target)) return;
        arrow(player, event.key);
        break;
      case "n": case "N": player.next(); break;
      case "p": case "P": player.previous(); break;
      case "m": case "M": player.toggleMute(); break;
      default: return;
    }
    event.preventDefault();
  });

  // "Skip to player": focus lands on Play/Pause (an empty player shows and says how to start).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.skip-to-player");
    if (!link) return;
    event.preventDefault();
    bar.hidden = false;
    if (!(window.EncorePlayer && window.EncorePlayer.hasQueue)) {
      bar.querySelector(".player-status").textContent = "The queue is empty: press Play on a track to start.";
    }
    bar.querySelector(".player-toggle").focus();
  });
})();
