// The Encore player: one <audio> element for the whole visit.
//
// - Starting a track asks the server for a play (POST /api/v1/tracks/<id>/plays): stream URLs
//   only this listener may use, this play's number and price. The server decides when the
//   play counts: the player reports its position every few seconds and shows the answer.
// - Each start carries an Idempotency-Key, and a start whose answer was lost is retried with it:
//   the server answers the play it opened, so lost answers never use up the open-plays limit.
// - 402 (not enough credits) or 401 (not logged in): the free 30-second preview plays instead,
//   with a link to top up or log in.
// - A page loaded while logged in whose session then ends (logged out elsewhere, a password
//   change, an expired session) gets 401 from the plays API: playback stops and the player
//   says so, with a link to log in again, instead of failing silently.
// - While something is loaded, same-origin links and GET forms are fetched and only <main>
//   (and the header and title) are swapped, with pushState/popstate, so playback never stops.
(function () {
  "use strict";
  if (window.encorePlayer) return; // loaded once per visit, whatever the navigation

  const REPORT_EVERY_MS = 5000;
  const bar = document.getElementById("player");
  if (!bar) return;
  const audio = bar.querySelector("audio");
  const el = (selector) => bar.querySelector(selector);
  const ui = {
    cover: el(".player-cover"), title: el(".player-title"), artist: el(".player-artist"),
    toggle: el(".player-toggle"), prev: el(".player-prev"), next: el(".player-next"),
    time: el(".player-time"), duration: el(".player-duration"), seek: el(".player-seek"),
    canvas: el(".player-waveform"), volume: el(".player-volume"), status: el(".player-status"),
    queueToggle: el(".player-queue-toggle"), queueList: el(".player-queue"), queueCount: el(".player-queue-count"),
  };
  let loggedIn = bar.dataset.loggedIn === "1";

  const state = {
    queue: [], // [{id, title, artist, release, cover, duration}]
    index: -1,
    play: null, // the server's play while streaming the full track
    mode: null, // "full" or "preview"
    preview: null, // {start_ms, duration_ms} while previewing
    counted: false,
    reporting: false,
    peaks: null,
    gainFactor: 1,
    generation: 0, // bumps on every track change; late answers for an older track are ignored
  };

  // --- helpers ---------------------------------------------------------------------------

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function api(method, url, body, extraHeaders) {
    const headers = Object.assign({ "X-CSRFToken": csrf(), Accept: "application/json" }, extraHeaders || {});
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      const response = await fetch(url, {
        method, headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      let data = null;
      try { data = await response.json(); } catch (e) { data = null; }
      return { status: response.status, body: data };
    } catch (e) {
      return { status: 0, body: null };
    }
  }

  function clock(seconds) {
    if (!isFinite(seconds) || seconds < 0) seconds = 0;
    const s = Math.floor(seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // Integer micro-credits as decimal text, without floating point ("2000" -> "0.002").
  function credits(micro) {
    const whole = Math.floor(micro / 1000000);
    const fraction = String(micro % 1000000).padStart(6, "0").replace(/0+$/, "");
    return fraction ? `${whole}.${fraction}` : String(whole);
  }

  function setStatus(text, link) {
    ui.status.textContent = text || "";
    if (link) {
      ui.status.append(" ");
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      a.className = link.className || "";
      ui.status.append(a);
    }
  }

  function trackFromElement(li) {
    const d = li.dataset;
    return {
      id: Number(d.trackId), title: d.title || "", artist: d.artist || "", release: d.release || "",
      cover: d.cover || "", duration: Number(d.durationMs || 0),
    };
  }

  // --- loudness and volume ------------------------------------------------------------------

  // The stored gain brings every track to the same loudness. Scaling the element's volume
  // (instead of a Web Audio GainNode) keeps working for presigned cross-origin S3 URLs, which
  // a MediaElementSource would silence without CORS; it can only attenuate, which is what
  // mastered music almost always needs (positive gains are capped at full volume).
  function applyVolume() {
    const user = Number(ui.volume.value) / 100;
    audio.volume = Math.max(0, Math.min(1, user * state.gainFactor));
  }

  function setGain(gainDb) {
    state.gainFactor = typeof gainDb === "number" ? Math.min(1, Math.pow(10, gainDb / 20)) : 1;
    applyVolume();
  }

  // --- waveform -----------------------------------------------------------------------------

  function fullPosition() {
    // Position in the whole track (ms), also while previewing a window of it.
    const base = state.mode === "preview" && state.preview ? state.preview.start_ms || 0 : 0;
    return base + audio.currentTime * 1000;
  }

  function fullDuration() {
    const item = state.queue[state.index];
    if (state.play && state.play.duration_ms) return state.play.duration_ms;
    if (item && item.duration) return item.duration;
    return (audio.duration || 0) * 1000;
  }

  function drawWaveform() {
    const canvas = ui.canvas;
    const ctx = canvas.getContext("2d");
    const width = canvas.width, height = canvas.height;
    ctx.clearRect(0, 0, width, height);
    const duration = fullDuration();
    const played = duration ? Math.min(1, fullPosition() / duration) : 0;
    const styles = getComputedStyle(document.documentElement);
    const accent = (styles.getPropertyValue("--accent") || "#d1495b").trim();
    const line = "#c9c3b8";
    const peaks = state.peaks;
    if (!peaks || !peaks.length) {
      ctx.fillStyle = line;
      ctx.fillRect(0, height / 2 - 1, width, 2);
      ctx.fillStyle = accent;
      ctx.fillRect(0, height / 2 - 1, width * played, 2);
      return;
    }
    const bars = Math.min(peaks.length, Math.floor(width / 2));
    const step = peaks.length / bars;
    const barWidth = width / bars;
    let windowStart = -1, windowEnd = 2;
    if (state.mode === "preview" && state.preview && duration) {
      windowStart = (state.preview.start_ms || 0) / duration;
      windowEnd = windowStart + state.preview.duration_ms / duration;
    }
    for (let i = 0; i < bars; i++) {
      let peak = 0;
      for (let j = Math.floor(i * step); j < Math.floor((i + 1) * step); j++) peak = Math.max(peak, peaks[j] || 0);
      const h = Math.max(2, peak * (height - 4));
      const x = i * barWidth, fraction = i / bars;
      ctx.globalAlpha = fraction >= windowStart && fraction <= windowEnd ? 1 : 0.35;
      ctx.fillStyle = fraction < played ? accent : line;
      ctx.fillRect(x, (height - h) / 2, Math.max(1, barWidth - 1), h);
    }
    ctx.globalAlpha = 1;
  }

  async function loadPeaks(url, generation) {
    state.peaks = null;
    drawWaveform();
    if (!url) return;
    const r = await api("GET", url);
    if (generation !== state.generation) return;
    if (r.status === 200 && r.body) state.peaks = r.body.peaks;
    drawWaveform();
  }

  // Seek to a fraction of the whole track (waveform clicks, the seek slider).
  function seekToFraction(fraction) {
    const duration = fullDuration();
    if (!duration) return;
    let target = fraction * duration;
    if (state.mode === "preview" && state.preview) {
      target -= state.preview.start_ms || 0;
      if (target < 0 || target > state.preview.duration_ms) return; // outside the preview
    }
    audio.currentTime = Math.max(0, target / 1000);
    drawWaveform();
  }

  // --- now playing, Media Session -----------------------------------------------------------

  function showTrack(item) {
    bar.hidden = false;
    ui.title.textContent = item.title;
    ui.artist.textContent = item.artist + (item.release ? " · " + item.release : "");
    if (item.cover) { ui.cover.src = item.cover; ui.cover.hidden = false; } else { ui.cover.hidden = true; }
    ui.duration.textContent = clock(item.duration / 1000);
    document.querySelectorAll(".track.playing").forEach((li) => li.classList.remove("playing"));
    document.querySelectorAll(`.track[data-track-id="${item.id}"]`).forEach((li) => li.classList.add("playing"));
    if ("mediaSession" in navigator && window.MediaMetadata) {
      navigator.mediaSession.metadata = new MediaMetadata({
        title: item.title, artist: item.artist, album: item.release,
        artwork: item.cover ? [{ src: item.cover, sizes: "600x600", type: "image/jpeg" }] : [],
      });
    }
    renderQueue();
  }

  function setupMediaSession() {
    if (!("mediaSession" in navigator)) return;
    const handlers = {
      play: () => resume(), pause: () => audio.pause(), previoustrack: () => previous(), nexttrack: () => next(),
      seekbackward: (d) => { audio.currentTime = Math.max(0, audio.currentTime - (d.seekOffset || 10)); },
      seekforward: (d) => { audio.currentTime = audio.currentTime + (d.seekOffset || 10); },
      seekto: (d) => { if (d.seekTime != null) audio.currentTime = d.seekTime; },
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try { navigator.mediaSession.setActionHandler(action, handler); } catch (e) { /* unsupported action */ }
    }
  }

  // --- the queue ----------------------------------------------------------------------------

  function renderQueue() {
    ui.queueCount.textContent = String(state.queue.length);
    ui.queueList.replaceChildren(...state.queue.map((item, i) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = item.title + (item.artist ? " — " + item.artist : "");
      button.addEventListener("click", () => load(i));
      if (i === state.index) li.className = "current";
      li.append(button);
      return li;
    }));
  }

  function playList(items, start) {
    state.queue = items.slice();
    load(start || 0);
  }

  function enqueue(item) {
    state.queue.push(item);
    renderQueue();
    if (state.index < 0) load(state.queue.length - 1);
    else setStatus(`Added “${item.title}” to the queue.`);
  }

  function next() {
    if (state.index + 1 < state.queue.length) load(state.index + 1);
  }

  function previous() {
    if (audio.currentTime > 3 || state.index <= 0) audio.currentTime = 0;
    else load(state.index - 1);
  }

  // --- plays --------------------------------------------------------------------------------

  function endPlay() {
    const play = state.play;
    state.play = null;
    if (play) api("POST", play.end_url); // fire and forget: it frees one of the 3 open plays
  }

  function chooseStream(streams) {
    if (streams.opus && audio.canPlayType('audio/ogg; codecs="opus"')) return streams.opus;
    return streams.mp3;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  // One start, retried with the same Idempotency-Key when its answer is lost (a network error):
  // the server answers the play it started (200) instead of opening another one.
  async function startPlay(trackId) {
    const key = newKey();
    let r = { status: 0, body: null };
    for (let attempt = 0; attempt < 3 && r.status === 0; attempt++) {
      if (attempt) await new Promise((done) => setTimeout(done, 500 * attempt));
      r = await api("POST", `/api/v1/tracks/${trackId}/plays`, undefined, { "Idempotency-Key": key });
    }
    return r;
  }

  async function load(index, resumeAt) {
    const item = state.queue[index];
    if (!item) return;
    const generation = ++state.generation;
    if (state.play) await api("POST", state.play.end_url); // before starting: the open-plays limit
    state.play = null;
    state.index = index;
    state.counted = false;
    state.mode = null;
    state.preview = null;
    audio.pause();
    showTrack(item);
    setStatus("Starting…");
    const r = await startPlay(item.id);
    const started = r.status === 201 || r.status === 200;
    if (generation !== state.generation) { if (started) api("POST", r.body.play.end_url); return; }
    if (r.status === 401 && loggedIn) {
      loggedOut();
    } else if (started) {
      const play = r.body.play;
      state.play = play;
      state.mode = "full";
      item.duration = play.duration_ms || item.duration;
      ui.duration.textContent = clock(item.duration / 1000);
      setGain(play.gain_db);
      loadPeaks(play.waveform_url, generation);
      // A metered play (it will cost something) streams through metered_audio.js: the head
      // until the count point, then the rest; any other play is a plain src.
      const metered = window.encoreMeteredAudio;
      if (!(metered && metered.attach(audio, play))) audio.src = chooseStream(play.streams);
      if (resumeAt) audio.currentTime = resumeAt;
      describePlay(r.body);
      bar.dataset.mode = "full";
      bar.dataset.playId = play.id;
      startPlayback();
    } else if ((r.status === 402 || r.status === 401) && r.body && r.body.error.preview_url) {
      await playPreview(item, r.body.error, r.status, generation);
    } else if (r.status === 409 && r.body && r.body.error.code === "too_many_open_plays") {
      setStatus(r.body.error.message);
    } else {
      setStatus(r.body && r.body.error ? r.body.error.message : "This track cannot be played right now.");
    }
  }

  function describePlay(body) {
    const play = body.play;
    if (play.costs_nothing === "owned") setStatus("You own this track: free plays forever.");
    else if (play.costs_nothing === "free") setStatus("A free track.");
    else if (play.costs_nothing === "own_artist") setStatus("Your own track: free for you.");
    else {
      const seconds = Math.round(play.count_after_ms / 1000);
      setStatus(`Play ${play.play_number} of ${body.progress.plays_to_own}: ${play.price.credits} credits, ` +
                `counted after ${seconds} s of listening.`);
    }
  }

  async function playPreview(item, error, status, generation) {
    const r = await api("POST", error.preview_url);
    if (generation !== state.generation) return;
    if (r.status !== 201) { setStatus(error.message); return; }
    const preview = r.body.preview;
    state.mode = "preview";
    state.preview = preview;
    bar.dataset.mode = "preview";
    delete bar.dataset.playId;
    setGain(null);
    loadPeaks(`/api/v1/tracks/${item.id}/waveform`, generation);
    audio.src = preview.url;
    if (status === 402) {
      setStatus(`Not enough credits for this play (${credits(error.price)} needed, balance ${credits(error.balance)}). ` +
                "Playing the 30-second preview.", { href: bar.dataset.creditsUrl, text: "Top up", className: "button top-up" });
    } else {
      setStatus("Playing the 30-second preview.", { href: bar.dataset.loginUrl, text: "Log in to hear it all" });
    }
    startPlayback();
  }

  function startPlayback() {
    const attempt = audio.play();
    if (attempt && attempt.catch) attempt.catch(() => setStatus("Press play to listen."));
  }

  function resume() {
    if (state.mode === "full" && !state.play && state.index >= 0) {
      load(state.index, audio.currentTime); // the play expired while paused: start a new one here
      return;
    }
    startPlayback();
  }

  // --- progress reports ---------------------------------------------------------------------

  async function report() {
    const play = state.play;
    if (!play || state.mode !== "full" || state.counted || state.reporting) return;
    state.reporting = true;
    const generation = state.generation;
    const r = await api("POST", play.progress_url, { position_ms: Math.floor(audio.currentTime * 1000) });
    state.reporting = false;
    if (generation !== state.generation) return;
    if (r.status === 200 && r.body.counted) {
      state.counted = true;
      showCounted(r.body);
    } else if (r.status === 410) {
      state.play = null; // expired: the next play press starts a new one
      setStatus("This play expired; press play to start again.");
    } else if (r.status === 401) {
      loggedOut();
    } else if (r.status === 402) {
      audio.pause();
      setStatus(r.body.error.message, { href: bar.dataset.creditsUrl, text: "Top up", className: "button top-up" });
    }
  }

  // The session ended under an open page: stop, say so, offer to log in again (back here).
  function loggedOut() {
    loggedIn = false;
    state.play = null;
    audio.pause();
    bar.dataset.loggedOut = "1";
    const back = bar.dataset.loginUrl.split("?")[0] + "?next=" + encodeURIComponent(location.pathname + location.search);
    setStatus("You were logged out, so this play stopped.", { href: back, text: "Log in again", className: "login-again" });
  }

  function standingText(progress) {
    if (progress.owned) return "owned";
    return `${progress.plays_counted} of ${progress.plays_to_own} plays · ${progress.credits_to_own.credits} credits to own`;
  }

  function showCounted(body) {
    const charge = body.charge, progress = body.progress;
    bar.dataset.counted = "1";
    if (charge.kind === "charged") {
      setStatus(`Counted: play ${charge.play_number} of ${progress.plays_to_own}, ${charge.price.credits} credits. ` +
                `Balance ${body.balance.credits}.` + (progress.owned ? " The track is yours now!" : ""));
    } else {
      setStatus("Counted, free.");
    }
    const item = state.queue[state.index];
    if (item && charge.kind === "charged") {
      document.querySelectorAll(`[data-standing-for="${item.id}"]`).forEach((node) => {
        node.textContent = standingText(progress);
      });
      if (progress.owned) {
        document.querySelectorAll(`.buy-track[data-track-id="${item.id}"]`).forEach((b) => b.remove());
      }
    }
    document.querySelectorAll("[data-balance]").forEach((node) => { node.textContent = body.balance.credits; });
    document.dispatchEvent(new CustomEvent("encore:counted", { detail: body }));
  }

  setInterval(() => { if (!audio.paused) report(); }, REPORT_EVERY_MS);

  // --- buy now ------------------------------------------------------------------------------

  async function buy(button) {
    const id = button.dataset.trackId;
    if (!window.confirm(`Buy “${button.dataset.title}” now for ${button.dataset.price} credits? It is yours forever.`)) return;
    button.disabled = true;
    const key = newKey();
    const r = await api("POST", `/api/v1/me/tracks/${id}/buy`, { idempotency_key: key });
    button.disabled = false;
    const note = button.closest(".track") && button.closest(".track").querySelector(".buy-note");
    if (r.status === 201 || r.status === 200) {
      document.querySelectorAll(`[data-standing-for="${id}"]`).forEach((node) => { node.textContent = "owned"; });
      document.querySelectorAll("[data-balance]").forEach((node) => { node.textContent = r.body.balance.credits; });
      button.remove();
      if (note) note.textContent = `Bought for ${r.body.purchase.price.credits} credits.`;
    } else if (r.status === 402) {
      if (note) {
        note.textContent = r.body.error.message + " ";
        const a = document.createElement("a");
        a.href = bar.dataset.creditsUrl;
        a.textContent = "Top up";
        note.append(a);
      }
    } else if (note) {
      note.textContent = r.body && r.body.error ? r.body.error.message : "That did not work.";
    }
  }

  // --- controls -----------------------------------------------------------------------------

  ui.toggle.addEventListener("click", () => { if (audio.paused) resume(); else audio.pause(); });
  ui.next.addEventListener("click", next);
  ui.prev.addEventListener("click", previous);
  ui.volume.addEventListener("input", applyVolume);
  ui.seek.addEventListener("input", () => seekToFraction(Number(ui.seek.value) / 1000));
  ui.canvas.parentElement.addEventListener("click", (event) => {
    if (event.target === ui.seek) return;
    const rect = ui.canvas.getBoundingClientRect();
    seekToFraction((event.clientX - rect.left) / rect.width);
  });
  ui.queueToggle.addEventListener("click", () => {
    ui.queueList.hidden = !ui.queueList.hidden;
    ui.queueToggle.setAttribute("aria-expanded", String(!ui.queueList.hidden));
  });

  audio.addEventListener("play", () => {
    ui.toggle.innerHTML = "&#10074;&#10074;";
    ui.toggle.setAttribute("aria-label", "Pause");
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = "playing";
  });
  audio.addEventListener("pause", () => {
    ui.toggle.innerHTML = "&#9654;";
    ui.toggle.setAttribute("aria-label", "Play");
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = "paused";
    report();
  });
  audio.addEventListener("seeked", report);
  audio.addEventListener("timeupdate", () => {
    const duration = fullDuration();
    ui.time.textContent = clock(fullPosition() / 1000);
    if (duration && document.activeElement !== ui.seek) ui.seek.value = String(Math.round(1000 * fullPosition() / duration));
    drawWaveform();
  });
  audio.addEventListener("ended", async () => {
    await report();
    if (state.mode === "preview") setStatus("That was the preview.", state.preview && !loggedIn
      ? { href: bar.dataset.loginUrl, text: "Log in to hear it all" }
      : { href: bar.dataset.creditsUrl, text: "Top up", className: "button top-up" });
    next();
  });
  audio.addEventListener("error", () => {
    // A stream URL stops working when its play expires (a long pause): start a new play at
    // the same position, once.
    if (state.mode === "full" && state.play && !audio.dataset.retried) {
      audio.dataset.retried = "1";
      const at = audio.currentTime;
      state.play = null;
      load(state.index, at).then(() => { delete audio.dataset.retried; });
    }
  });

  // Track lists on every page (event delegation: pages come and go, the listener stays).
  document.addEventListener("click", (event) => {
    const target = event.target.closest(".play-track, .queue-track, .play-all, .buy-track");
    if (!target) return;
    event.preventDefault();
    if (target.classList.contains("buy-track")) { buy(target); return; }
    if (target.classList.contains("play-all")) {
      const list = target.closest(".track-list").querySelectorAll(".track[data-track-id]");
      playList([...list].map(trackFromElement), 0);
      return;
    }
    const li = target.closest(".track");
    const item = trackFromElement(li);
    if (target.classList.contains("queue-track")) { enqueue(item); return; }
    // Play: the rest of this list follows in the queue (next/previous walk it).
    const siblings = [...li.closest(".track-list").querySelectorAll(".track[data-track-id]")];
    playList(siblings.map(trackFromElement), siblings.indexOf(li));
  });

  // --- navigation that keeps playing --------------------------------------------------------

  function active() {
    return state.index >= 0 && !!audio.src;
  }

  function sameOriginPage(url) {
    return url.origin === location.origin && !url.pathname.startsWith("/api/") && !url.pathname.startsWith("/static/");
  }

  async function navigate(url, push) {
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    } catch (e) {
      location.href = url;
      return;
    }
    const type = response.headers.get("Content-Type") || "";
    if (!type.includes("text/html")) { location.href = url; return; }
    const html = await response.text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    const main = doc.querySelector("main");
    if (!main) { location.href = url; return; }
    document.querySelector("main").replaceWith(document.adoptNode(main));
    const header = doc.querySelector("header.site");
    if (header) document.querySelector("header.site").replaceWith(document.adoptNode(header));
    const token = doc.querySelector('meta[name="csrf-token"]');
    if (token) document.querySelector('meta[name="csrf-token"]').content = token.content;
    document.title = doc.title;
    const finalUrl = response.url || url;
    if (push) history.pushState({ encore: true }, "", finalUrl);
    else if (finalUrl !== location.href) history.replaceState({ encore: true }, "", finalUrl);
    runPageScripts(doc);
    const hash = new URL(finalUrl, location.href).hash;
    const anchor = hash && document.getElementById(decodeURIComponent(hash.slice(1)));
    if (anchor) anchor.scrollIntoView(); else window.scrollTo(0, 0);
    const item = state.queue[state.index];
    if (item) document.querySelectorAll(`.track[data-track-id="${item.id}"]`).forEach((li) => li.classList.add("playing"));
    document.dispatchEvent(new CustomEvent("encore:page"));
  }

  // The page's own scripts ({% block scripts %}) run again for the new page; the player's stay.
  function runPageScripts(doc) {
    const old = document.getElementById("page-scripts");
    const fresh = doc.getElementById("page-scripts");
    if (!old || !fresh) return;
    old.replaceChildren();
    for (const source of fresh.querySelectorAll("script")) {
      const script = document.createElement("script");
      for (const attr of source.attributes) script.setAttribute(attr.name, attr.value);
      script.textContent = source.textContent;
      old.append(script);
    }
  }

  document.addEventListener("click", (event) => {
    if (!active() || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download") || link.dataset.fullLoad !== undefined) return;
    const url = new URL(link.href, location.href);
    if (!sameOriginPage(url)) return;
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return; // in-page anchor
    event.preventDefault();
    navigate(url.href, true);
  });

  document.addEventListener("submit", (event) => {
    if (!active() || event.defaultPrevented) return;
    const form = event.target;
    if ((form.method || "get").toLowerCase() !== "get" || form.target) return;
    const url = new URL(form.action || location.href, location.href);
    if (!sameOriginPage(url)) return;
    event.preventDefault();
    url.search = new URLSearchParams(new FormData(form)).toString();
    navigate(url.href, true);
  });

  window.addEventListener("popstate", () => {
    if (active()) navigate(location.href, false);
    else location.reload();
  });

  window.addEventListener("pagehide", () => {
    // Leaving the site: close the open play so it does not hold one of the 3 slots.
    if (state.play) {
      fetch(state.play.end_url, {
        method: "POST", keepalive: true, credentials: "same-origin", headers: { "X-CSRFToken": csrf() },
      });
    }
  });

  setupMediaSession();
  applyVolume();
  window.encorePlayer = {
    audio, state, load, next, previous, playList, enqueue, report, navigate,
    get playing() { return !audio.paused; },
  };
})();
