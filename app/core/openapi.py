"""``/api/v1/openapi.json``, built from the routes themselves so it cannot drift from them.

Paths and methods come from Flask's URL map, summaries from each view's docstring, request
bodies from the ``@accepts`` declaration the view parses its input with, query parameters,
success status and service-specific errors from its ``@documented`` declaration.

The error statuses every operation lists follow from what it is (``_error_statuses``): any
request may be refused as invalid (422: text with NUL or lone surrogates anywhere, a bad query
parameter), throttled (429) or meet an outage (503); a path with an id may be 404; a route
behind a login may be 401 and 403; a body may be malformed (400), too large (413), of the
wrong type (415); a browser's unsafe request without its CSRF token is 403. Every error has
the one shape, ``#/components/schemas/Error``.
"""

from __future__ import annotations

import re

from flask import current_app, jsonify

from app.core.api import bp
from app.core.converters import MAX_ID

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_TYPES = {"int": "integer", "float": "number"}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            # Some errors carry details (a price, a balance, a preview URL...).
            "additionalProperties": True,
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "the input the error is about"},
            },
        }
    },
}

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No content",
    206: "Partial content (a Range)",
    302: "A redirect (to the file store)",
    304: "Not modified",
    400: "Bad request (malformed JSON, ...)",
    401: "Not logged in, or a bad API token",
    402: "Not enough credits",
    403: "Forbidden (not yours, not an admin, no second factor, CSRF)",
    404: "Not found",
    409: "Conflict with the current state",
    410: "Gone (expired)",
    413: "Request body too large",
    415: "Unsupported media type",
    416: "Range not satisfiable",
    422: "Invalid input",
    429: "Too many requests (see Retry-After)",
    503: "A dependency is unavailable (see Retry-After)",
    507: "Storage full (see Retry-After)",
}
_SAFE = {"GET", "HEAD", "OPTIONS"}


def build_openapi() -> dict:
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith(bp.url_prefix + "/"):
            continue
        view = current_app.view_functions[rule.endpoint]
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                # ``<int:...>`` is an id: the converter matches 0..MAX_ID only (app.core.converters)
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}
                if conv == "int"
                else {"type": _PARAM_TYPES.get(conv or "", "string")},
            }
            for conv, name in _CONVERTER.findall(rule.rule)
        ]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, method, view, params)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Encore API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "responses": {
                str(status): {
                    "description": _STATUS_TEXT[status],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                for status in sorted(_STATUS_TEXT)
                if status >= 400
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "security": [{}, {"bearer": []}, {"session": []}],
    }


def _error_statuses(method: str, view, params: list[dict]) -> set[int]:
    statuses = {422, 429, 503} | set(getattr(view, "extra_statuses", ()))
    if params:
        statuses.add(404)
    if getattr(view, "login_required", False):
        statuses |= {401, 403}
    if method not in _SAFE:
        statuses.add(403)  # a logged-in browser without the CSRF token
    if getattr(view, "request_fields", None) is not None or getattr(view, "multipart_fields", None) is not None:
        statuses |= {400, 413, 415}
    return statuses


def _operation(endpoint: str, method: str, view, params: list[dict]) -> dict:
    doc = (view.__doc__ or endpoint).strip().splitlines()[0]
    success = getattr(view, "success_status", 200)
    responses: dict[str, dict] = {str(success): {"description": _STATUS_TEXT[success]}}
    for status in sorted(_error_statuses(method, view, params)):
        if status < 400:
            responses[str(status)] = {"description": _STATUS_TEXT[status]}
        else:
            responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
    if getattr(view, "redirects", False):
        responses["302"] = {"description": _STATUS_TEXT[302]}
    operation = {
        "operationId": endpoint.replace(".", "_"),
        "summary": doc,
        "responses": dict(sorted(responses.items())),
    }
    params = (
        params + [q.parameter() for q in getattr(view, "query_params", ())] + list(getattr(view, "header_params", ()))
    )
    operation["responses"].update(getattr(view, "more_responses", {}))
    if params:
        operation["parameters"] = params
    files = getattr(view, "multipart_fields", None)
    if files is not None:
        properties = {}
        for name, kind, description in files:
            binary = {"type": "string", "format": "binary"}
            properties[name] = (
                {"type": "array", "items": binary, "description": description}
                if kind == "files"
                else binary | {"description": description}
            )
        operation["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": {"type": "object", "properties": properties}}},
        }
    fields = getattr(view, "request_fields", None)
    if fields is not None:
        schema = {
            "type": "object",
            "additionalProperties": False,
            "properties": {f.name: f.schema() for f in fields},
        }
        required = [f.name for f in fields if f.required]
        if required:
            schema["required"] = required
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return operation


@bp.get("/openapi.json")
def openapi_document():
    """This document."""
    return jsonify(build_openapi())
