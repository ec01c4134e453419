// The upload page of a release (uploads/upload.html).
//
// - Files dropped on the zone or chosen with the picker upload one request per file, so each
//   has its own progress bar and its own answer (a refused file does not hold back the
//   others). XHR, because fetch() cannot report upload progress. Files go in name order
//   ("01 ...", "02 ..."); the server places tagged files by their disc and track numbers.
// - While anything is processing, the page polls GET .../uploads and redraws the track table
//   and each file's line from it: uploaded -> processing -> ready, or failed with the reason.
//   No reload.
// - "Replace audio" sends one file to the track's replace URL; its progress shows in the same
//   list, and the table shows the new audio processing, then the switch (or why it failed).
// - Every word it writes comes from the section's data-say-* attributes, in the page's language
//   ({name} placeholders filled in here); the English below is the fallback when one is absent.
(function () {
  "use strict";
  const root = document.getElementById("uploader");
  if (!root) return;
  const zone = document.getElementById("dropzone");
  const picker = document.getElementById("upload-files");
  const replacePicker = document.getElementById("replace-input");
  const list = root.querySelector(".upload-list");
  const tbody = document.querySelector("#upload-tracks tbody");
  const pollNote = document.querySelector(".upload-poll");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const limitMb = parseFloat(root.dataset.limitMb);
  const limitBytes = limitMb * 1024 * 1024;
  const byName = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  // Lines of the upload list that wait for a track's processing: track id -> view.
  const watching = new Map();
  let queue = Promise.resolve();
  let pollTimer = null;
  let inFlight = 0;

  // The page's words for key (a data-say-* attribute, camelCased), placeholders filled in.
  function say(key, english, values) {
    let text = root.dataset[key] || english;
    for (const [name, value] of Object.entries(values || {})) text = text.split(`{${name}}`).join(String(value));
    return text;
  }

  function statusWord(status) {
    const key = "sayStatus" + status.charAt(0).toUpperCase() + status.slice(1);
    return root.dataset[key] || status;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A line of the upload list: name, progress bar, message.
  function line(label) {
    const li = el("li", "upload-item waiting");
    const bar = el("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", say("sayUploadOf", "Upload of {name}", { name: label }));
    const message = el("span", "message", say("sayWaiting", "waiting"));
    li.append(el("span", "name", label), bar, message);
    list.append(li);
    return { li, bar, message, replacement: false };
  }

  function failed(reason) {
    return say("sayFailed", "failed: {reason}", { reason });
  }

  function setState(view, state, text) {
    view.li.classList.remove("waiting", "uploading", "uploaded", "processing", "done", "error");
    view.li.classList.add(state);
    view.li.dataset.state = state;
    view.message.textContent = text;
  }

  function errorText(xhr) {
    let answer = {};
    try { answer = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
    if (answer.error && answer.error.message) return answer.error.message;
    if (xhr.status === 413) return say("sayTooLarge", "larger than the {mb} MB limit", { mb: limitMb });
    return say("sayFailedStatus", "failed ({status})", { status: xhr.status || say("sayNoAnswer", "no answer") });
  }

  // POST one file to url; resolves with the JSON answer of a 202, or null (the line says why).
  function send(url, file, view) {
    return new Promise((resolve) => {
      if (file.size > limitBytes) {
        setState(view, "error", failed(say("sayTooLarge", "larger than the {mb} MB limit", { mb: limitMb })));
        return resolve(null);
      }
      const body = new FormData();
      body.append("file", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) {
          view.bar.value = Math.round((event.loaded / event.total) * 100);
          setState(view, "uploading", say("sayUploadingPercent", "uploading {percent}%", { percent: view.bar.value }));
        }
      });
      xhr.upload.addEventListener("load", () => setState(view, "uploading", say("sayChecking", "uploaded, checking the audio…")));
      xhr.addEventListener("load", () => {
        if (xhr.status === 202) {
          view.bar.value = 100;
          let answer = {};
          try { answer = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
          resolve(answer);
        } else {
          setState(view, "error", failed(errorText(xhr)));
          resolve(null);
        }
      });
      xhr.addEventListener("error", () => {
        setState(view, "error", say("sayLost", "failed: the connection was lost"));
        resolve(null);
      });
      setState(view, "uploading", say("sayUploading", "uploading"));
      xhr.send(body);
    });
  }

  // The line of a file whose track (or new audio) the server accepted, from the track's JSON.
  function follow(view, track) {
    view.trackId = track.id;
    watching.set(track.id, view);
    showTrackOnLine(view, track);
  }

  function showTrackOnLine(view, track) {
    const rep = track.replacement;
    if (view.replacement) {
      if (rep && rep.status === "processing") return setState(view, "processing", say("sayReplacementProcessing", "uploaded; processing the new audio…"));
      if (rep && rep.status === "failed") return finish(view, "error", failed(rep.status_reason));
      return finish(view, "done", say("sayReplacementReady", "ready: “{title}” now plays the new audio", { title: track.title }));
    }
    if (track.status === "processing") return setState(view, "processing", say("sayProcessingAs", "uploaded as “{title}”; processing…", { title: track.title }));
    if (track.status === "failed") return finish(view, "error", failed(track.status_reason || say("sayProcessingFailed", "processing failed")));
    return finish(view, "done", say("sayReady", "ready: “{title}”", { title: track.title }));
  }

  function finish(view, state, text) {
    setState(view, state, text);
    watching.delete(view.trackId);
  }

  function upload(files) {
    const sorted = Array.from(files).sort((a, b) => byName.compare(a.name, b.name));
    const max = parseInt(root.dataset.maxFiles, 10) || 50;
    sorted.slice(max).forEach((file) => setState(line(file.name), "error", say("sayTooMany", "not sent: at most {max} files at a time", { max })));
    sorted.slice(0, max).forEach((file) => {
      const view = line(file.name);
      inFlight += 1;
      // One at a time: the server transcodes one after the other anyway.
      queue = queue.then(async () => {
        const answer = await send(root.dataset.uploadUrl, file, view);
        const track = answer && (answer.tracks || [])[0];
        if (track) follow(view, track);
        inFlight -= 1;
        await refresh();
      });
    });
  }

  function replace(url, title, file) {
    const view = line(say("sayNewAudioFor", "New audio for “{title}”: {name}", { title, name: file.name }));
    view.replacement = true;
    inFlight += 1;
    queue = queue.then(async () => {
      const answer = await send(url, file, view);
      if (answer && answer.track) follow(view, answer.track);
      inFlight -= 1;
      await refresh();
    });
  }

  // The track table, drawn from the uploads JSON (the same row as _upload_row.html).
  function row(track) {
    const tr = el("tr", `upload-row status-${track.status}`);
    tr.dataset.trackId = track.id;
    const state = el("td", "state");
    state.append(el("span", "status", statusWord(track.status)));
    if (track.status_reason) state.append(el("p", "reason", track.status_reason));
    const rep = track.replacement;
    if (rep) {
      state.append(el("p", `replacement replacement-${rep.status}`, rep.status === "processing"
        ? say("sayNewAudioProcessing", "New audio “{name}” processing; the current audio plays until it is ready.", { name: rep.name })
        : say("sayNewAudioFailed", "New audio “{name}” failed: {reason} The current audio still plays.",
          { name: rep.name, reason: rep.status_reason })));
    }
    const original = el("td", "original");
    if (track.original) {
      const link = el("a", "", track.original.format.toUpperCase());
      link.href = track.original.url;
      original.append(link);
      if (track.version > 1) original.append(" ", el("span", "meta", say("sayVersion", "v{version}", { version: track.version })));
    }
    const actions = el("td", "actions");
    const busy = track.status === "processing" || (rep && rep.status === "processing");
    if (track.original && !busy) {
      const button = el("button", "link replace", say("sayReplace", "Replace audio"));
      button.type = "button";
      button.dataset.url = track.replace_url;
      button.dataset.title = track.title;
      actions.append(button);
    }
    if (track.original && (track.status === "ready" || track.status === "failed")) {
      const button = el("button", "link reprocess", say("sayReprocess", "Reprocess"));
      button.type = "button";
      button.dataset.url = track.reprocess_url;
      actions.append(" ", button);
    }
    tr.append(el("td", "num", String(track.position)), el("td", "title", track.title), state, original, actions);
    return tr;
  }

  function draw(tracks) {
    const rows = tracks.map(row);
    if (!rows.length) {
      const tr = el("tr", "no-tracks");
      const td = el("td", "empty", say("sayNoTracks", "No tracks yet: drop some files above."));
      td.colSpan = 5;
      tr.append(td);
      rows.push(tr);
    }
    tbody.replaceChildren(...rows);
  }

  let refreshing = null;
  async function refresh() {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      try {
        const response = await fetch(root.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok) throw new Error(`status ${response.status}`);
        const answer = await response.json();
        draw(answer.tracks);
        const present = new Set(answer.tracks.map((track) => track.id));
        for (const track of answer.tracks) {
          const view = watching.get(track.id);
          if (view) showTrackOnLine(view, track);
        }
        for (const [id, view] of watching) {  // removed from the release meanwhile
          if (!present.has(id)) finish(view, "error", say("sayRemoved", "the track was removed from the release"));
        }
        pollNote.textContent = answer.processing ? say("sayPolling", "Processing… this page updates by itself.") : "";
        schedule(answer.processing || watching.size > 0 || inFlight > 0, 1500);
      } catch (e) {
        pollNote.textContent = say("sayPollFailed", "Could not fetch the statuses; trying again…");
        schedule(true, 5000);
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  function schedule(again, delay) {
    clearTimeout(pollTimer);
    pollTimer = again ? setTimeout(refresh, delay) : null;
  }

  async function reprocess(button) {
    button.disabled = true;
    const response = await fetch(button.dataset.url, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) {
      let message = say("sayFailedStatus", "failed ({status})", { status: response.status });
      try { message = (await response.json()).error.message; } catch (e) { /* not JSON */ }
      pollNote.textContent = message;
    }
    await refresh();
  }

  // Drag and drop onto the zone (and anywhere on the section, so a near miss still counts).
  ["dragenter", "dragover"].forEach((type) => root.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  }));
  ["dragleave", "dragend"].forEach((type) => root.addEventListener(type, (event) => {
    if (!root.contains(event.relatedTarget)) zone.classList.remove("dragging");
  }));
  root.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    if (event.dataTransfer && event.dataTransfer.files.length) upload(event.dataTransfer.files);
  });
  picker.addEventListener("change", () => {
    if (picker.files.length) upload(picker.files);
    picker.value = "";
  });

  let replaceTarget = null;
  tbody.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.classList.contains("replace")) {
      replaceTarget = { url: button.dataset.url, title: button.dataset.title };
      replacePicker.click();
    } else if (button.classList.contains("reprocess")) {
      reprocess(button);
    }
  });
  replacePicker.addEventListener("change", () => {
    if (replaceTarget && replacePicker.files.length) replace(replaceTarget.url, replaceTarget.title, replacePicker.files[0]);
    replacePicker.value = "";
  });

  if (root.dataset.processing === "true") schedule(true, 1500);
})();
