"""Languages: which one a request is answered in, the catalogs, and the locale-aware filters.

Invariants:
- A page is in one of ``LANGUAGES``. The choice, first that applies: the account's language
  (``users.language``), the visitor's choice kept in the session (``SESSION_KEY``), the best
  match of the browser's ``Accept-Language``, else English. ``<html lang>`` says the same.
- Translations live per domain, ``app/<domain>/translations/<lang>/LC_MESSAGES/messages.po``
  (``app/core/translations`` for base.html and the error pages), so parallel work on two
  domains never touches one file. Flask-Babel merges every folder listed in
  ``BABEL_TRANSLATION_DIRECTORIES``. The compiled ``.mo`` files are committed next to their
  ``.po`` (no build step; tests/core/test_translations.py checks they match), see
  docs/TRANSLATING.md.
- Numbers, credits, money and dates reach pages through the filters below only, each named
  once: ``number``, ``credits``, ``money``, ``date``, ``utc`` (date and time, in UTC). The
  JSON API keeps its plain, locale-free text (``ledger.units``).

``app.core`` imports no domain: the account's language is read with ``getattr`` on Flask-Login's
``current_user``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from babel import numbers
from babel.dates import format_date, format_time, get_datetime_format
from flask import Flask, current_app, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user

from ledger.units import format_credits

LANGUAGES = {"en": "English", "fr": "Français"}  # code -> the language's name in itself
DEFAULT_LANGUAGE = "en"
SESSION_KEY = "language"  # a visitor's choice (an account's is users.language)

babel = Babel()


def translation_directories() -> list[Path]:
    """Every ``app/<domain>/translations`` folder (``app/core`` included)."""
    root = Path(__file__).resolve().parent.parent
    return sorted(folder for folder in root.glob("*/translations") if folder.is_dir())


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(str(d) for d in translation_directories()))
    babel.init_app(app, locale_selector=select_language)
    # {% trans %} blocks collapse their whitespace (the extractor is told the same in babel.cfg).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters.update(
        number=format_number, credits=format_credits_for_people, money=format_money, date=format_day, utc=format_utc
    )
    app.jinja_env.globals.update(current_language=current_language, languages=LANGUAGES)
    app.after_request(_vary_on_language)


def _vary_on_language(response):
    """A page's words depend on Accept-Language: tell caches (a proxy must not hand a French
    page to an English browser)."""
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
    return response


def browser_language() -> str:
    """The supported language the browser prefers (``Accept-Language``), else English.

    Each asked-for tag counts as its primary language ("en-GB" is English) in the browser's
    order of preference: "en-GB, fr;q=0.5" is English (Werkzeug's best_match would say French,
    an exact match outranking a regional one whatever the weights)."""
    if not request:
        return DEFAULT_LANGUAGE
    for tag, quality in request.accept_languages:  # highest quality first
        primary = tag.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def select_language() -> str:
    """The request's language (the order is in the module docstring)."""
    if not request:
        return DEFAULT_LANGUAGE
    try:
        chosen = getattr(current_user, "language", None) if current_user else None
        if chosen not in LANGUAGES:
            chosen = session.get(SESSION_KEY)
    except Exception:  # an error page after the database failed: the browser's language will do
        chosen = None
    return chosen if chosen in LANGUAGES else browser_language()


def current_language() -> str:
    """The page's language code, for ``<html lang>``."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def _locale():
    return get_locale() or DEFAULT_LANGUAGE


def format_number(value: int | Decimal) -> str:
    """A count or an exact decimal with the locale's separators, every significant digit kept:
    12,345 / 12 345, 0.0001 / 0,0001 (never rounded to the locale's usual three decimals)."""
    if isinstance(value, Decimal):
        value = value.normalize()
    return numbers.format_decimal(value, locale=_locale(), decimal_quantization=False)


def format_credits_for_people(micro: int) -> str:
    """Integer micro-credits as the locale writes decimals, every significant digit kept
    (2000 -> "0.002" / "0,002"); converted through ``ledger.units`` text, never a float."""
    return numbers.format_decimal(Decimal(format_credits(micro)), format="#,##0.######", locale=_locale())


def format_money(minor: int, currency: str | None = None) -> str:
    """Integer minor units (cents) with the currency's code, rounded down like
    ``ledger.units.format_money``: 625 -> "6.25 EUR" / "6,25 EUR"."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"an amount of money is an integer of minor units, not {minor!r}")
    value = (Decimal(minor) / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return numbers.format_currency(
        value,
        currency or current_app.config["CURRENCY"],
        format="#,##0.00 ¤¤",
        locale=_locale(),
        currency_digits=False,
    )


def format_day(at: datetime | None) -> str:
    """A day as the locale writes it: "Dec 2, 2026" / "2 déc. 2026"."""
    return format_date(at, format="medium", locale=_locale()) if at else "–"


def format_utc(at: datetime | None) -> str:
    """A moment, in UTC and saying so: "Dec 2, 2026, 06:14 UTC" / "2 déc. 2026, 06:14 UTC"."""
    if at is None:
        return "–"
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc)
    locale = _locale()
    day = format_date(at, format="medium", locale=locale)
    # The locale's way of joining a date and a time ("{1}, {0}"), with a 24-hour clock.
    return get_datetime_format("medium", locale=locale).format(format_time(at, "HH:mm", locale=locale), day) + " UTC"
