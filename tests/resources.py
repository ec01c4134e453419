"""Test resources that may be absent on a developer machine (PostgreSQL, Chromium, ...).

Locally a missing resource skips its tests with the reason printed. CI sets
``ENCORE_TEST_REQUIRE_ALL=1``, which turns each such skip into a failure, so CI cannot pass
with the PostgreSQL or browser tests silently not run.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text

REQUIRE_ALL = os.environ.get("ENCORE_TEST_REQUIRE_ALL") == "1"
POSTGRES_URL = os.environ.get("ENCORE_TEST_DATABASE_URL")


def missing(reason: str):
    """Skip (locally) or fail (CI) because a resource the test needs is absent."""
    if REQUIRE_ALL:
        pytest.fail(f"required test resource absent: {reason}")
    pytest.skip(reason)


def require_postgres() -> str:
    if not POSTGRES_URL:
        missing("PostgreSQL tests need ENCORE_TEST_DATABASE_URL")
    return POSTGRES_URL


@contextmanager
def fresh_database(tmp_dir, label: str):
    """Yield the URL of a new, empty database on the suite's backend; drop it afterwards.

    PostgreSQL when ENCORE_TEST_DATABASE_URL is set (a database created on that server),
    otherwise a SQLite file in ``tmp_dir``.
    """
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_dir}/{label}.db"
        return
    server = make_url(POSTGRES_URL)
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
