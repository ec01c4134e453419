"""Declared JSON request bodies: one declaration both checks the input and documents it.

    @bp.post("/things")
    @accepts(Field("name", str), Field("count", int, required=False))
    def create_thing(body): ...

The view receives a dict holding only declared fields, each of the declared type. Anything
else is a 4xx with the one JSON error shape (see ``app.core.error_handlers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import request

from app.core.converters import MAX_ID
from app.core.errors import UnsupportedMediaType, ValidationFailed

_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", float: "number"}
_TYPE_WORDS = {str: "a string", int: "an integer", bool: "true or false", float: "a number"}


@dataclass(frozen=True)
class Field:
    name: str
    type: type
    required: bool = True
    description: str = ""
    format: str | None = None  # OpenAPI format hint, e.g. "email", "date"
    nullable: bool = False

    def check(self, value):
        if value is None and (self.nullable or not self.required):
            return None
        # bool is a subclass of int in Python; JSON true is not an integer.
        ok = isinstance(value, self.type) and not (self.type is not bool and isinstance(value, bool))
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise ValidationFailed(f"'{self.name}' must be {_TYPE_WORDS[self.type]}.", field=self.name)
        return value

    def schema(self) -> dict:
        out = {"type": _JSON_TYPES[self.type]}
        if self.format:
            out["format"] = self.format
        if self.description:
            out["description"] = self.description
        if self.nullable:
            out["nullable"] = True
        return out


def read_json_object() -> dict:
    if not request.is_json:
        raise UnsupportedMediaType("Send a JSON body with 'Content-Type: application/json'.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("The body must be a JSON object.", code="bad_json")
    return body


def accepts(*fields: Field):
    """Parse the JSON body against ``fields`` and pass it to the view as ``body``."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            raw = read_json_object()
            unknown = sorted(set(raw) - {f.name for f in fields})
            if unknown:
                raise ValidationFailed(f"Unknown field(s): {', '.join(unknown)}.", field=unknown[0])
            body = {}
            for field in fields:
                if field.name not in raw:
                    if field.required:
                        raise ValidationFailed(f"'{field.name}' is required.", field=field.name)
                    continue
                body[field.name] = field.check(raw[field.name])
            return view(*args, body=body, **kwargs)

        wrapper.request_fields = fields  # read by the OpenAPI builder
        return wrapper

    return decorator


def query_int(name: str, default: int, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """An integer query argument; at most ``MAX_ID`` by default (ids, offsets: the database
    cannot compare or skip by larger numbers)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"'{name}' must be a whole number.", field=name) from None
    if value < minimum:
        raise ValidationFailed(f"'{name}' must be at least {minimum}.", field=name)
    if value > maximum:
        raise ValidationFailed(f"'{name}' must be at most {maximum}.", field=name)
    return value
