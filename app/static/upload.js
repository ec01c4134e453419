// Upload tracks one request per file, so each file has its own progress bar and its own
// answer (a refused file does not hold back the others). XHR, because fetch() cannot report
// upload progress.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const list = form.querySelector(".upload-list");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const limitBytes = parseFloat(form.dataset.limitMb) * 1024 * 1024;

  function row(file) {
    const li = document.createElement("li");
    li.className = "upload-item";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    const message = document.createElement("span");
    message.className = "message";
    message.textContent = "waiting";
    li.append(name, bar, message);
    list.append(li);
    return { li, bar, message };
  }

  function send(file, view) {
    return new Promise((resolve) => {
      if (file.size > limitBytes) {
        view.li.classList.add("error");
        view.message.textContent = `larger than the ${form.dataset.limitMb} MB limit`;
        return resolve(false);
      }
      const body = new FormData();
      body.append("file", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.uploadUrl);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) {
          view.bar.value = Math.round((event.loaded / event.total) * 100);
          view.message.textContent = `${view.bar.value}%`;
        }
      });
      xhr.addEventListener("load", () => {
        let answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status === 202) {
          view.bar.value = 100;
          const track = (answer.tracks || [])[0] || {};
          view.li.classList.add("done");
          view.message.textContent = track.status === "ready" ? "ready" : "uploaded, processing";
          resolve(true);
        } else {
          view.li.classList.add("error");
          view.message.textContent = (answer.error && answer.error.message) || `failed (${xhr.status})`;
          resolve(false);
        }
      });
      xhr.addEventListener("error", () => {
        view.li.classList.add("error");
        view.message.textContent = "the connection failed";
        resolve(false);
      });
      view.message.textContent = "uploading";
      xhr.send(body);
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const files = Array.from(input.files);
    if (!files.length) return;
    const views = files.map(row);
    input.value = "";
    let anyAccepted = false;
    for (let i = 0; i < files.length; i++) {  // one at a time: the server transcodes anyway
      anyAccepted = (await send(files[i], views[i])) || anyAccepted;
    }
    if (anyAccepted) {
      const note = document.createElement("p");
      note.className = "meta reload-note";
      note.innerHTML = 'Done. <a href="">Reload</a> to see the tracks and their status.';
      form.append(note);
    }
  });
})();
