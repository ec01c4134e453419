"""Timeouts on every call that leaves the process: PostgreSQL, S3 and Redis.

Nothing Encore calls may hold a request thread for minutes. Each dependency gets a bound
from the configuration (``ENCORE_*`` keys with the defaults in ``app.core.config``):

- PostgreSQL: ``connect_timeout`` for a new connection, a server-side ``statement_timeout``
  for every statement, a pool timeout for waiting on a free connection, and a client-side
  read deadline (``DeadlineConnection``) for a server that accepted the connection but
  stopped answering (frozen, SIGSTOPped, a dead network path): the kernel keeps
  acknowledging such a socket, so neither TCP keepalives nor the server's own timeout help.
- S3: botocore's connect and read timeouts and a bounded number of attempts.
- Redis: socket connect and read timeouts.

The values end as 503 answers with ``Retry-After`` (see ``app.core.outages``).
"""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import Engine, event, make_url


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection that gives up on a server that does not answer in time.

    ``read_timeout`` (seconds) bounds every wait for the server once connected: a query, a
    commit, a rollback, the pool's ping. Past it the connection is closed (its state is
    unknown) and ``OperationalError`` raised, which SQLAlchemy treats as a disconnect and
    drops from the pool. Invariant: ``read_timeout`` is longer than the server-side
    ``statement_timeout``, so a slow but live server cancels its own statement first and the
    connection survives.
    """

    read_timeout: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        if timeout is None and self.read_timeout:
            try:
                return super().wait(gen, interval=interval, timeout=self.read_timeout)
            except pg_errors._WaitTimeout:
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"the database did not answer within {self.read_timeout:g} s; connection closed"
                ) from None
        return super().wait(gen, interval=interval, timeout=timeout)


def database_engine_options(cfg) -> dict:
    """SQLAlchemy engine options bounding every database call (PostgreSQL only).

    An operator's own ``SQLALCHEMY_ENGINE_OPTIONS`` win; values already in the URL's query
    (``?connect_timeout=...``) win over the configured ones.
    """
    options = {"pool_pre_ping": True}
    url = make_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        return options
    options["pool_timeout"] = float(cfg["DATABASE_POOL_TIMEOUT"])
    connect_args = {}
    if "connect_timeout" not in url.query:
        # libpq counts whole seconds and treats anything under 2 as 2.
        connect_args["connect_timeout"] = max(2, round(float(cfg["DATABASE_CONNECT_TIMEOUT"])))
    statement_ms = int(cfg["DATABASE_STATEMENT_TIMEOUT_MS"])
    if "options" not in url.query and statement_ms > 0:
        connect_args["options"] = f"-c statement_timeout={statement_ms}"
    options["connect_args"] = connect_args
    return options


def read_timeout(cfg) -> float | None:
    """The client-side read deadline: configured, or the statement timeout plus 5 s."""
    if cfg["DATABASE_READ_TIMEOUT"]:
        return float(cfg["DATABASE_READ_TIMEOUT"])
    statement_ms = cfg["DATABASE_STATEMENT_TIMEOUT_MS"]
    return statement_ms / 1000 + 5 if statement_ms > 0 else None


def bound_engine(engine: Engine, cfg) -> None:
    """Open the engine's PostgreSQL connections as ``DeadlineConnection``s."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    deadline = read_timeout(cfg)

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect, _record, cargs, cparams):
        connection = DeadlineConnection.connect(*cargs, **cparams)
        connection.read_timeout = deadline
        return connection


@contextmanager
def unbounded(connection):
    """Lift the statement timeout and the read deadline from one SQLAlchemy connection while
    inside (migrations may rightly run longer than any request). The connection is then
    discarded, never handed back to the pool without its bounds."""
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.exec_driver_sql("SET statement_timeout = 0")
    connection.commit()
    dbapi = connection.connection.dbapi_connection
    if isinstance(dbapi, DeadlineConnection):
        dbapi.read_timeout = None
    try:
        yield
    finally:
        connection.invalidate()


def s3_timeouts(cfg) -> dict:
    """botocore options for the object store: seconds to connect, to wait for a read, attempts."""
    return {
        "connect_timeout": float(cfg["S3_CONNECT_TIMEOUT"]),
        "read_timeout": float(cfg["S3_READ_TIMEOUT"]),
        "max_attempts": int(cfg["S3_MAX_ATTEMPTS"]),
    }


def redis_options(cfg) -> dict:
    """redis-py socket timeouts, in seconds, for every Redis client Encore opens."""
    timeout = float(cfg["REDIS_TIMEOUT"])
    return {"socket_connect_timeout": timeout, "socket_timeout": timeout}
