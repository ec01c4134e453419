"""The task queue: one huey instance per app, built from the configuration.

SQLite storage in ``instance/`` by default (no server needed), Redis when ``ENCORE_REDIS_URL``
is set, and immediate mode (tasks run inline, in-memory storage) when ``ENCORE_QUEUE_IMMEDIATE``
is true or the app is under test. The consumer runs ``huey_consumer app.worker.huey``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey


def make_huey(app: Flask) -> Huey:
    cfg = app.config
    immediate = bool(cfg.get("QUEUE_IMMEDIATE") or cfg.get("TESTING"))
    if cfg.get("REDIS_URL") and not immediate:
        return RedisHuey("encore", url=cfg["REDIS_URL"], utc=True)
    return SqliteHuey(
        "encore", filename=str(Path(app.instance_path) / "queue.db"), immediate=immediate, utc=True
    )


def init_app(app: Flask) -> Huey:
    huey = make_huey(app)
    app.extensions["huey"] = huey
    from app.tasks import governance

    app.extensions["huey_tasks"] = {"governance_housekeeping": governance.register(huey, app)}
    return huey
