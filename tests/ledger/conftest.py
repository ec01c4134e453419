"""Pure ledger tests: a plain SQLAlchemy engine and session, no Flask app.

The schema comes from ``ledger.metadata.create_all`` (which installs the same guard triggers
as the migration) on a fresh database of the suite's backend; each test runs in a transaction
that is rolled back (the ledger's SAVEPOINTs nest inside it).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import ledger
from app.core.database import configure_engine  # SQLite pragmas + SAVEPOINT fix; imports no app instance
from ledger.pricing import ensure_default_pricing
from tests.resources import fresh_database


def make_ledger_engine(url: str, **kwargs):
    engine = create_engine(url, **kwargs)
    configure_engine(engine)
    ledger.metadata.create_all(engine)
    with Session(engine) as session:
        ensure_default_pricing(session)
        session.commit()
    return engine


@contextmanager
def ledger_database(tmp_dir, label: str, **kwargs):
    """A fresh database holding the ledger's schema and the default pricing version."""
    with fresh_database(tmp_dir, label) as url:
        engine = make_ledger_engine(url, **kwargs)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def ledger_engine(tmp_path_factory):
    with ledger_database(tmp_path_factory.mktemp("ledger"), "ledger") as engine:
        yield engine


@contextmanager
def rolled_back_session(engine):
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def ls(ledger_engine):
    """A ledger session whose work is rolled back at the end of the test."""
    with rolled_back_session(ledger_engine) as session:
        yield session
