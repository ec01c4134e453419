"""Fixtures: one migrated database per test session, each test inside a rolled-back transaction."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.extensions import db
from tests.resources import POSTGRES_URL, fresh_database


def pytest_report_header(config):
    backend = "PostgreSQL (ENCORE_TEST_DATABASE_URL)" if POSTGRES_URL else "SQLite"
    return f"encore test database: {backend}"


class RequestIsolatingClient(FlaskClient):
    """Each request gets its own app context, as in production: a fresh ``g`` (so the
    logged-in user is not cached across requests) and the session removed at its end, even
    while the test itself holds an app context for its factories."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_test_app(database_url: str, media_dir, **overrides):
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "STORAGE_URL": f"file://{media_dir}",
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = RequestIsolatingClient
    return app


def migrate_to_head(app) -> None:
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Argon2id with the smallest cost: the same code path, a hundred times faster, so tests
    that make dozens of members stay quick on a shared machine."""
    from argon2 import PasswordHasher

    from app.services import accounts

    production = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = production


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("db"), "suite") as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = make_test_app(database_url, tmp_path_factory.mktemp("media"))
    migrate_to_head(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _rolled_back(request, app):
    """Run each test in a transaction that is rolled back at the end.

    The session joins that transaction with SAVEPOINTs, so code under test may commit as
    usual. Tests marked ``committing`` (threads, servers) manage their own database.
    """
    if request.node.get_closest_marker("committing"):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        flask_session = db.session
        # expire_on_commit=False: objects a factory made stay readable after the request that
        # followed has closed the session.
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = flask_session
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
