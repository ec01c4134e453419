// Keep the proposals' countdowns (<time class="countdown" datetime=...>) ticking without a
// reload; the server rendered the first value. The words come from the element's data-closing,
// data-days, data-hours and data-minutes (in the page's language; English when absent). One
// timer per window: the player re-runs page scripts after each in-place navigation, and tick()
// reads whatever page is shown.
(function () {
  "use strict";
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }
  function tick() {
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var words = el.dataset;
      var s = Math.floor((new Date(el.getAttribute("datetime")) - new Date()) / 1000);
      if (s <= 0) { el.textContent = words.closing || "closing now"; return; }
      var v = { days: Math.floor(s / 86400), hours: Math.floor(s % 86400 / 3600), minutes: Math.floor(s % 3600 / 60) };
      el.textContent = v.days ? fill(words.days || "{days} d {hours} h", v)
        : v.hours ? fill(words.hours || "{hours} h {minutes} min", v) : fill(words.minutes || "{minutes} min", v);
    });
  }
  if (!window.encoreCountdownTimer) window.encoreCountdownTimer = setInterval(tick, 30000);
})();
