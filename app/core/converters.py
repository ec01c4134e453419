"""URL converters: ``<int:...>`` in Encore's URLs is always an id, so it matches only numbers
an id column can hold."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Ids are INTEGER columns: 32 bits on PostgreSQL. A larger number names nothing.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` capped at ``MAX_ID``: a larger number is a 404 like any unknown id, instead
    of a database error (PostgreSQL's "integer out of range")."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def id_from_form(text: str | None) -> int:
    """An id sent in a form field, or 0 (which no row has: a "not found") when the text is not
    a whole number an id column can hold."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))):
        return 0
    value = int(text)
    return value if value <= MAX_ID else 0
