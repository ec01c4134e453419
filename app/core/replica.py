"""Reads a streaming replica may serve: the one rule, ``replica_session()``.

With ``ENCORE_DATABASE_REPLICA_URL`` set (a PostgreSQL hot standby fed by streaming
replication from the primary), the read-only services - the artist dashboards, the public
books and catalogue search - read through a second engine bound to that standby. Everything
else (every write, every movement of money, logins, sessions, the figures a charge is decided
on) reads and writes the primary through ``db.session``, as before.

Invariants:

* With no replica configured, ``replica_session()`` *is* ``db.session`` (looked up at call
  time), so a caller cannot tell the difference, and a test's rolled-back transaction, which
  swaps ``db.session``, covers replica reads too.
* The replica engine's transactions are READ ONLY (``default_transaction_read_only``), so a
  write sent there by mistake fails loudly even if the URL names the primary, and REPEATABLE
  READ, so everything one request reads comes from one snapshot of the replica (one replay
  point), never half from before and half from after a burst of replayed WAL.
* The replica session lives as long as the app context (one request), like ``db.session``,
  and is closed at its end.
* A replica lags the primary (usually milliseconds, more under load or a network hiccup):
  only pages whose readers accept figures a moment old may use it; see docs/SCALING.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from flask.globals import app_ctx
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from app.core.extensions import db

EXTENSION = "encore_replica"
APPLICATION_NAME = "encore-replica-reader"  # how the replica's connections show in pg_stat_activity


@dataclass
class Replica:
    engine: Engine
    sessions: scoped_session


def init_app(app: Flask) -> None:
    """Create the replica engine when ``DATABASE_REPLICA_URL`` is set; none otherwise."""
    url = app.config["DATABASE_REPLICA_URL"]
    if not url:
        app.extensions[EXTENSION] = None
        return
    engine = create_engine(
        make_url(url),  # a PostgreSQL URL: app.core.config refuses any other
        pool_pre_ping=True,
        isolation_level="REPEATABLE READ",
        connect_args={"application_name": APPLICATION_NAME, "options": "-c default_transaction_read_only=on"},
    )
    # Scoped like Flask-SQLAlchemy's own session: one per app context, removed at its end.
    # expire_on_commit is moot (nothing commits here); objects stay readable in templates.
    sessions = scoped_session(sessionmaker(bind=engine, expire_on_commit=False), scopefunc=_app_context_id)
    app.extensions[EXTENSION] = Replica(engine, sessions)

    @app.teardown_appcontext
    def _remove_replica_session(_exc):
        sessions.remove()


def _app_context_id() -> int:
    """The scope of a replica session: the current app context (as Flask-SQLAlchemy's)."""
    return id(app_ctx._get_current_object())


def replica_configured() -> bool:
    """Whether this app reads some pages from a replica."""
    return current_app.extensions.get(EXTENSION) is not None


def replica_session() -> Session:
    """The session for reads a replica may serve (a moment stale is fine for them): the
    replica's when one is configured, else the primary's ``db.session`` itself.

    Never write through it, and never decide money on what it returns."""
    replica = current_app.extensions.get(EXTENSION)
    if replica is None:
        return db.session
    return replica.sessions()


def dispose(app: Flask) -> None:
    """Close the replica engine's pooled connections (tests, shutdown); each app context's
    session was already closed at its end."""
    replica = app.extensions.get(EXTENSION)
    if replica is not None:
        replica.engine.dispose()
