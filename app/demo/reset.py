"""``flask demo reset``: erase the development co-op and seed it again.

Erasing drops the database's ``public`` schema (every table, the ledger's included, the
job queue's, and the extensions created in it) and deletes every object in the store, so the
result is exactly a fresh ``make run``: migrations from empty, then the seed.
"""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from app.core.extensions import db
from app.core.storage import get_store


def describe_database() -> str:
    url = db.engine.url
    return f"the database {url.database!r} on {url.host or 'a local socket'}"


def erase_everything() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        owner = conn.scalar(text("SELECT current_user"))
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text(f'CREATE SCHEMA public AUTHORIZATION "{owner}"'))
    db.engine.dispose()
    store = get_store()
    for key in store.list_keys(""):
        store.delete(key)


def migrate_and_seed(*, audio_seconds: float | None = None) -> None:
    from app.demo import seed

    upgrade()
    seed.seed_demo(audio_seconds=audio_seconds)
    db.session.commit()
