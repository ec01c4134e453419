"""``url_for`` for links built on every request of a hot route (a play start answers four).

``url_for`` looks the endpoint's rule up and builds it on each call (~10 µs). ``link`` builds
each (script root, endpoint, fixed values) once per app, with a placeholder for the one value
that varies, and then only puts the value in the placeholder's place.

Invariant: ``link(...)`` equals ``url_for(...)``. That holds because a value made only of
letters, digits, ``-`` and ``_`` (URL-safe ids such as ``secrets.token_urlsafe``'s) is never
quoted by ``url_for``; any other value goes through ``url_for`` itself.
"""

from __future__ import annotations

import re

from flask import current_app, request, url_for

_URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")
_SLOT = "LINK.VALUE"  # never a URL-safe value (it has a "."), never quoted by url_for


def link(endpoint: str, name: str, value: str, **fixed: str) -> str:
    """``url_for(endpoint, **{name: value}, **fixed)``, for a string rule variable ``name``."""
    if not _URL_SAFE.fullmatch(value):
        return url_for(endpoint, **{name: value}, **fixed)
    templates: dict[tuple, tuple[str, str]] = current_app.extensions.setdefault("encore.links", {})
    key = (request.script_root, endpoint, name, *sorted(fixed.items()))
    parts = templates.get(key)
    if parts is None:
        url = url_for(endpoint, **{name: _SLOT}, **fixed)
        if url.count(_SLOT) != 1:  # the script root or a fixed value holds the placeholder's text
            return url_for(endpoint, **{name: value}, **fixed)
        before, _, after = url.partition(_SLOT)
        parts = templates[key] = (before, after)
    return parts[0] + value + parts[1]
