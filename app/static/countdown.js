// Keep the proposals' countdowns (<time class="countdown" datetime=...>) ticking without a
// reload; the server rendered the first value. One timer per window: the player re-runs page
// scripts after each in-place navigation, and tick() reads whatever page is shown.
(function () {
  "use strict";
  function tick() {
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var s = Math.floor((new Date(el.getAttribute("datetime")) - new Date()) / 1000);
      if (s <= 0) { el.textContent = "closing now"; return; }
      var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
      el.textContent = d ? d + " d " + h + " h" : h ? h + " h " + m + " min" : m + " min";
    });
  }
  if (!window.encoreCountdownTimer) window.encoreCountdownTimer = setInterval(tick, 30000);
})();
