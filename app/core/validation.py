"""The one input check every request passes before its view: text and JSON that no view, service
or database can choke on.

Invariants, for every route (pages, API, webhooks, health) and every user:
- No text the request carries holds a NUL character or an unpaired UTF-16 surrogate: the path
  and its segments, query keys and values, form keys and values, uploaded file names, and every
  key and string of a JSON body. PostgreSQL cannot store NUL in text, and a lone surrogate cannot
  be encoded as UTF-8; either would otherwise surface as a 500. Refused with 422.
- A JSON body is at most ``MAX_JSON_KB`` (413) and nested at most ``MAX_JSON_DEPTH`` deep (422),
  so no parser or walker recurses without bound.
- Refusals are ``ServiceError``s: ``app.core.error_handlers`` renders them in the API's one JSON shape
  under ``/api`` and ``/webhooks``, and as an error page elsewhere.

Streaming multipart uploads (views marked with ``multipart_fields``) parse their own body; their
parser calls ``check_form`` on what it read, so the same rules hold there.
"""

from __future__ import annotations

import json

from flask import Flask, current_app, request

from app.core.errors import InvalidText, JsonTooDeep, PayloadTooLarge

_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def init_app(app: Flask) -> None:
    app.before_request(check_request)


def is_bad_text(text: str) -> bool:
    """True if ``text`` holds a NUL or a lone surrogate (anything UTF-8 cannot encode)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_text(where: str, text) -> None:
    """Refuse ``text`` (found in ``where``, e.g. "the query parameter 'q'") if it is bad."""
    if isinstance(text, str) and is_bad_text(text):
        raise InvalidText(
            f"{where[:1].upper()}{where[1:]} contains a NUL character or an invalid (unpaired "
            "surrogate) character; send plain UTF-8 text.",
            field=_printable(where),
        )


def _printable(text: str | None) -> str:
    # A multipart part whose name Werkzeug cannot parse (name="a\") has the key None.
    text = text or ""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def check_form(form, files=None) -> None:
    """Every key and value of a parsed form, and every uploaded file's name."""
    for key, values in form.lists():
        check_text("a form field name", key)
        for value in values:
            check_text(f"the form field '{_printable(key)}'", value)
    for key, storages in files.lists() if files is not None else ():
        check_text("a form field name", key)
        for storage in storages:
            check_text(f"the name of the file in '{_printable(key)}'", storage.filename)


def check_request() -> None:
    """The before-request hook: path, query, form and JSON body of the request."""
    check_text("the address", request.path)
    for key, values in request.args.lists():
        check_text("a query parameter name", key)
        for value in values:
            check_text(f"the query parameter '{_printable(key)}'", value)
    if request.mimetype in _FORM_TYPES and not _parses_own_body():
        check_form(request.form, request.files)
    if request.is_json:
        _check_json_body()


def _parses_own_body() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, "multipart_fields", None) is not None


def _check_json_body() -> None:
    limit = current_app.config["MAX_JSON_KB"] * 1024
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(
            f"The request body is too large: a JSON body may be at most {limit // 1024} kB.", code="json_too_large"
        )
    data = request.get_data(cache=True)  # kept: the view (or the webhook's signature) reads it again
    if len(data) > limit:
        raise PayloadTooLarge(
            f"The request body is too large: a JSON body may be at most {limit // 1024} kB.", code="json_too_large"
        )
    if not data.strip():
        return
    try:
        body = json.loads(data)
    except RecursionError:
        body = _TOO_DEEP
    except ValueError:
        return  # not JSON at all: the view answers that in its own words (400/422)
    check_json(body, current_app.config["MAX_JSON_DEPTH"])


_TOO_DEEP = object()


def check_json(body, max_depth: int) -> None:
    """Walk a parsed JSON value without recursion: depth, keys and strings."""
    if body is _TOO_DEEP:
        raise JsonTooDeep(f"The JSON body is nested more than {max_depth} levels deep.")
    stack = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            check_text("a string in the JSON body", value)
        elif isinstance(value, (dict, list)):
            if depth > max_depth:
                raise JsonTooDeep(f"The JSON body is nested more than {max_depth} levels deep.")
            if isinstance(value, dict):
                for key, item in value.items():
                    check_text("a key in the JSON body", key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
