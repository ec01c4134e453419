"""Rate limits (Flask-Limiter): counted in memory by default, in Redis when ``REDIS_URL`` is set.

In memory, each gunicorn process counts on its own (a listener spread over N processes gets up
to N times the limit); production sets ``ENCORE_REDIS_URL`` so every process shares one count.
Limits are read from the config at request time (``STREAM_START_LIMIT``...), so they can be
changed per deployment without code. A breach is a 429 in the API's one error shape (the
app's HTTPException handler), with a ``Retry-After`` header.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_login import current_user


def limit_key() -> str:
    """Count per listener when logged in (one account behind many addresses is still one
    listener), else per client address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr or 'unknown'}"


limiter = Limiter(key_func=limit_key)


def configured(name: str):
    """A limit read from ``app.config[name]`` at request time, e.g. ``"30 per minute"``."""
    return lambda: current_app.config[name]


def init_app(app: Flask) -> None:
    cfg = app.config
    cfg.setdefault("RATELIMIT_STORAGE_URI", cfg.get("REDIS_URL") or "memory://")
    cfg.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    cfg.setdefault("RATELIMIT_KEY_PREFIX", "encore")
    limiter.init_app(app)
