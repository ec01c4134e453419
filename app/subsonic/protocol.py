"""The Subsonic protocol: parameters, the response envelope (XML, JSON, JSONP), error codes.

A response is a tree of plain dicts and lists, rendered to both formats by one rule:

- a scalar value is an XML attribute (booleans ``true``/``false``) and a JSON member;
- a dict is a child element / a JSON object;
- a list is repeated child elements / a JSON array (of objects, or of scalars: an element
  with text content each);
- the key ``value`` is an element's text content (lyrics lines) and JSON's ``value``;
- a ``Text`` is a child element with text content in XML, a string in JSON;
- ``None`` is left out of both.

Errors are answered with HTTP 200 and ``status="failed"``, as every Subsonic client expects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from flask import Response, request
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from app.core.converters import MAX_ID

API_VERSION = "1.16.1"
SERVER_TYPE = "encore"
SERVER_VERSION = "1.0.0"
XMLNS = "http://subsonic.org/restapi"

# The standard error codes (Subsonic 1.16.1 and OpenSubsonic).
GENERIC = 0
MISSING_PARAMETER = 10
CLIENT_TOO_OLD = 20
SERVER_TOO_OLD = 30
WRONG_CREDENTIALS = 40
TOKEN_AUTH_NOT_SUPPORTED = 41
AUTH_MECHANISM_NOT_SUPPORTED = 42
CONFLICTING_AUTH = 43
INVALID_API_KEY = 44
NOT_AUTHORIZED = 50
NOT_FOUND = 70


class Text(str):
    """A string that is an element's text in XML (``<biography>...</biography>``) and a plain
    string in JSON (the XSD's xs:string elements, where an attribute would be wrong)."""


class SubsonicError(Exception):
    """A refusal answered in the Subsonic envelope with one of the standard codes."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Call:
    """One API call: its parameters (query and form, repeated ones kept) and who makes it."""

    params: MultiDict
    name: str = ""  # the method, lower case
    user: Any = None  # app.accounts.models.User once authenticated

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.params.get(name)
        return default if value is None else value

    def required(self, name: str) -> str:
        value = self.params.get(name)
        if value is None or value == "":
            raise SubsonicError(MISSING_PARAMETER, f"Required parameter is missing: {name}")
        return value

    def all(self, name: str) -> list[str]:
        return [v for v in self.params.getlist(name) if v != ""]

    def integer(self, name: str, default: int | None = None, *, minimum: int = 0, maximum: int | None = None):
        value = self.params.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise SubsonicError(GENERIC, f"Parameter {name} must be a whole number.") from None
        # Never beyond what a column holds: a huge offset or year is the largest one, not a 500.
        return min(max(number, minimum), MAX_ID if maximum is None else maximum)

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        value = self.params.get(name)
        if value is None or value == "":
            return default
        return value.lower() in ("true", "1", "yes")


def current_call() -> Call:
    """The request's parameters: the query string and, for POST (formPost), the form."""
    return Call(CombinedMultiDict([request.args, request.form]))


# --- method registry ----------------------------------------------------------------------------

Method = Callable[[Call], Any]
METHODS: dict[str, Method] = {}


def method(*names: str):
    """Register a function as the Subsonic method(s) ``names``; it returns the payload dict
    (or a Flask response for binary answers)."""

    def register(fn: Method) -> Method:
        for name in names:
            METHODS[name.lower()] = fn
        return fn

    return register


# --- rendering ----------------------------------------------------------------------------------


def envelope(status: str) -> dict:
    return {
        "status": status,
        "version": API_VERSION,
        "type": SERVER_TYPE,
        "serverVersion": SERVER_VERSION,
        "openSubsonic": True,
    }


def ok(payload: dict | None, fmt: str, callback: str | None) -> Response:
    return _render(envelope("ok") | (payload or {}), fmt, callback)


def failed(error: SubsonicError, fmt: str, callback: str | None) -> Response:
    return _render(envelope("failed") | {"error": {"code": error.code, "message": error.message}}, fmt, callback)


_CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,99}$")


def _render(tree: dict, fmt: str, callback: str | None) -> Response:
    if fmt == "json":
        return Response(json.dumps({"subsonic-response": _json(tree)}), mimetype="application/json")
    if fmt == "jsonp":
        # Only a plain JavaScript name may be echoed back: anything else could inject script.
        name = callback if callback and _CALLBACK.match(callback) else "callback"
        body = f"{name}({json.dumps({'subsonic-response': _json(tree)})});"
        return Response(body, mimetype="application/javascript")
    xml = '<?xml version="1.0" encoding="UTF-8"?>' + _element("subsonic-response", tree, xmlns=True)
    return Response(xml, mimetype="text/xml", content_type="text/xml; charset=utf-8")


def _json(node):
    if isinstance(node, dict):
        return {k: _json(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_json(v) for v in node if v is not None]
    return node


def _attr(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(name: str, node: dict, *, xmlns: bool = False) -> str:
    attrs = [f' xmlns="{XMLNS}"'] if xmlns else []
    children: list[str] = []
    text = ""
    for key, value in node.items():
        if value is None:
            continue
        if isinstance(value, Text):
            children.append(f"<{key}>{escape(value)}</{key}>")
        elif key == "value" and not isinstance(value, (dict, list)):
            text = escape(_attr(value))
        elif isinstance(value, dict):
            children.append(_element(key, value))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    children.append(_element(key, item))
                elif item is not None:
                    children.append(f"<{key}>{escape(_attr(item))}</{key}>")
        else:
            attrs.append(f" {key}={quoteattr(_attr(value))}")
    inner = text + "".join(children)
    if not inner:
        return f"<{name}{''.join(attrs)}/>"
    return f"<{name}{''.join(attrs)}>{inner}</{name}>"
