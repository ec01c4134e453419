"""The translation catalogs: extract, update, compile and check them, one domain at a time.

Invariants (docs/TRANSLATING.md has the recipe):
- Each domain keeps its own catalog, ``app/<domain>/translations/<lang>/LC_MESSAGES/messages.po``;
  the ``core`` catalog (``app/core/translations``) holds base.html, the error pages, the shared
  partials (``app/templates``) and ``app/core``'s messages.
- The ``.po`` is sorted by message and carries no line numbers, so moving a string in a template
  changes nothing and two branches adding messages rarely touch the same lines.
- The ``.mo`` next to it is what the app reads; it is committed and must be exactly what
  ``compile_catalog`` makes of the ``.po`` (the tests check it).

Usage: ``python -m app.core.catalogs update [DOMAIN ...]`` (extract, merge into each
language's .po, compile), ``compile [DOMAIN ...]``, ``check`` (exit status 1 when a catalog has
an untranslated or fuzzy message, is behind its sources, or its .mo is stale).
"""

from __future__ import annotations

import io
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

APP = Path(__file__).resolve().parent.parent
ROOT = APP.parent
TARGET_LANGUAGES = ("fr",)  # English is the source language: msgids are the English text
# The refusals (app.core.errors) carry English messages, shared with the JSON API; pages show
# them translated when the catalogs know them (app.core.error_pages.translated), so their
# literal messages are extracted like gettext's. Messages built with f-strings are skipped.
REFUSALS = ("ServiceError", "ValidationFailed", "InvalidText", "NotFound", "Forbidden", "Conflict", "Unauthorized")
REFUSALS += ("BadCredentials", "AccountLocked", "PaymentRequired", "Unavailable", "CsrfFailed", "TooManyRequests")
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2), **dict.fromkeys(REFUSALS)}
# A fixed date keeps re-running `update` from rewriting every header.
_CREATED = datetime(2026, 12, 1, tzinfo=timezone.utc)


def domains() -> list[str]:
    """The domains that have a catalog (``core`` first)."""
    found = sorted(folder.parent.name for folder in APP.glob("*/translations") if folder.is_dir())
    return sorted(found, key=lambda name: name != "core")


def sources(domain: str) -> list[Path]:
    return [APP / "core", APP / "templates"] if domain == "core" else [APP / domain]


def po_path(domain: str, language: str) -> Path:
    return APP / domain / "translations" / language / "LC_MESSAGES" / "messages.po"


def extract(domain: str) -> Catalog:
    """The messages the domain's sources mark today (a template, no translations)."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    template = Catalog(project="Encore", creation_date=_CREATED, fuzzy=False)
    for folder in sources(domain):
        if not folder.is_dir():
            continue
        for filename, lineno, message, comments, context in extract_from_dir(
            folder, method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True
        ):
            path = (folder / filename).relative_to(ROOT).as_posix()
            template.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(path: Path, language: str) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=language)


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, catalog, width=100, sort_output=True, include_lineno=False, ignore_obsolete=True)
    path.with_suffix(".mo").write_bytes(compiled(read_catalog(path, catalog.locale_identifier)))


def update(domain: str) -> None:
    """Extract the domain's messages and merge them into each language's .po (new messages
    empty, gone ones dropped), then compile."""
    template = extract(domain)
    for language in TARGET_LANGUAGES:
        path = po_path(domain, language)
        if path.exists():
            catalog = read_catalog(path, language)
            catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        else:
            catalog = Catalog(locale=language, project="Encore", creation_date=_CREATED, fuzzy=False)
            catalog.update(template, no_fuzzy_matching=True)
        catalog.revision_date = _CREATED
        _write(catalog, path)


def compile_domain(domain: str) -> None:
    for language in TARGET_LANGUAGES:
        path = po_path(domain, language)
        path.with_suffix(".mo").write_bytes(compiled(read_catalog(path, language)))


def problems(domain: str) -> list[str]:
    """What is wrong with the domain's catalogs: messages untranslated or fuzzy, messages the
    sources mark but the .po lacks (or the reverse), a .mo that is not the .po compiled."""
    found = []
    marked = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in extract(domain) if m.id}
    for language in TARGET_LANGUAGES:
        path = po_path(domain, language)
        if not path.exists():
            found.append(f"{path.relative_to(ROOT)}: missing (run: python -m app.core.catalogs update {domain})")
            continue
        catalog = read_catalog(path, language)
        where = path.relative_to(ROOT)
        present = set()
        for message in catalog:
            if not message.id:
                continue
            present.add((message.id if isinstance(message.id, str) else message.id[0], message.context))
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                found.append(f"{where}: fuzzy: {message.id!r}")
            elif not all(strings):
                found.append(f"{where}: untranslated: {message.id!r}")
        for msgid, _context in sorted(marked - present, key=str):
            found.append(f"{where}: not extracted yet (run update): {msgid!r}")
        for msgid, _context in sorted(present - marked, key=str):
            found.append(f"{where}: no longer in the sources (run update): {msgid!r}")
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(catalog):
            found.append(f"{mo.relative_to(ROOT)}: not the .po compiled (run: python -m app.core.catalogs compile)")
    return found


def main(argv: list[str]) -> int:
    command, names = (argv[0], argv[1:]) if argv else ("check", [])
    names = names or domains()
    if command == "update":
        for name in names:
            update(name)
            print(f"updated {name}")
    elif command == "compile":
        for name in names:
            compile_domain(name)
    elif command == "check":
        found = [problem for name in names for problem in problems(name)]
        print("\n".join(found) or "every catalog is complete and compiled")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
