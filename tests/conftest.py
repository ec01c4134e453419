"""Fixtures: one migrated database per test session, each test inside a rolled-back transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.core.extensions import db
from tests.resources import describe_server, fresh_database


def pytest_report_header(config):
    return f"encore test database: {describe_server()}"


class RequestIsolatingClient(FlaskClient):
    """Each request gets its own app context, as in production: a fresh ``g`` (so the
    logged-in user is not cached across requests) and the session removed at its end, even
    while the test itself holds an app context for its factories."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_test_app(database_url: str, media_dir, **overrides):
    upload_tmp = Path(f"{media_dir}-tmp")
    upload_tmp.mkdir(parents=True, exist_ok=True)
    config = {
        "UPLOAD_TMP_DIR": str(upload_tmp),
        "TESTING": True,
        "DATABASE_URL": database_url,
        "STORAGE_URL": f"file://{media_dir}",
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "QUEUE_IMMEDIATE": True,
        # Every test logs in and registers from 127.0.0.1 in one process: the abuse limits'
        # production defaults would refuse the suite. tests/accounts/test_abuse_limits.py
        # sets tight ones where it checks them.
        **dict.fromkeys((
            "LOGIN_ADDRESS_LIMIT", "LOGIN_ACCOUNT_LIMIT", "REGISTER_ADDRESS_LIMIT", "PASSWORD_RESET_ADDRESS_LIMIT",
            "PASSWORD_RESET_ACCOUNT_LIMIT", "TOKEN_CREATE_LIMIT"), "100000 per minute"),
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

    from app.accounts import services as accounts

    production, production_dummy = accounts._hasher, accounts._DUMMY_HASH
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    # The hash checked for unknown emails too, or each such login costs a production hash.
    accounts._DUMMY_HASH = accounts._hasher.hash("not-a-real-password")
    yield
    accounts._hasher, accounts._DUMMY_HASH = production, production_dummy


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


@pytest.fixture
def clock():
    """The one clock (``ledger.clock``), frozen at the real now for this test: the ledger, the
    services and the models' defaults all read it. Move it with ``set`` and ``advance``."""
    from datetime import datetime, timezone

    from ledger import clock as ledger_clock

    with ledger_clock.use(ledger_clock.FrozenClock(datetime.now(timezone.utc))) as frozen:
        yield frozen


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-protocol server (moto's server mode) over HTTP on 127.0.0.1."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


S3_TEST_OPTIONS = {"access_key_id": "test", "secret_access_key": "test", "region": "us-east-1",
                   "addressing_style": "path"}


def make_s3_test_app(database_url: str, s3_server: str, bucket: str, media_dir, **overrides):
    """A test app whose object store is ``bucket`` on the test S3 server."""
    return make_test_app(
        database_url, media_dir, STORAGE_URL=f"s3://{bucket}/encore", S3_ENDPOINT_URL=s3_server,
        S3_ACCESS_KEY_ID=S3_TEST_OPTIONS["access_key_id"], S3_SECRET_ACCESS_KEY=S3_TEST_OPTIONS["secret_access_key"],
        S3_ADDRESSING_STYLE="path", **overrides,
    )


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh, empty bucket on the S3 server; returns its name."""
    import uuid

    import boto3

    name = f"encore-test-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=s3_server, aws_access_key_id="test", aws_secret_access_key="test",
                 region_name="us-east-1").create_bucket(Bucket=name)
    return name
