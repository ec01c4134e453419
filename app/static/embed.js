// The embeddable player (/embed/...): one <audio>, a play button, a progress bar (a slider), a
// track list.
// Starting a track goes through window.encorePlayLoader.start (play_loader.js), the same JSON
// API and metering as the web player: whole tracks for a listener whose session reaches this
// frame, the 30-second preview for everyone else. A full play reports its position every few
// seconds (the server decides when it counts) and is ended when the listener moves on.
// Its words come from the player's data-* attributes (in the page's language; {name}
// placeholders), English when absent.
(function () {
  "use strict";
  const REPORT_EVERY_MS = 5000;
  const root = document.querySelector(".embed-player");
  if (!root || !window.encorePlayLoader) return;
  const loader = window.encorePlayLoader;
  const audio = root.querySelector("audio");
  const toggle = root.querySelector(".embed-toggle");
  const progress = root.querySelector(".embed-progress");
  const time = root.querySelector(".embed-time");
  const now = root.querySelector(".embed-now");
  const status = root.querySelector(".embed-status");
  const items = [...root.querySelectorAll(".embed-track[data-track-id]")];
  const state = { index: -1, play: null, mode: null, counted: false, reporting: false, generation: 0 };

  function clock(seconds) {
    if (!isFinite(seconds) || seconds < 0) seconds = 0;
    const s = Math.floor(seconds);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function say(text) { status.textContent = text; }

  function words(key, english, values) {
    let text = root.dataset[key] || english;
    for (const [name, value] of Object.entries(values || {})) text = text.replace(`{${name}}`, value);
    return text;
  }

  function endPlay() {
    const play = state.play;
    state.play = null;
    if (play) loader.api("POST", play.end_url);
  }

  async function load(index) {
    const item = items[index];
    if (!item) return;
    const generation = ++state.generation;
    endPlay();
    audio.pause();
    state.index = index;
    state.mode = null;
    state.counted = false;
    items.forEach((el, i) => {
      el.classList.toggle("playing", i === index);
      if (i === index) el.setAttribute("aria-current", "true"); else el.removeAttribute("aria-current");
    });
    now.textContent = item.dataset.title;
    progress.value = 0;
    say(words("starting", "Starting…"));
    const started = await loader.start(item.dataset.trackId, audio);
    if (generation !== state.generation) {
      if (started.mode === "full") loader.api("POST", started.play.end_url);
      return;
    }
    state.mode = started.mode;
    if (started.mode === "full") {
      state.play = started.play;
      const play = started.play;
      if (play.costs_nothing) say(words("whole", "Playing the whole track."));
      else say(words("metered", "Play {number}: {credits} credits, counted after {seconds} s.", { number: play.play_number, credits: play.price.credits, seconds: Math.round(play.count_after_ms / 1000) }));
    } else if (started.mode === "preview") {
      say(started.status === 402 ? words("poor", "Not enough credits: playing the 30-second preview.") : words("preview", "Playing the 30-second preview."));
    } else {
      say(started.error ? started.error.message : words("unplayable", "This track cannot be played right now."));
      return;
    }
    const attempt = audio.play();
    if (attempt && attempt.catch) attempt.catch(() => say(words("pressPlay", "Press play to listen.")));
  }

  async function report() {
    const play = state.play;
    if (!play || state.mode !== "full" || state.counted || state.reporting) return;
    state.reporting = true;
    const r = await loader.api("POST", play.progress_url, { position_ms: Math.floor(audio.currentTime * 1000) });
    state.reporting = false;
    if (play !== state.play) return;
    if (r.status === 200 && r.body.counted) {
      state.counted = true;
      say(words("counted", "Counted: this play brings the track closer to being yours."));
    } else if (r.status === 410) {
      state.play = null;
      say(words("expired", "This play expired; press play to start again."));
    } else if (r.status === 401 || r.status === 402) {
      audio.pause();
      say(r.body && r.body.error ? r.body.error.message : words("stopped", "This play stopped."));
    }
  }

  toggle.addEventListener("click", () => {
    if (state.index < 0 || (state.mode === "full" && !state.play)) { load(Math.max(state.index, 0)); return; }
    if (audio.paused) audio.play(); else audio.pause();
  });
  items.forEach((el, i) => el.addEventListener("click", () => load(i)));
  // The progress bar is a slider: drag, click or arrow keys seek (1% a step).
  let seeking = false;
  progress.addEventListener("input", () => { seeking = true; });
  progress.addEventListener("change", () => {
    seeking = false;
    if (audio.duration) audio.currentTime = audio.duration * Number(progress.value) / 1000;
  });

  audio.addEventListener("play", () => { toggle.textContent = "\u275A\u275A"; toggle.setAttribute("aria-label", words("pause", "Pause")); });
  audio.addEventListener("pause", () => { toggle.textContent = "\u25B6"; toggle.setAttribute("aria-label", words("play", "Play")); report(); });
  audio.addEventListener("seeked", report);
  audio.addEventListener("timeupdate", () => {
    time.textContent = clock(audio.currentTime);
    if (audio.duration && !seeking) progress.value = String(Math.round(1000 * audio.currentTime / audio.duration));
  });
  audio.addEventListener("ended", async () => {
    await report();
    if (state.index + 1 < items.length) load(state.index + 1);
    else { endPlay(); if (state.mode === "preview") say(words("previewDone", "That was the preview. Listen on Encore to hear it all.")); }
  });
  setInterval(() => { if (!audio.paused) report(); }, REPORT_EVERY_MS);
  window.addEventListener("pagehide", () => {
    if (state.play) {
      fetch(state.play.end_url, {
        method: "POST", keepalive: true, credentials: "same-origin", headers: { "X-CSRFToken": loader.csrf() },
      });
    }
  });
  window.encoreEmbed = { audio, state, load };
})();
