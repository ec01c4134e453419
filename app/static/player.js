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
// - The queue, the current track, its position and its play live in browser storage
//   (player_queue.js), so a reload, a typed URL or a full-page form (checkout, vote, login)
//   shows the player again, paused at the same place ("cued": nothing is started or charged).
//   Play then continues the same play while the server lists it as open, or starts a new one
//   at that position. Leaving a page therefore no longer ends the play; it stays open until
//   it expires, and at the open-plays limit the server closes idle plays to make room.
// - Shuffle, repeat (off, all, one) and queue editing: player_queue.js; keyboard shortcuts,
//   the help dialog and the skip link: player_keys.js.
//
// Public API (window.EncorePlayer), for other scripts (playlists, track pages). A track is
// {id, title, artist, release, cover, duration_ms}; every field but id is for display.
//   EncorePlayer.playNow(tracks, start = 0)  replace the queue and play tracks[start]
//   EncorePlayer.enqueue(tracks)             add to the end (plays at once if nothing is loaded)
//   EncorePlayer.clear()                     stop and empty the queue
//   EncorePlayer.toggle(), next(), previous(), seekBy(seconds), volumeBy(fraction), toggleMute()
//   EncorePlayer.queue()                     a copy of the queue entries, and .index (current)
// It also fires "encore:queue" on document whenever the queue changes.
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
    queuePanel: el(".player-queue-panel"), queueClear: el(".player-queue-clear"),
    shuffle: el(".player-shuffle"), repeat: el(".player-repeat"), mute: el(".player-mute"),
  };
  const Q = window.EncoreQueue;
  const q = new Q.Queue(); // the entries, the current one, shuffle and repeat
  let loggedIn = bar.dataset.loggedIn === "1";

  const state = {
    get queue() { return q.items; }, // [{key, id, title, artist, release, cover, duration}]
    get index() { return q.index; },
    cued: null, // {positionMs, play, counted}: shown paused, nothing loaded yet (restored, or the current entry removed)
    play: null, // the server's play while streaming the full track
    mode: null, // "full" or "preview"
    preview: null, // {start_ms, duration_ms} while previewing
    counted: false,
    reporting: false,
    peaks: null,
    gainFactor: 1,
    generation: 0, // bumps on every track change; late answers for an older track are ignored
    ending: Promise.resolve(), // settles once the plays being ended are closed
    starting: false, // a start is waiting for the server
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
    if (state.cued) return state.cued.positionMs;
    if (!state.mode) return 0; // starting: the element still holds the previous track's time
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
    if (state.cued) {
      state.cued.positionMs = Math.max(0, Math.min(duration, target));
      showPosition();
      save();
      return;
    }
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
      seekbackward: (d) => seekBy(-(d.seekOffset || 10)),
      seekforward: (d) => seekBy(d.seekOffset || 10),
      seekto: (d) => { if (d.seekTime != null) { if (state.cued) seekTo(d.seekTime * 1000); else audio.currentTime = d.seekTime; } },
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try { navigator.mediaSession.setActionHandler(action, handler); } catch (e) { /* unsupported action */ }
    }
  }

  // --- the queue ----------------------------------------------------------------------------

  function renderQueue() {
    ui.queueCount.textContent = String(q.items.length);
    ui.queueClear.disabled = !q.items.length;
    Q.renderPanel(ui.queueList, q, {
      play: (i) => load(i),
      remove: removeAt,
      move: (from, to) => {
        if (!q.move(from, to)) return;
        queueChanged();
        const item = q.items[Math.max(0, Math.min(q.items.length - 1, to))];
        setStatus(`Moved “${item.title}” to position ${q.items.indexOf(item) + 1} of ${q.items.length}.`);
      },
      emptied: () => ui.queueToggle.focus(),
    });
  }

  function queueChanged() {
    renderQueue();
    save();
    document.dispatchEvent(new CustomEvent("encore:queue", { detail: { length: q.items.length, index: q.index } }));
  }

  function playList(items, start) {
    load(q.replace(items, start));
  }

  function enqueue(item) {
    const items = Array.isArray(item) ? item : [item];
    if (!items.length) return;
    const added = q.add(items);
    queueChanged();
    if (q.index < 0) load(q.items.length - added.length);
    else setStatus(added.length === 1 ? `Added “${added[0].title}” to the queue.` : `Added ${added.length} tracks to the queue.`);
  }

  // `ended`: called because the track played to its end (repeat one plays it again).
  function next(ended) {
    const i = q.nextIndex(ended === true);
    if (i >= 0) load(i);
    else if (ended !== true) setStatus("This is the end of the queue.");
  }

  // Back to the start of the track after its first 3 s; before that, the previous entry.
  function previous() {
    const i = fullPosition() > 3000 ? -1 : q.previousIndex();
    if (i < 0) restart();
    else load(i);
  }

  // Stops what is playing and shows entry `index` paused at `positionMs` without starting a
  // play (a restored player, or the entry after a removed current one). `play`: the saved
  // play that Play may continue if the server still has it open.
  function cue(index, positionMs, play, counted) {
    state.generation++; // answers for what was starting are now ignored
    state.starting = false;
    if (state.play) endPlay();
    audio.pause();
    setSource(null);
    state.mode = null;
    state.preview = null;
    state.counted = false;
    delete bar.dataset.mode;
    delete bar.dataset.playId;
    delete bar.dataset.counted;
    const item = q.select(index);
    if (!item) { state.cued = null; return; }
    state.cued = { positionMs: positionMs || 0, play: play || null, counted: !!counted };
    showTrack(item);
    showPosition();
    loadPeaks(`/api/v1/tracks/${item.id}/waveform`, state.generation);
  }

  function removeAt(i) {
    const item = q.items[i];
    if (!item) return;
    const wasCurrent = q.remove(i);
    if (wasCurrent) {
      if (q.index >= 0) cue(q.index, 0);
      else clear();
    }
    queueChanged();
    setStatus(`Removed “${item.title}” from the queue.`);
  }

  function clear() {
    state.generation++;
    state.starting = false;
    if (state.play) endPlay();
    if (state.cued && state.cued.play) endPlay(state.cued.play);
    state.cued = null;
    audio.pause();
    setSource(null);
    q.clear();
    state.mode = null;
    ui.title.textContent = "Nothing playing";
    ui.artist.textContent = "";
    ui.cover.hidden = true;
    state.peaks = null;
    showPosition();
    queueChanged();
    setStatus("The queue is empty: press Play on a track to start.");
  }

  // --- plays --------------------------------------------------------------------------------

  // Ends `play` (default: the current one). Not awaited here, but the next start waits for
  // it (state.ending): it frees one of the open plays.
  function endPlay(play) {
    if (!play) { play = state.play; state.play = null; }
    if (play) state.ending = Promise.all([state.ending, api("POST", play.end_url)]);
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

  // The one place the audio element gets its source (a play's stream, a preview, or nothing).
  // `startAt`: seconds into that source.
  function setSource(url, startAt) {
    if (!url) {
      audio.removeAttribute("src");
      audio.load(); // drops the old stream's buffered bytes
      return;
    }
    audio.src = url;
    if (startAt) audio.currentTime = startAt;
  }

  // Starts entry `index` (from `resumeAt` seconds): a play, or the preview. state.starting
  // is true until the latest start has its answer.
  async function load(index, resumeAt) {
    if (!state.queue[index]) return;
    state.starting = true;
    const generation = state.generation + 1;
    try {
      await start(index, resumeAt);
    } finally {
      if (generation === state.generation) state.starting = false;
    }
  }

  async function start(index, resumeAt) {
    const item = state.queue[index];
    const generation = ++state.generation;
    // The queue moves at once (so quick Next presses walk it), the server catches up after.
    if (state.play) endPlay();
    if (state.cued && state.cued.play) endPlay(state.cued.play); // a restored play left behind
    state.cued = null;
    q.select(index);
    state.counted = false;
    state.mode = null;
    state.preview = null;
    audio.pause();
    showTrack(item);
    setStatus("Starting…");
    save();
    await state.ending; // the open-plays limit: older plays are closed before a new one starts
    if (generation !== state.generation) return; // a newer press took over: start nothing
    const r = await startPlay(item.id);
    const started = r.status === 201 || r.status === 200;
    if (generation !== state.generation) { if (started) endPlay(r.body.play); return; }
    if (r.status === 401 && loggedIn) {
      loggedOut();
    } else if (started) {
      attachPlay(r.body.play, false, resumeAt, generation);
      describePlay(r.body);
      startPlayback();
    } else if ((r.status === 402 || r.status === 401) && r.body && r.body.error.preview_url) {
      await playPreview(item, r.body.error, r.status, generation);
    } else if (r.status === 409 && r.body && r.body.error.code === "too_many_open_plays") {
      setStatus(r.body.error.message);
    } else {
      setStatus(r.body && r.body.error ? r.body.error.message : "This track cannot be played right now.");
    }
  }

  // Streams `play` (just started, or a restored one still open) from `at` seconds.
  function attachPlay(play, counted, at, generation) {
    const item = q.current();
    state.play = play;
    state.mode = "full";
    state.counted = counted;
    item.duration = play.duration_ms || item.duration;
    ui.duration.textContent = clock(item.duration / 1000);
    setGain(play.gain_db);
    loadPeaks(play.waveform_url, generation);
    // A metered play (it will cost something) streams through metered_audio.js: the head
    // until the count point, then the rest; any other play is a plain src.
    const metered = window.encoreMeteredAudio;
    if (metered && metered.attach(audio, play)) {
      if (at) audio.currentTime = at;
    } else {
      setSource(chooseStream(play.streams), at);
    }
    bar.dataset.mode = "full";
    bar.dataset.playId = play.id;
    if (counted) bar.dataset.counted = "1"; else delete bar.dataset.counted;
    save();
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
    setSource(preview.url);
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
    if (!q.items.length) { bar.hidden = false; setStatus("The queue is empty: press Play on a track to start."); return; }
    if (state.cued || state.index < 0) { resumeCued(); return; }
    if (!state.mode) { if (!state.starting) load(state.index); return; } // starting, or a start that failed
    if (state.mode === "full" && !state.play && state.index >= 0) {
      load(state.index, audio.currentTime); // the play expired while paused: start a new one here
      return;
    }
    startPlayback();
  }

  // Play from where the player was cued: the same play while the server still lists it as
  // open (not ended, not expired), else a new play at the same position.
  async function resumeCued() {
    const cued = state.cued || { positionMs: 0, play: null, counted: false };
    const index = Math.max(0, state.index);
    if (cued.play && loggedIn) {
      const generation = ++state.generation;
      setStatus("Resuming…");
      const r = await api("GET", "/api/v1/me/plays/open");
      if (generation !== state.generation) return;
      const open = r.status === 200 && r.body.plays.find((p) => p.id === cued.play.id);
      if (open) {
        state.cued = null;
        attachPlay(cued.play, open.counted, cued.positionMs / 1000, generation);
        setStatus(open.counted ? "Resumed; this play was already counted." : "Resumed the same play.");
        startPlayback();
        return;
      }
      cued.play = null; // ended or expired: nothing to end either
    }
    load(index, cued.positionMs / 1000);
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

  function toggle() {
    if (audio.paused) resume(); else audio.pause();
  }

  // The time, the seek slider and the waveform at the current position (playing or cued).
  function showPosition() {
    const duration = fullDuration();
    const position = fullPosition();
    ui.time.textContent = clock(position / 1000);
    if (duration && !seekDragging) ui.seek.value = String(Math.round(1000 * position / duration));
    ui.seek.setAttribute("aria-valuetext", `${clock(position / 1000)} of ${clock(duration / 1000)}`);
    drawWaveform();
  }

  // A position in the whole track (ms); inside the preview's window while previewing.
  function seekTo(ms) {
    const duration = fullDuration();
    if (duration) seekToFraction(Math.max(0, Math.min(duration, ms)) / duration);
  }

  // Forward or back on what is loaded (the track, or the preview): the keys and the Media
  // Session's seek buttons.
  function seekBy(seconds) {
    if (state.cued) { seekTo(fullPosition() + seconds * 1000); return; }
    if (!state.mode) return;
    const end = isFinite(audio.duration) ? audio.duration : fullDuration() / 1000;
    audio.currentTime = Math.max(0, Math.min(end, audio.currentTime + seconds));
    showPosition();
  }

  function restart() {
    if (state.cued) { state.cued.positionMs = 0; showPosition(); save(); return; }
    audio.currentTime = 0;
  }

  function volumeBy(fraction) {
    ui.volume.value = String(Math.max(0, Math.min(100, Number(ui.volume.value) + Math.round(fraction * 100))));
    if (audio.muted && fraction > 0) setMuted(false);
    applyVolume();
    savePrefs();
    setStatus(`Volume ${ui.volume.value}%.`);
  }

  function setMuted(muted) {
    audio.muted = muted;
    ui.mute.setAttribute("aria-pressed", String(muted));
    ui.mute.setAttribute("aria-label", muted ? "Unmute" : "Mute");
    ui.mute.title = muted ? "Unmute (m)" : "Mute (m)";
    savePrefs();
  }

  function toggleMute() {
    setMuted(!audio.muted);
    setStatus(audio.muted ? "Muted." : "Sound on.");
  }

  function showModes() {
    ui.shuffle.setAttribute("aria-pressed", String(q.shuffle));
    ui.repeat.dataset.repeat = q.repeat;
    ui.repeat.setAttribute("aria-label", `Repeat: ${q.repeat}`);
    ui.repeat.title = `Repeat: ${q.repeat} (off, all, one)`;
  }

  function setShuffle(on) {
    q.setShuffle(on);
    showModes();
    savePrefs();
    setStatus(on ? "Shuffle on." : "Shuffle off.");
  }

  function cycleRepeat() {
    q.cycleRepeat();
    showModes();
    savePrefs();
    setStatus({ off: "Repeat off.", all: "Repeating the queue.", one: "Repeating this track." }[q.repeat]);
  }

  // --- storage ------------------------------------------------------------------------------

  function snapshot() {
    const play = state.cued ? state.cued.play : state.mode === "full" ? state.play : null;
    return {
      queue: q.toJSON(),
      play,
      counted: state.cued ? state.cued.counted : state.counted,
      logged_in: loggedIn,
    };
  }

  // The position of the current entry (small: written every second while playing).
  function savePosition() {
    const item = q.current();
    if (item) Q.store.savePosition({ key: item.key, position_ms: Math.floor(fullPosition()) });
  }

  function save() {
    if (q.items.length) { Q.store.saveState(snapshot()); savePosition(); } else Q.store.forgetState();
  }

  function savePrefs() {
    Q.store.savePrefs({ volume: Number(ui.volume.value), muted: audio.muted, shuffle: q.shuffle, repeat: q.repeat });
  }

  // A new page of this visit (reload, typed URL, full-page form): the player as it was, paused.
  function restore() {
    const prefs = Q.store.loadPrefs();
    if (typeof prefs.volume === "number") ui.volume.value = String(prefs.volume);
    q.shuffle = !!prefs.shuffle;
    if (Q.REPEATS.includes(prefs.repeat)) q.repeat = prefs.repeat;
    setMuted(!!prefs.muted);
    showModes();
    const saved = Q.store.loadState();
    if (saved && saved.logged_in && !loggedIn) {
      Q.store.forgetState(); // logged out (or the session ended): the next person here starts afresh
      return;
    }
    if (saved && q.restore(saved.queue)) {
      const position = Q.store.loadPosition();
      const at = position && q.current() && position.key === q.current().key ? Number(position.position_ms) || 0 : 0;
      cue(q.index, at, saved.play || null, !!saved.counted);
      renderQueue();
      setStatus("Paused where you left off. Press play to go on.");
    }
  }

  let seekDragging = false;
  let savedAt = 0;

  ui.toggle.addEventListener("click", toggle);
  ui.next.addEventListener("click", () => next());
  ui.prev.addEventListener("click", previous);
  ui.volume.addEventListener("input", () => { applyVolume(); savePrefs(); });
  ui.mute.addEventListener("click", toggleMute);
  ui.shuffle.addEventListener("click", () => setShuffle(!q.shuffle));
  ui.repeat.addEventListener("click", cycleRepeat);
  ui.queueClear.addEventListener("click", () => { clear(); ui.queueToggle.focus(); });
  ui.seek.addEventListener("input", () => seekToFraction(Number(ui.seek.value) / 1000));
  ui.seek.addEventListener("pointerdown", () => { seekDragging = true; });
  ui.seek.addEventListener("pointerup", () => { seekDragging = false; });
  ui.seek.addEventListener("change", () => { seekDragging = false; });
  // One arrow press is 5 s (not 1/1000 of the track); Page Up/Down 30 s; Home/End the ends.
  ui.seek.addEventListener("keydown", (event) => {
    const steps = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -30, PageUp: 30 };
    if (event.key in steps) seekBy(steps[event.key]);
    else if (event.key === "Home") seekTo(0);
    else if (event.key === "End") seekTo(fullDuration() - 1000);
    else return;
    event.preventDefault();
  });
  ui.canvas.parentElement.addEventListener("click", (event) => {
    if (event.target === ui.seek) return;
    const rect = ui.canvas.getBoundingClientRect();
    seekToFraction((event.clientX - rect.left) / rect.width);
  });
  ui.queueToggle.addEventListener("click", () => {
    ui.queuePanel.hidden = !ui.queuePanel.hidden;
    ui.queueToggle.setAttribute("aria-expanded", String(!ui.queuePanel.hidden));
  });
  ui.queuePanel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    ui.queuePanel.hidden = true;
    ui.queueToggle.setAttribute("aria-expanded", "false");
    ui.queueToggle.focus();
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
    save();
  });
  audio.addEventListener("seeked", report);
  audio.addEventListener("timeupdate", () => {
    showPosition();
    if (Date.now() - savedAt > 1000) { savedAt = Date.now(); savePosition(); }
  });
  audio.addEventListener("ended", async () => {
    await report();
    if (state.mode === "preview") setStatus("That was the preview.", state.preview && !loggedIn
      ? { href: bar.dataset.loginUrl, text: "Log in to hear it all" }
      : { href: bar.dataset.creditsUrl, text: "Top up", className: "button top-up" });
    next(true);
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
    // A reload, a typed URL, a full-page form or leaving the site: remember where we are, and
    // tell the server the position (it may count the play). The play stays open, so the next
    // page can continue it; if nothing does, it expires, and at the open-plays limit the
    // server closes idle plays first.
    save();
    if (state.play && state.mode === "full" && !state.counted && !audio.paused) {
      fetch(state.play.progress_url, {
        method: "POST", keepalive: true, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf(), "Content-Type": "application/json" },
        body: JSON.stringify({ position_ms: Math.floor(audio.currentTime * 1000) }),
      });
    }
  });

  setupMediaSession();
  restore();
  applyVolume();
  const publicApi = {
    playNow: (tracks, start) => playList(Array.isArray(tracks) ? tracks : [tracks], start || 0),
    enqueue,
    clear,
    toggle, next: () => next(), previous, seekBy, volumeBy, toggleMute,
    queue: () => Object.assign(q.items.map((item) => Object.assign({}, item)), { index: q.index }),
    get hasQueue() { return q.items.length > 0; },
    get playing() { return !audio.paused; },
  };
  window.EncorePlayer = publicApi;
  // The same object with the internals, for the browser tests and debugging.
  window.encorePlayer = Object.assign(Object.create(publicApi), {
    audio, state, q, load, playList, report, navigate, cue,
  });
})();
