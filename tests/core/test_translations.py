"""The translation catalogs are complete and current, and templates leave no visible English
outside the translation markers (docs/TRANSLATING.md)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo

from app.core import catalogs

APP = Path(catalogs.__file__).resolve().parent.parent

# Domains whose pages are translated: each must keep a complete French catalog.
TRANSLATED_DOMAINS = (
    "core",
    "accounts",
    "admin",
    "governance",
    "payments",
    "analytics",
    "catalog",
    "library",
    "sharing",
    "streaming",
    "studio",
    "subsonic",
    "uploads",
)

# Template folders whose text is not marked for translation yet (other people were editing them
# when the rest was done). Shrink this as they are done; a test says when an entry is no longer
# needed. A domain added later starts here or, better, translated.
NOT_YET_TRANSLATED: tuple[str, ...] = ()  # every domain is translated

# Words that read the same in every language: names, codes, units, the examples in placeholders
# (a country code, an IBAN, a receipt's prefix).
SAME_IN_EVERY_LANGUAGE = {"Encore", "Stripe", "IBAN", "CSV", "JSON", "EUR", "UTC", "SHA", "FR", "rcpt"}

_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")
_TAG = re.compile(r"<(\w+)")


@pytest.mark.parametrize("domain", catalogs.domains())
def test_every_catalog_is_complete_current_and_compiled(domain):
    """Every marked message has a French translation (not empty, not fuzzy), the .po holds
    exactly what the sources mark, and the committed .mo is the .po compiled."""
    assert catalogs.problems(domain) == []


def test_the_translated_domains_have_catalogs():
    assert set(TRANSLATED_DOMAINS) <= set(catalogs.domains())


@pytest.mark.parametrize("domain", catalogs.domains())
def test_translations_keep_the_placeholders_and_the_markup(domain):
    """A translation that drops or renames %(name)s (or {name}) breaks the page at render time;
    one that drops a link loses the link."""
    mo = catalogs.po_path(domain, "fr").with_suffix(".mo")
    with open(mo, "rb") as f:
        catalog = read_mo(f)
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        for translated in strings:
            if sorted(set(_PLACEHOLDER.findall(ids[-1]))) != sorted(set(_PLACEHOLDER.findall(translated))):
                wrong.append(f"placeholders differ: {ids[0]!r} -> {translated!r}")
            if sorted(_TAG.findall(ids[0])) != sorted(_TAG.findall(translated)):
                wrong.append(f"markup differs: {ids[0]!r} -> {translated!r}")
    assert wrong == []


# --- visible English left in templates ---------------------------------------------------------


class _VisibleText(HTMLParser):
    """Text a person sees or hears: text nodes and the attributes read aloud or shown."""

    ATTRIBUTES = frozenset({"alt", "title", "placeholder", "aria-label"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skipping += 1
        for name, value in attrs:
            if name in self.ATTRIBUTES and value:
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.found.append(data)


_WORD = re.compile(r"[A-Za-z]{2,}")
_SENTENCE = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")
_GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
# Keyword arguments whose strings are markup, not words (``cover(release, class="cover thumb")``).
_MARKUP_ARGUMENTS = {"class", "sizes"}


def untranslated_text(env, source: str) -> list[str]:
    """Visible words outside {{ _(...) }} and {% trans %}: the template's plain text (with each
    {{ ... }} as an opaque value), and string literals that look like sentences inside
    {{ ... }} / {% ... %} but outside a gettext call."""
    text, found = [], []
    in_trans = False
    stack: list[bool] = []  # one entry per open parenthesis: is it a gettext call?
    previous = None
    argument = None  # the keyword argument a string is being assigned to
    for token in env.lexer.tokenize(source):
        kind, value = token.type, token.value
        if kind == "name" and value in ("trans", "pluralize") and previous == "block_begin":
            in_trans = True
        elif kind == "name" and value == "endtrans":
            in_trans = False
        if kind == "data":
            if not in_trans:
                text.append(value)
        elif kind == "variable_begin" and not in_trans:
            text.append("\x00")
        elif kind == "lparen":
            stack.append(previous == "gettext-name")
        elif kind == "rparen" and stack:
            stack.pop()
        elif (
            kind == "string"
            and not any(stack)
            and not in_trans
            and _SENTENCE.search(value)
            and not (previous == "assign" and argument in _MARKUP_ARGUMENTS)  # class="...": markup
        ):
            found.append(value)
        if kind == "name":
            argument = value
        elif kind != "assign":
            argument = None
        previous = "gettext-name" if kind == "name" and value in _GETTEXT else kind
    parser = _VisibleText()
    parser.feed("".join(text))
    for chunk in parser.found:
        words = [w for w in _WORD.findall(chunk.replace("\x00", " ")) if w not in SAME_IN_EVERY_LANGUAGE]
        if words:
            found.append(chunk.replace("\x00", "{{…}}").strip())
    return found


def _templates() -> dict[str, Path]:
    """Every template by its loader name (``base.html``, ``accounts/login.html``, ...)."""
    folders = [APP / "templates"] + sorted(APP.glob("*/templates"))
    return {p.relative_to(folder).as_posix(): p for folder in folders for p in sorted(folder.rglob("*.html"))}


TEMPLATES = _templates()


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_no_visible_english_outside_translation_markers(app, name):
    if name.startswith(NOT_YET_TRANSLATED):
        pytest.skip("not translated yet (NOT_YET_TRANSLATED)")
    found = untranslated_text(app.jinja_env, TEMPLATES[name].read_text())
    assert found == [], f"{name}: mark these with {{{{ _('...') }}}} or {{% trans %}} (docs/TRANSLATING.md)"


def test_the_not_yet_translated_list_only_holds_untranslated_folders(app):
    for folder in NOT_YET_TRANSLATED:
        names = [name for name in TEMPLATES if name.startswith(folder)]
        if names and not any(untranslated_text(app.jinja_env, TEMPLATES[name].read_text()) for name in names):
            pytest.fail(f"every template in {folder} is translated: remove it from NOT_YET_TRANSLATED")


def test_the_checker_finds_untranslated_text(app):
    """The lint above can fail: plain text, attributes and sentence literals are caught, marked
    text is not."""
    source = """<h1>Hello</h1><p>{{ _("Marked") }} {% trans %}Also marked{% endtrans %}</p>
      <input placeholder="Type here"><img alt="{{ _('Cover') }}">{{ "Not marked at all" if x else y }}
      <a href="{{ url_for('web.index') }}">Encore</a>{{ _("Fine %(n)s", n=("a b" if x else "c")) }}"""
    assert untranslated_text(app.jinja_env, source) == ["Not marked at all", "Hello", "Type here"]
