// The genre tag editor (catalog/_tag_editor.html): add comma-separated tags, remove one with
// its × button; each change is saved at once with PATCH .../tags and the chips are redrawn
// from the tags the server kept (normalised). Errors are shown next to the field. Its words
// come from the editor's data-* attributes (in the page's language; {name} placeholders).
(function () {
  "use strict";
  if (window.encoreTags) return;
  window.encoreTags = true;
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const words = (editor, key, english) => editor.dataset[key] || english;

  function draw(editor, tags) {
    const list = editor.querySelector(".tag-list");
    list.replaceChildren();
    for (const tag of tags) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = editor.dataset.tagUrl.replace("TAG", encodeURIComponent(tag));
      a.textContent = tag;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link remove-tag";
      remove.dataset.tag = tag;
      remove.setAttribute("aria-label", words(editor, "removeLabel", "Remove tag {tag}").replace("{tag}", tag));
      remove.textContent = "×";
      li.append(a, " ", remove);
      list.append(li);
    }
  }

  async function change(editor, body) {
    const status = editor.querySelector(".tag-status");
    status.textContent = words(editor, "saving", "Saving…");
    status.classList.remove("error");
    try {
      const response = await fetch(editor.dataset.tagsUrl, {
        method: "PATCH",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(body),
      });
      const data = await response.json();
      if (!response.ok) throw new Error(data.error ? data.error.message : `HTTP ${response.status}`);
      draw(editor, data.tags);
      status.textContent = words(editor, "saved", "Saved.");
      return true;
    } catch (error) {
      status.textContent = words(editor, "notSaved", "Not saved: {reason}").replace("{reason}", error.message);
      status.classList.add("error");
      return false;
    }
  }

  async function add(editor) {
    const input = editor.querySelector(".tag-input");
    const tags = input.value.split(",").map((t) => t.trim()).filter(Boolean);
    if (tags.length && (await change(editor, { add: tags }))) input.value = "";
  }

  document.addEventListener("click", (event) => {
    const editor = event.target.closest(".tag-editor");
    if (!editor) return;
    if (event.target.closest(".add-tag")) add(editor);
    const remove = event.target.closest(".remove-tag");
    if (remove) change(editor, { remove: [remove.dataset.tag] });
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !event.target.matches(".tag-editor .tag-input")) return;
    event.preventDefault();
    add(event.target.closest(".tag-editor"));
  });
})();
