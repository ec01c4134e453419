// As-you-type search: the header's search box shows the best few artists, releases, tracks
// and genres while typing (GET the JSON search API, debounced; answers to older keystrokes
// are dropped). Arrow keys move through the suggestions, Enter opens one, Escape closes.
// Listeners sit on the document because page navigation swaps the header (player.js).
(function () {
  "use strict";
  if (window.encoreSearch) return;
  window.encoreSearch = true;

  const KINDS = [["artists", "Artist"], ["releases", "Release"], ["tracks", "Track"], ["tags", "Genre"]];
  let timer = null;
  let asked = 0;

  function boxOf(target) {
    const form = target && target.closest && target.closest("form.search[data-suggest-url]");
    if (!form) return null;
    return { form, input: form.querySelector("input[name=q]"), list: form.querySelector(".suggestions") };
  }

  function close(box) {
    box.list.hidden = true;
    box.list.replaceChildren();
    box.input.setAttribute("aria-expanded", "false");
    box.input.removeAttribute("aria-activedescendant");
  }

  function highlighted(parts) {
    const span = document.createElement("span");
    span.className = "name";
    for (const part of parts) {
      const node = part.match ? document.createElement("mark") : document.createTextNode(part.text);
      if (part.match) node.textContent = part.text;
      span.append(node);
    }
    return span;
  }

  function detail(kind, hit) {
    if (kind === "releases") return hit.artist.name;
    if (kind === "tracks") return `${hit.release.artist.name} · ${hit.release.title}`;
    return "";
  }

  function option(box, id, href, label, parts, extra) {
    const li = document.createElement("li");
    li.id = id;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    const a = document.createElement("a");
    a.href = href;
    a.tabIndex = -1;
    const kind = document.createElement("span");
    kind.className = "kind meta";
    kind.textContent = label;
    a.append(kind, parts);
    if (extra) {
      const more = document.createElement("span");
      more.className = "meta";
      more.textContent = extra;
      a.append(more);
    }
    li.append(a);
    box.list.append(li);
  }

  function show(box, query, data) {
    box.list.replaceChildren();
    let n = 0;
    for (const [kind, label] of KINDS) {
      for (const hit of data[kind] || []) {
        option(box, `suggestion-${n++}`, hit.page_url, label, highlighted(hit.highlight), detail(kind, hit));
      }
    }
    const all = document.createElement("span");
    all.className = "name";
    all.textContent = n ? `All results for “${query}”` : `Nothing found for “${query}”: search anyway`;
    option(box, `suggestion-${n}`, `${box.form.action}?q=${encodeURIComponent(query)}`, "", all, "");
    box.list.hidden = false;
    box.input.setAttribute("aria-expanded", "true");
  }

  async function suggest(box) {
    const query = box.input.value.trim();
    const mine = ++asked;
    if (query.length < 2) { close(box); return; }
    const url = `${box.form.dataset.suggestUrl}?limit=4&q=${encodeURIComponent(query)}`;
    let data;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      data = await response.json();
    } catch (error) {
      return; // offline or aborted: the form still submits to the full search page
    }
    if (mine !== asked) return; // a later keystroke asked again
    show(box, query, data);
  }

  function move(box, step) {
    const options = [...box.list.querySelectorAll("[role=option]")];
    if (!options.length) return;
    const current = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
    const next = current < 0 ? (step > 0 ? 0 : options.length - 1) : (current + step + options.length) % options.length;
    options.forEach((o, i) => o.setAttribute("aria-selected", String(i === next)));
    box.input.setAttribute("aria-activedescendant", options[next].id);
    options[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("input", (event) => {
    const box = boxOf(event.target);
    if (!box || event.target !== box.input) return;
    clearTimeout(timer);
    timer = setTimeout(() => suggest(box), 150);
  });

  document.addEventListener("keydown", (event) => {
    const box = boxOf(event.target);
    if (!box || event.target !== box.input) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (box.list.hidden) { suggest(box); return; }
      event.preventDefault();
      move(box, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Escape") {
      if (!box.list.hidden) event.preventDefault(); // close the list; a second Escape clears the box
      close(box);
    } else if (event.key === "Enter") {
      const chosen = box.list.querySelector("[aria-selected=true] a");
      if (chosen && !box.list.hidden) {
        event.preventDefault();
        close(box);
        chosen.click(); // a link click: the player's navigation keeps the music going
      }
    }
  });

  document.addEventListener("click", (event) => {
    for (const form of document.querySelectorAll("form.search[data-suggest-url]")) {
      const box = boxOf(form);
      if (!form.contains(event.target)) close(box);
      else if (event.target.closest(".suggestions a")) close(box);
    }
  });
})();
