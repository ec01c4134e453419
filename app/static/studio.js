// The studio's release and profile pages: drop an image (preview at once, then stored through
// the API in three sizes), and reorder tracks by dragging or with their Up/Down buttons
// (which also work as plain forms without this script). The words it writes come from the
// data-say-* attributes of the drop zone and the track list, in the page's language ({name}
// placeholders filled in here); the English below is the fallback.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  // The words of element el for key (a data-say-* attribute, camelCased), placeholders filled in.
  function say(el, key, english, values) {
    let text = (el && el.dataset[key]) || english;
    for (const [name, value] of Object.entries(values || {})) text = text.split(`{${name}}`).join(String(value));
    return text;
  }

  function send(method, url, body) {
    const headers = { "X-CSRFToken": csrf, Accept: "application/json" };
    if (!(body instanceof FormData)) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method,
      headers,
      body: body instanceof FormData ? body : JSON.stringify(body),
      credentials: "same-origin",
    }).then((response) =>
      response
        .json()
        .catch(() => ({}))
        .then((answer) => {
          if (!response.ok) {
            throw new Error((answer.error && answer.error.message) ||
              say(document.querySelector("[data-say-failed-status]"), "sayFailedStatus", "failed ({status})", { status: response.status }));
          }
          return answer;
        })
    );
  }

  // --- the image drop zone -------------------------------------------------------------------
  const zone = document.getElementById("cover-drop");
  if (zone) {
    const input = document.getElementById("cover-file");
    const preview = document.getElementById("cover-preview");
    const placeholder = document.getElementById("cover-placeholder");
    const status = document.getElementById("cover-status");

    function upload(file) {
      if (!file) return;
      if (!/^image\//.test(file.type)) {
        status.textContent = say(zone, "sayNotImage", "“{name}” is not an image.", { name: file.name });
        return;
      }
      const reader = new FileReader(); // a data: URL, which the page's CSP allows for images
      reader.addEventListener("load", () => {
        preview.src = reader.result;
        preview.hidden = false;
        if (placeholder) placeholder.hidden = true;
      });
      reader.readAsDataURL(file);
      status.textContent = say(zone, "saySaving", "Saving…");
      zone.classList.add("busy");
      const body = new FormData();
      body.append("file", file, file.name);
      send("PUT", zone.dataset.uploadUrl, body)
        .then(() => {
          status.textContent = say(zone, "saySaved", "Saved in three sizes.");
          zone.dataset.saved = "true";
        })
        .catch((error) => {
          status.textContent = error.message;
        })
        .finally(() => zone.classList.remove("busy"));
    }

    input.addEventListener("change", () => upload(input.files[0]));
    ["dragenter", "dragover"].forEach((name) =>
      zone.addEventListener(name, (event) => {
        event.preventDefault();
        zone.classList.add("over");
      })
    );
    ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, () => zone.classList.remove("over")));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      upload(event.dataTransfer.files[0]);
    });
  }

  // --- reordering tracks ---------------------------------------------------------------------
  const list = document.getElementById("track-list");
  if (!list) return;
  const status = document.getElementById("reorder-status");
  let dragged = null;

  function items() {
    return Array.from(list.querySelectorAll("li.studio-track"));
  }

  function renumber() {
    items().forEach((li, i) => {
      li.querySelector(".num").textContent = String(i + 1);
    });
  }

  // Tell the server the track's new number; on refusal, put the list back as the server has it.
  function save(li) {
    const position = items().indexOf(li) + 1;
    const title = li.querySelector(".title").textContent;
    renumber();
    list.setAttribute("aria-busy", "true");
    return send("PATCH", li.dataset.updateUrl, { position })
      .then((answer) => {
        status.textContent = say(list, "sayMoved", "“{title}” is now track {number}.", { title, number: answer.track.position });
        list.dataset.saved = String(Date.now());
      })
      .catch((error) => {
        status.textContent = say(list, "sayReloading", "{message} Reloading…", { message: error.message });
        window.location.reload();
      })
      .finally(() => list.removeAttribute("aria-busy"));
  }

  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li.studio-track");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.trackId);
  });
  list.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const over = event.target.closest("li.studio-track");
    if (!over || over === dragged) return;
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", (event) => event.preventDefault());
  list.addEventListener("dragend", () => {
    if (!dragged) return;
    const li = dragged;
    dragged = null;
    li.classList.remove("dragging");
    save(li);
  });

  // The Up/Down buttons: move in place and keep the focus on the pressed button.
  list.addEventListener("submit", (event) => {
    const form = event.target.closest("form.move");
    if (!form) return;
    event.preventDefault();
    const li = form.closest("li.studio-track");
    const button = form.querySelector("button");
    const up = button.dataset.direction === "up";
    const sibling = up ? li.previousElementSibling : li.nextElementSibling;
    if (!sibling) {
      status.textContent = up
        ? say(list, "sayFirst", "It is the first track already.")
        : say(list, "sayLast", "It is the last track already.");
      return;
    }
    list.insertBefore(li, up ? sibling : sibling.nextSibling);
    button.focus();
    save(li);
  });
})();
