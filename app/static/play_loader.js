// Start a play and attach its audio to an <audio> element: the one step every Encore player
// shares (metered plays go through metered_audio.js, loaded before this file).
//
//   const started = await window.encorePlayLoader.start(trackId, audio);
//
// - Logged in (the session cookie reaches us): POST /api/v1/tracks/<id>/plays with an
//   Idempotency-Key (retried with the same key when the answer is lost) and the page's CSRF
//   token; the play's stream goes into `audio`. Answer {mode: "full", play, body}.
// - 401 (a visitor) or 402 (not enough credits): POST the preview URL the error names and
//   attach the 30-second preview. Answer {mode: "preview", preview, status, error}.
// - Anything else: nothing is attached. Answer {mode: null, status, error}.
// The caller reports progress (play.progress_url) and ends the play (play.end_url).
(function () {
  "use strict";
  if (window.encorePlayLoader) return;

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

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  function chooseStream(streams, audio) {
    if (streams.opus && audio.canPlayType('audio/ogg; codecs="opus"')) return streams.opus;
    return streams.mp3;
  }

  async function start(trackId, audio) {
    const key = newKey();
    let r = { status: 0, body: null };
    for (let attempt = 0; attempt < 3 && r.status === 0; attempt++) {
      if (attempt) await new Promise((done) => setTimeout(done, 500 * attempt));
      r = await api("POST", `/api/v1/tracks/${trackId}/plays`, undefined, { "Idempotency-Key": key });
    }
    const error = r.body && r.body.error ? r.body.error : null;
    if (r.status === 201 || r.status === 200) {
      // A metered play (it will cost something) streams through metered_audio.js: the head
      // until the count point, then the rest; any other play is a plain src.
      const metered = window.encoreMeteredAudio;
      if (!(metered && metered.attach(audio, r.body.play))) audio.src = chooseStream(r.body.play.streams, audio);
      return { mode: "full", play: r.body.play, body: r.body, status: r.status };
    }
    if ((r.status === 401 || r.status === 402) && error && error.preview_url) {
      const p = await api("POST", error.preview_url);
      if (p.status === 201) {
        audio.src = p.body.preview.url;
        return { mode: "preview", preview: p.body.preview, status: r.status, error };
      }
      return { mode: null, status: p.status, error: p.body && p.body.error ? p.body.error : error };
    }
    return { mode: null, status: r.status, error };
  }

  window.encorePlayLoader = { start, api, csrf };
})();
