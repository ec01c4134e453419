"""Declared JSON request bodies: one declaration both checks the input and documents it.

    @bp.post("/things")
    @accepts(Field("name", str), Field("count", int, required=False))
    def create_thing(body): ...

The view receives a dict holding only declared fields, each of the declared type. Anything
else is a 4xx with the one JSON error shape (see ``app.core.error_handlers``). ``null`` is
accepted only for a field declared ``nullable`` (an optional field is left out, not null).

Query parameters and the answers a view gives besides the usual ones are declared with
``@documented(...)``; ``query_int``/``query_str`` refuse to read a parameter the view did not
declare, so the OpenAPI document lists every parameter the API reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import current_app, request

from app.core.converters import MAX_ID
from app.core.errors import UnsupportedMediaType, ValidationFailed

_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", float: "number", list: "array"}
_TYPE_WORDS = {str: "a string", int: "an integer", bool: "true or false", float: "a number", list: "a list"}


@dataclass(frozen=True)
class Field:
    name: str
    type: type
    required: bool = True
    description: str = ""
    format: str | None = None  # OpenAPI format hint, e.g. "email", "date"
    nullable: bool = False
    items: type | None = None  # for a list: the type of every item

    def check(self, value):
        if value is None:
            if self.nullable:
                return None
            raise ValidationFailed(f"'{self.name}' cannot be null.", field=self.name)
        # bool is a subclass of int in Python; JSON true is not an integer.
        ok = isinstance(value, self.type) and not (self.type is not bool and isinstance(value, bool))
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise ValidationFailed(f"'{self.name}' must be {_TYPE_WORDS[self.type]}.", field=self.name)
        if self.items is not None and not all(
            isinstance(item, self.items) and not isinstance(item, bool) for item in value
        ):
            raise ValidationFailed(f"Every item of '{self.name}' must be {_TYPE_WORDS[self.items]}.", field=self.name)
        return value

    def schema(self) -> dict:
        out: dict = {"type": _JSON_TYPES[self.type]}
        if self.items is not None:
            out["items"] = {"type": _JSON_TYPES[self.items]}
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


@dataclass(frozen=True)
class Query:
    """A query parameter, as the OpenAPI document shows it (``query_int``/``query_str`` read it)."""

    name: str
    type: type = str
    description: str = ""
    minimum: int | None = None
    maximum: int | None = None
    format: str | None = None

    def parameter(self) -> dict:
        schema: dict = {"type": _JSON_TYPES[self.type]}
        for key in ("minimum", "maximum", "format"):
            if getattr(self, key) is not None:
                schema[key] = getattr(self, key)
        out = {"name": self.name, "in": "query", "required": False, "schema": schema}
        if self.description:
            out["description"] = self.description
        return out


def documented(
    *,
    status: int = 200,
    errors: tuple[int, ...] = (),
    query: tuple[Query, ...] = (),
    redirects: bool = False,
    headers: tuple[dict, ...] = (),
    more_responses: dict | None = None,
):
    """What the OpenAPI document cannot read from the route itself: the success ``status``
    (201, 202, 204...), the ``errors`` the view's services answer besides those every route of
    its kind may give (see ``app.core.openapi``), its ``query`` parameters, whether it may
    answer with a redirect, request ``headers`` it reads (OpenAPI parameter objects) and
    ``more_responses`` (another success, by status). Put it right under the route decorator."""

    def decorator(view):
        view.success_status = status
        view.extra_statuses = tuple(errors)
        view.query_params = tuple(query)
        view.redirects = redirects
        view.header_params = tuple(headers)
        view.more_responses = dict(more_responses or {})
        return view

    return decorator


def _declared(name: str) -> None:
    """A view reads only the query parameters it declares, so the document lists them all."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and name not in {q.name for q in getattr(view, "query_params", ())}:
        raise RuntimeError(f"{request.endpoint} reads the query parameter {name!r}: declare it with @documented")


def query_str(name: str, default: str | None = None) -> str | None:
    _declared(name)
    return request.args.get(name, default)


def query_int(name: str, default: int, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """An integer query argument; at most ``MAX_ID`` by default (ids, offsets: the database
    cannot compare or skip by larger numbers)."""
    _declared(name)
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
