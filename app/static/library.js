// The listener's library on every page: favourite / follow toggles, "add to playlist", and
// the playlist editor (remove, reorder by drag and by keyboard). Loaded once per visit from
// base.html; every listener is delegated on document, so pages swapped in by the player's
// navigation work without running this again. Playing a playlist needs nothing here: its rows
// are a .track-list, which the player already plays and queues.
(function () {
  "use strict";
  if (window.encoreLibrary) return;

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function api(method, url, body) {
    const headers = { "X-CSRFToken": csrf(), Accept: "application/json" };
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

  // The words of the notes come from the data-* attributes of the control (or the nearest
  // element holding them: data-failed marks it), in the page's language; English otherwise.
  function words(el, key, english) {
    const holder = el && el.closest("[data-failed]");
    return (holder && holder.dataset[key]) || english;
  }

  function errorText(r, el) {
    if (r.body && r.body.error) return r.body.error.message;
    return r.status === 0 ? words(el, "offline", "No connection: try again.") : words(el, "failed", "That did not work.");
  }

  // --- favourites and follows -------------------------------------------------------------

  async function toggleStar(button) {
    const on = button.getAttribute("aria-pressed") === "true";
    const note = button.nextElementSibling && button.nextElementSibling.classList.contains("star-note")
      ? button.nextElementSibling : null;
    button.disabled = true;
    const r = await api(on ? "DELETE" : "PUT", button.dataset.url);
    button.disabled = false;
    if (r.status === 200 || r.status === 204) {
      button.setAttribute("aria-pressed", on ? "false" : "true");
      button.textContent = on ? button.dataset.offLabel : button.dataset.onLabel;
      if (note) note.textContent = "";
    } else if (note) {
      note.textContent = errorText(r, button);
    }
  }

  // --- add to playlist ----------------------------------------------------------------------

  async function addToPlaylist(form) {
    const note = form.querySelector(".add-note");
    const select = form.querySelector("select");
    const button = form.querySelector("button");
    if (!select) return;
    button.disabled = true;
    const r = await api("POST", `/api/v1/playlists/${select.value}/items`, { track_id: Number(form.dataset.trackId) });
    button.disabled = false;
    const name = select.options[select.selectedIndex].text;
    note.textContent = r.status === 201 ? words(form, "added", "Added to “{name}”.").replace("{name}", name) : errorText(r, form);
  }

  // --- the playlist editor ------------------------------------------------------------------

  function editorOf(node) {
    const box = node.closest(".playlist-items-box");
    return box && box.dataset.playlistUrl ? box : null;
  }

  function rows(box) {
    return [...box.querySelectorAll(".playlist-items > .entry")];
  }

  function renumber(box) {
    rows(box).forEach((li, i) => {
      const pos = li.querySelector(".pos");
      if (pos) pos.textContent = String(i + 1);
    });
  }

  function say(box, text) {
    const note = box.querySelector(".playlist-note");
    if (note) note.textContent = text;
  }

  async function move(li, to) {
    const box = editorOf(li);
    const list = rows(box);
    const from = list.indexOf(li);
    if (to < 0 || to >= list.length || to === from) return;
    const r = await api("POST", `${box.dataset.playlistUrl}/items/${li.dataset.itemId}/move`, { position: to });
    if (r.status !== 200) { say(box, errorText(r, box)); return; }
    const ol = li.parentElement;
    list.splice(from, 1);
    list.splice(to, 0, li);
    list.forEach((node) => ol.append(node));
    renumber(box);
    const title = li.dataset.title || "The track";
    say(box, `${title} moved to position ${to + 1} of ${list.length}.`);
  }

  async function removeEntry(li) {
    const box = editorOf(li);
    const r = await api("DELETE", `${box.dataset.playlistUrl}/items/${li.dataset.itemId}`);
    if (r.status !== 200) { say(box, errorText(r, box)); return; }
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    renumber(box);
    say(box, `Removed ${li.dataset.title || "the track"}.`);
    const focus = next && next.querySelector(".remove-entry");
    if (focus) focus.focus();
  }

  document.addEventListener("click", (event) => {
    const star = event.target.closest(".star-toggle");
    if (star) { event.preventDefault(); toggleStar(star); return; }
    const tool = event.target.closest(".move-up, .move-down, .remove-entry");
    if (!tool || !editorOf(tool)) return;
    event.preventDefault();
    const li = tool.closest(".entry");
    if (tool.classList.contains("remove-entry")) { removeEntry(li); return; }
    const index = rows(editorOf(li)).indexOf(li);
    const to = tool.classList.contains("move-up") ? index - 1 : index + 1;
    move(li, to).then(() => tool.focus());
  });

  // Alt+ArrowUp / Alt+ArrowDown move the row that holds the focus.
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    const li = event.target.closest && event.target.closest(".playlist-items > .entry");
    if (!li || !editorOf(li)) return;
    event.preventDefault();
    const index = rows(editorOf(li)).indexOf(li);
    const focused = document.activeElement;
    move(li, event.key === "ArrowUp" ? index - 1 : index + 1).then(() => { if (focused) focused.focus(); });
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.classList.contains("add-to-playlist")) {
      event.preventDefault();
      addToPlaylist(form);
    } else if (form.classList.contains("delete-playlist") && !window.confirm(words(form, "confirm", "Delete this playlist? This cannot be undone."))) {
      event.preventDefault();
    }
  });

  // Drag and drop: drop a row onto another to take its place.
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const li = event.target.closest && event.target.closest(".playlist-items > .entry");
    if (!li || !editorOf(li)) return;
    dragged = li;
    li.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", li.dataset.itemId);
  });
  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const li = event.target.closest && event.target.closest(".playlist-items > .entry");
    if (li && editorOf(li) === editorOf(dragged)) event.preventDefault();
  });
  document.addEventListener("drop", (event) => {
    if (!dragged) return;
    const li = event.target.closest && event.target.closest(".playlist-items > .entry");
    if (!li || li === dragged) return;
    event.preventDefault();
    move(dragged, rows(editorOf(li)).indexOf(li));
  });
  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });

  window.encoreLibrary = { move, toggleStar };
})();
