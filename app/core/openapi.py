"""``/api/v1/openapi.json``, built from the routes themselves so it cannot drift from them.

Paths and methods come from Flask's URL map, summaries from each view's docstring, request
bodies from the ``@accepts`` declaration the view parses its input with, and what else a
view declares with ``@documented`` (header parameters, more statuses).
"""

from __future__ import annotations

import re

from flask import current_app, jsonify

from app.core.api import bp

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_TYPES = {"int": "integer", "float": "number"}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def documented(*, parameters: list[dict] | None = None, responses: dict[str, dict] | None = None):
    """Declare what the URL map cannot tell about a view: header or query ``parameters`` and
    further ``responses`` (by status), merged into its operation."""

    def decorate(view):
        view.openapi_parameters = parameters or []
        view.openapi_responses = responses or {}
        return view

    return decorate


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
                "schema": {"type": _PARAM_TYPES.get(conv or "", "string")},
            }
            for conv, name in _CONVERTER.findall(rule.rule)
        ]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, view, params)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Encore API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "security": [{}, {"bearer": []}, {"session": []}],
    }


def _operation(endpoint: str, view, params: list[dict]) -> dict:
    doc = (view.__doc__ or endpoint).strip().splitlines()[0]
    operation = {
        "operationId": endpoint.replace(".", "_"),
        "summary": doc,
        "responses": {
            "200": {"description": "OK"},
            "default": {
                "description": "An error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    }
    operation["responses"].update(getattr(view, "openapi_responses", {}))
    params = params + getattr(view, "openapi_parameters", [])
    if params:
        operation["parameters"] = params
    files = getattr(view, "multipart_fields", None)
    if files is not None:
        properties = {}
        for name, kind, description in files:
            binary = {"type": "string", "format": "binary"}
            properties[name] = (
                {"type": "array", "items": binary, "description": description}
                if kind == "files" else binary | {"description": description}
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
