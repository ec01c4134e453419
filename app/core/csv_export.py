"""CSV text for every export, with formula injection neutralised in one place (``safe_cell``).

Invariant: every CSV the app writes (analytics, the open books, bank payouts, the CLI's copies
of them) goes through ``write_csv``, so no cell a spreadsheet opens starts with ``= + - @``, a
tab or a carriage return unless it is a plain number. Such a cell gets a leading apostrophe,
which spreadsheets show as text and never evaluate (OWASP's advice for CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# "-1.5" or "+3" cannot be a formula; keep numbers (negative corrections, say) as numbers.
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]+)?$")


def safe_cell(value) -> str:
    """``value`` as the text of one cell, prefixed with ``'`` if a spreadsheet would run it."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def write_csv(rows: Iterable[Iterable], *, lineterminator: str = "\n") -> str:
    """The rows as CSV text, every cell through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()
