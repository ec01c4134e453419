// Metered streams in the browser, with Media Source Extensions.
//
// A play that will cost something is handed only the head of its stream until it counts:
// GET stream.mp3 answers the audio up to the count point plus a margin (metered_until_ms).
// This module plays such a play without a gap: it fetches the head and appends it to a
// MediaSource; when playback reaches the count point it asks for the rest (a Range request
// from the head's last byte), which counts the play on the server, and appends the rest to
// the same SourceBuffer. The margin is the time the rest has to arrive. A 409 answer
// (not_counted_yet: the server's clock says too early, e.g. after seeking ahead in the head)
// is retried after the wait it names.
//
// Before the count, seeking stays within the head (the rest is not there to seek into);
// once the rest is appended, anywhere. Volume (the loudness gain) and the waveform are the
// player's, on the same <audio> element, so they work as with a plain src.
//
// window.encoreMeteredAudio.attach(audio, play) takes over the element for a metered play and
// returns true; false (an unmetered play) leaves the plain src to the caller. Browsers without
// MSE for MP3 play the head natively and reload the whole stream once the play has counted.
(function () {
  "use strict";
  if (window.encoreMeteredAudio) return;

  const MIME = "audio/mpeg";
  const APPEND_BYTES = 128 * 1024; // append in slices: playback starts with the first one
  const KEEP_BEHIND_S = 30; // when the buffer is full, drop what lies this far behind
  let current = null;

  // Safari on iPhone has only ManagedMediaSource (iOS 17.1+), which is used the same way.
  const MediaSourceClass = window.MediaSource || window.ManagedMediaSource;

  function supported() {
    return !!(MediaSourceClass && MediaSourceClass.isTypeSupported(MIME));
  }

  function Session(audio, play) {
    this.audio = audio;
    this.play = play;
    this.url = play.streams.mp3;
    this.controller = new AbortController();
    this.received = 0; // bytes of the rendition appended so far (head, then rest)
    this.rest = "no"; // "no" | "asking" | "loading" | "done"
    this.source = new MediaSourceClass();
    if (window.ManagedMediaSource && this.source instanceof window.ManagedMediaSource) audio.disableRemotePlayback = true;
    this.objectUrl = URL.createObjectURL(this.source);
    this.onTime = () => this.tick();
    this.onSeeking = () => this.keepInHead();
    audio.addEventListener("timeupdate", this.onTime);
    audio.addEventListener("seeking", this.onSeeking);
    this.source.addEventListener("sourceopen", () => this.open().catch((e) => this.fail(e)), { once: true });
    audio.src = this.objectUrl;
  }

  Session.prototype.alive = function () {
    return !this.controller.signal.aborted && this.audio.src === this.objectUrl;
  };

  Session.prototype.stop = function () {
    this.controller.abort();
    this.audio.removeEventListener("timeupdate", this.onTime);
    this.audio.removeEventListener("seeking", this.onSeeking);
    URL.revokeObjectURL(this.objectUrl);
  };

  Session.prototype.fail = function (error) {
    if (!this.alive()) return;
    if (window.console) console.warn("metered stream:", error);
  };

  Session.prototype.bufferedEnd = function () {
    const b = this.buffer && this.buffer.buffered;
    return b && b.length ? b.end(b.length - 1) : 0;
  };

  Session.prototype.open = async function () {
    this.buffer = this.source.addSourceBuffer(MIME);
    this.buffer.mode = "sequence"; // MP3 has no timestamps: each append continues the last
    if (this.play.duration_ms) this.source.duration = this.play.duration_ms / 1000;
    const r = await fetch(this.url, { credentials: "same-origin", signal: this.controller.signal });
    if (!r.ok) throw new Error(`head: HTTP ${r.status}`);
    // Served by the app without a head header: the whole track (a short one). Via a redirect
    // (S3) we cannot tell: asking for the rest then answers 416 when there is none.
    const whole = !r.redirected && !r.headers.get("Encore-Head-Bytes");
    await this.pump(r);
    if (whole) await this.finish();
    this.tick();
  };

  // Append a response body in slices, in order, as it arrives.
  Session.prototype.pump = async function (response) {
    const reader = response.body.getReader();
    let pending = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (value) { pending.push(value); size += value.length; }
      if (size >= APPEND_BYTES || (done && size)) {
        const slice = new Uint8Array(size);
        let at = 0;
        for (const part of pending) { slice.set(part, at); at += part.length; }
        pending = [];
        size = 0;
        await this.append(slice);
        this.received += slice.length;
      }
      if (done) return;
      if (!this.alive()) { reader.cancel(); throw new Error("stopped"); }
    }
  };

  Session.prototype.updated = function () {
    return new Promise((resolve, reject) => {
      const ok = () => { cleanup(); resolve(); };
      const bad = () => { cleanup(); reject(new Error("append failed")); };
      const cleanup = () => {
        this.buffer.removeEventListener("updateend", ok);
        this.buffer.removeEventListener("error", bad);
      };
      this.buffer.addEventListener("updateend", ok);
      this.buffer.addEventListener("error", bad);
    });
  };

  Session.prototype.append = async function (bytes) {
    for (let attempt = 0; ; attempt++) {
      if (!this.alive()) throw new Error("stopped");
      try {
        this.buffer.appendBuffer(bytes);
        await this.updated();
        return;
      } catch (error) {
        // The buffer is full (a long track): drop what was played long ago, wait, try again.
        if (error.name !== "QuotaExceededError" || attempt > 20) throw error;
        const before = this.audio.currentTime - KEEP_BEHIND_S;
        if (before > 1) {
          this.buffer.remove(0, before);
          await this.updated();
        } else {
          await new Promise((done) => setTimeout(done, 1000));
        }
      }
    }
  };

  Session.prototype.finish = async function () {
    this.rest = "done";
    if (this.source.readyState === "open" && !this.buffer.updating) this.source.endOfStream();
  };

  // At the count point, ask for the rest (once; again after a 409's wait).
  Session.prototype.tick = function () {
    if (this.rest !== "no" || !this.received || !this.alive()) return;
    const countPoint = (this.play.count_after_ms || 0) / 1000;
    if (this.audio.currentTime < countPoint) return;
    this.rest = "asking";
    this.askRest().catch((e) => { this.rest = "no"; this.fail(e); });
  };

  Session.prototype.askRest = async function () {
    const r = await fetch(this.url, {
      credentials: "same-origin",
      signal: this.controller.signal,
      headers: { Range: `bytes=${this.received}-` },
    });
    if (r.status === 206) {
      this.rest = "loading";
      await this.pump(r);
      await this.finish();
    } else if (r.status === 416) {
      await this.finish(); // the head was the whole track
    } else if (r.status === 409) {
      const body = await r.json().catch(() => ({}));
      const wait = (body.error && body.error.wait_ms) || 1000;
      setTimeout(() => { this.rest = "no"; this.tick(); }, Math.max(250, wait));
    } else {
      throw new Error(`rest: HTTP ${r.status}`); // 402, 410...: the player's reports say why
    }
  };

  // Before the rest is here, a seek past the head lands at its end instead of stalling.
  Session.prototype.keepInHead = function () {
    if (this.rest === "done" || this.rest === "loading" || !this.alive()) return;
    const end = this.bufferedEnd();
    if (end && this.audio.currentTime > end - 0.25) this.audio.currentTime = Math.max(0, end - 0.5);
  };

  // Without MSE: the element plays the head natively; at the count point the rest is asked
  // for (one byte past the head, which counts the play), then the element reloads the now
  // whole stream and goes on where it was. A short gap, but the whole track.
  function NativeSession(audio, play) {
    this.audio = audio;
    this.play = play;
    this.url = play.streams.mp3;
    this.controller = new AbortController();
    this.rest = "no";
    this.onTime = () => this.tick();
    audio.addEventListener("timeupdate", this.onTime);
    audio.src = this.url;
    this.src = audio.src;
  }

  NativeSession.prototype.alive = function () {
    return !this.controller.signal.aborted && this.audio.src === this.src;
  };
  NativeSession.prototype.stop = function () {
    this.controller.abort();
    this.audio.removeEventListener("timeupdate", this.onTime);
  };
  NativeSession.prototype.tick = function () {
    if (this.rest !== "no" || !this.alive()) return;
    if (this.audio.currentTime < (this.play.count_after_ms || 0) / 1000) return;
    this.rest = "asking";
    this.askRest().catch((e) => { this.rest = "no"; if (window.console) console.warn("metered stream:", e); });
  };
  NativeSession.prototype.askRest = async function () {
    const options = { credentials: "same-origin", signal: this.controller.signal };
    // The head's length: the total of a one-byte Range answer (a HEAD would not do on S3,
    // whose presigned URLs are signed for GET).
    const first = await fetch(this.url, Object.assign({ headers: { Range: "bytes=0-0" } }, options));
    const total = /\/(\d+)$/.exec(first.headers.get("Content-Range") || "");
    const size = total ? Number(total[1]) : 0;
    if (!size) { this.rest = "done"; return; }
    const r = await fetch(this.url, Object.assign({ headers: { Range: `bytes=${size}-${size}` } }, options));
    if (r.status === 409) {
      const body = await r.json().catch(() => ({}));
      const wait = (body.error && body.error.wait_ms) || 1000;
      setTimeout(() => { this.rest = "no"; this.tick(); }, Math.max(250, wait));
      return;
    }
    this.rest = "done";
    if (r.status !== 206 || !this.alive()) return; // 416: the head was the whole track
    const at = this.audio.currentTime;
    const playing = !this.audio.paused;
    this.audio.src = this.url; // counted now: the same URL serves the whole track
    this.audio.addEventListener("loadedmetadata", () => {
      this.audio.currentTime = at;
      if (playing) this.audio.play().catch(() => {});
    }, { once: true });
  };

  function attach(audio, play) {
    if (current) { current.stop(); current = null; }
    if (play.metered_until_ms == null || !play.streams || !play.streams.mp3) return false;
    const native = api.native || !supported();
    current = native ? new NativeSession(audio, play) : new Session(audio, play);
    return true;
  }

  // ``native``: use the fallback even where MSE works (tests).
  const api = { attach, supported, native: false, session: () => current };
  window.encoreMeteredAudio = api;
})();
