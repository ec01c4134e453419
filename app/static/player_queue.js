// The player's queue: what plays next (shuffle, repeat), editing it (remove, reorder by drag
// or keyboard, clear), the queue panel, and keeping it all in browser storage.
//
// No audio here: player.js asks nextIndex()/previousIndex() and plays what they answer.
//
// Storage (so a reload, a typed URL or a full-page POST form restores the player):
// - sessionStorage "encore.player.v1": this tab's queue, current track and open play; and
//   "encore.player.position.v1": the position in it. Per tab, so two tabs do not fight over
//   one queue. A logout forgets them (the next person at this browser starts afresh).
// - localStorage "encore.player.prefs.v1": volume, mute, shuffle, repeat (every tab).
// Storage can be absent or full (private windows, quotas): the player then works as before,
// without restoring.
(function () {
  "use strict";
  if (window.EncoreQueue) return;

  const STATE_KEY = "encore.player.v1";
  const POSITION_KEY = "encore.player.position.v1"; // {key, position_ms}: written every second, so kept apart
  const PREFS_KEY = "encore.player.prefs.v1";
  const REPEATS = ["off", "all", "one"]; // the repeat button cycles in this order

  function newKey() {
    return Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  }

  // A queue entry from a track as pages and the public API describe it. Each entry has its own
  // key, so one track can be queued twice and an entry keeps its identity while it moves.
  function entry(track) {
    return {
      key: track.key || newKey(),
      id: Number(track.id),
      title: String(track.title || ""),
      artist: String(track.artist || ""),
      release: String(track.release || ""),
      cover: String(track.cover || ""),
      duration: Number(track.duration_ms || track.duration || 0),
    };
  }

  function clampIndex(i, length) {
    return Math.max(0, Math.min(length - 1, i));
  }

  class Queue {
    constructor() {
      this.items = [];
      this.index = -1;
      this.shuffle = false;
      this.repeat = "off";
      this.played = new Set(); // keys played in this shuffle round
      this.back = []; // keys to go back to with Previous (the order they actually played in)
      this.goingBack = null; // the key previousIndex() answered, until it is selected
    }

    current() {
      return this.items[this.index] || null;
    }

    replace(tracks, start) {
      this.items = tracks.map(entry);
      this.index = -1;
      this.played.clear();
      this.back = [];
      return clampIndex(start || 0, this.items.length);
    }

    add(tracks) {
      const added = tracks.map(entry);
      this.items.push(...added);
      return added;
    }

    // Make entry i the current one. The one we left goes on the history, unless this is the
    // step back that previousIndex() answered: then it comes off, so Previous walks back
    // through what really played.
    select(i) {
      const item = this.items[i];
      if (!item) return null;
      const current = this.current();
      if (this.goingBack === item.key) this.back.splice(this.back.lastIndexOf(item.key));
      else if (current && current.key !== item.key) this.back.push(current.key);
      this.goingBack = null;
      if (this.back.length > 200) this.back.shift();
      this.index = i;
      this.played.add(item.key);
      return item;
    }

    // The entry to play after the current one; -1 when the queue is done. `ended`: the track
    // played to its end (repeat one plays it again; a press of Next always moves on).
    nextIndex(ended) {
      const n = this.items.length;
      if (!n) return -1;
      if (ended && this.repeat === "one" && this.index >= 0) return this.index;
      if (this.shuffle) {
        let left = this.unplayed();
        if (!left.length && this.repeat !== "off") {
          this.played.clear();
          const current = this.current();
          if (current) this.played.add(current.key);
          left = this.unplayed();
          if (!left.length) left = [this.index]; // a queue of one, repeated
        }
        return left.length ? left[Math.floor(Math.random() * left.length)] : -1;
      }
      if (this.index + 1 < n) return this.index + 1;
      return this.repeat !== "off" ? 0 : -1;
    }

    unplayed() {
      return this.items.map((item, i) => (this.played.has(item.key) || i === this.index ? -1 : i)).filter((i) => i >= 0);
    }

    previousIndex() {
      if (this.shuffle) {
        for (let k = this.back.length - 1; k >= 0; k--) {
          const i = this.items.findIndex((item) => item.key === this.back[k]);
          if (i >= 0) { this.goingBack = this.back[k]; return i; }
          this.back.splice(k, 1); // removed from the queue since
        }
        return -1;
      }
      if (this.index > 0) return this.index - 1;
      return this.repeat !== "off" && this.items.length ? this.items.length - 1 : -1;
    }

    // Move entry `from` to position `to`; the current entry stays current wherever it goes.
    move(from, to) {
      const n = this.items.length;
      if (from < 0 || from >= n) return false;
      to = clampIndex(to, n);
      if (from === to) return false;
      const current = this.current();
      const [item] = this.items.splice(from, 1);
      this.items.splice(to, 0, item);
      if (current) this.index = this.items.indexOf(current);
      return true;
    }

    // Remove entry i. Answers true when it was the current one: the entry after it (or the
    // one before, at the end) becomes current, and the caller stops what was playing.
    remove(i) {
      if (i < 0 || i >= this.items.length) return false;
      const wasCurrent = i === this.index;
      const [item] = this.items.splice(i, 1);
      this.played.delete(item.key);
      this.back = this.back.filter((key) => key !== item.key);
      if (i < this.index) this.index -= 1;
      else if (wasCurrent) this.index = this.items.length ? clampIndex(i, this.items.length) : -1;
      return wasCurrent;
    }

    clear() {
      this.items = [];
      this.index = -1;
      this.played.clear();
      this.back = [];
    }

    // Shuffle on starts a round: every entry but the current one is still to play.
    setShuffle(on) {
      this.shuffle = on;
      this.played.clear();
      const current = this.current();
      if (current) this.played.add(current.key);
    }

    cycleRepeat() {
      this.repeat = REPEATS[(REPEATS.indexOf(this.repeat) + 1) % REPEATS.length];
      return this.repeat;
    }

    toJSON() {
      return { items: this.items, index: this.index, played: [...this.played], back: this.back };
    }

    restore(saved) {
      if (!saved || !Array.isArray(saved.items)) return false;
      this.items = saved.items.filter((t) => t && Number(t.id) > 0).map(entry);
      this.index = this.items.length ? clampIndex(Number(saved.index) || 0, this.items.length) : -1;
      this.played = new Set(saved.played || []);
      this.back = Array.isArray(saved.back) ? saved.back.slice() : [];
      return this.items.length > 0;
    }
  }

  // --- storage ------------------------------------------------------------------------------

  function read(storage, key) {
    try {
      const text = window[storage].getItem(key);
      return text ? JSON.parse(text) : null;
    } catch (e) {
      return null; // no storage, or something unreadable in it: start afresh
    }
  }

  function write(storage, key, value) {
    try {
      if (value === null) window[storage].removeItem(key);
      else window[storage].setItem(key, JSON.stringify(value));
    } catch (e) { /* no storage or full: the player just will not restore */ }
  }

  const store = {
    loadState: () => read("sessionStorage", STATE_KEY),
    saveState: (snapshot) => write("sessionStorage", STATE_KEY, snapshot),
    loadPosition: () => read("sessionStorage", POSITION_KEY),
    savePosition: (position) => write("sessionStorage", POSITION_KEY, position),
    forgetState: () => { write("sessionStorage", STATE_KEY, null); write("sessionStorage", POSITION_KEY, null); },
    loadPrefs: () => read("localStorage", PREFS_KEY) || {},
    savePrefs: (prefs) => write("localStorage", PREFS_KEY, prefs),
  };

  // --- the queue panel ----------------------------------------------------------------------

  function iconButton(className, label, text) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "icon " + className;
    button.setAttribute("aria-label", label);
    button.title = label;
    button.textContent = text;
    return button;
  }

  // Renders the queue into `list` (an <ol>). `on` = {play(i), remove(i), move(from, to)}.
  // Reorder by dragging a row, with the Up/Down buttons, or Alt+ArrowUp/ArrowDown on a row;
  // focus stays on the moved entry so a keyboard user can keep moving it.
  function renderPanel(list, queue, on) {
    const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement : null;
    const focusKey = focused && focused.closest("li") ? focused.closest("li").dataset.key : null;
    const focusAt = focused && focused.closest("li") ? [...list.children].indexOf(focused.closest("li")) : -1;
    const focusRole = focused ? focused.dataset.role : null;
    list.replaceChildren(...queue.items.map((item, i) => {
      const li = document.createElement("li");
      li.dataset.key = item.key;
      li.draggable = true;
      if (i === queue.index) { li.className = "current"; li.setAttribute("aria-current", "true"); }
      const name = item.title + (item.artist ? " — " + item.artist : "");
      const play = document.createElement("button");
      play.type = "button";
      play.className = "link queue-play";
      play.dataset.role = "play";
      play.textContent = name;
      play.setAttribute("aria-describedby", "player-queue-hint");
      play.addEventListener("click", () => on.play(i));
      const up = iconButton("queue-up", `Move “${item.title}” up`, "↑");
      up.dataset.role = "up";
      up.disabled = i === 0;
      up.addEventListener("click", () => on.move(i, i - 1));
      const down = iconButton("queue-down", `Move “${item.title}” down`, "↓");
      down.dataset.role = "down";
      down.disabled = i === queue.items.length - 1;
      down.addEventListener("click", () => on.move(i, i + 1));
      const remove = iconButton("queue-remove", `Remove “${item.title}” from the queue`, "✕");
      remove.dataset.role = "remove";
      remove.addEventListener("click", () => on.remove(i));
      const grip = document.createElement("span");
      grip.className = "queue-grip";
      grip.setAttribute("aria-hidden", "true");
      grip.textContent = "⠿";
      li.append(grip, play, up, down, remove);
      li.addEventListener("keydown", (event) => {
        if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
        event.preventDefault();
        on.move(i, event.key === "ArrowUp" ? i - 1 : i + 1);
      });
      li.addEventListener("dragstart", (event) => {
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", String(i));
        li.classList.add("dragging");
      });
      li.addEventListener("dragend", () => li.classList.remove("dragging"));
      li.addEventListener("dragover", (event) => { event.preventDefault(); event.dataTransfer.dropEffect = "move"; });
      li.addEventListener("drop", (event) => {
        event.preventDefault();
        const from = Number(event.dataTransfer.getData("text/plain"));
        if (Number.isInteger(from)) on.move(from, i);
      });
      return li;
    }));
    if (focusKey) {
      // The same entry's same button; when the entry was removed, its neighbour's.
      const rows = [...list.children];
      let li = rows.find((node) => node.dataset.key === focusKey);
      const removed = !li;
      if (removed) li = rows[Math.min(focusAt, rows.length - 1)];
      let target = li && li.querySelector(`[data-role="${removed ? "remove" : focusRole}"]`);
      if (target && target.disabled) target = li.querySelector('[data-role="play"]');
      if (target) target.focus();
      else if (on.emptied) on.emptied();
    }
  }

  window.EncoreQueue = { Queue, entry, store, renderPanel, REPEATS };
})();
