"""Engine set-up that makes SQLite behave like the PostgreSQL we run in production."""

from __future__ import annotations

from sqlalchemy import Engine, event


def configure_engine(engine: Engine) -> None:
    """On SQLite: enforce foreign keys, use WAL, and let SQLAlchemy (not the sqlite3 module)
    open transactions so SAVEPOINTs work.

    Every transaction starts with BEGIN IMMEDIATE, taking SQLite's single write lock up front.
    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another connection committed in between (busy_timeout does not apply to
    that upgrade); taking the lock first makes it wait its turn instead. SQLite is the
    embedded default for one machine; serialising its transactions is the price of
    correctness there. PostgreSQL, in production, is untouched.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
