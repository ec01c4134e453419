"""Fixtures: one migrated database per test session, each test inside a rolled-back transaction."""

from __future__ import annotations

import os
from contextlib import contextmanager
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
        **dict.fromkeys(
            (
                "LOGIN_ADDRESS_LIMIT",
                "LOGIN_ACCOUNT_LIMIT",
                "REGISTER_ADDRESS_LIMIT",
                "PASSWORD_RESET_ADDRESS_LIMIT",
                "PASSWORD_RESET_ACCOUNT_LIMIT",
                "TOKEN_CREATE_LIMIT",
                "SUBSONIC_AUTH_FAILURE_LIMIT",
            ),
            "100000 per minute",
        ),
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


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _moto_server():
    """moto's server mode: an S3 imitation over HTTP, in this process."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


CEPH_RGW_SCRIPT = Path(__file__).resolve().parent / "ceph_rgw.sh"
CEPH_COMMANDS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "monmaptool")


@contextmanager
def _ceph_rgw_server():
    """Ceph's RADOS Gateway: a real S3 implementation (single node, in-memory OSD), started by
    tests/ceph_rgw.sh for this session and stopped (only the daemons it started) at its end."""
    import shutil
    import subprocess
    import tempfile

    from tests.resources import missing

    absent = [name for name in CEPH_COMMANDS if shutil.which(name) is None]
    if absent:
        missing(
            f"Ceph's RADOS Gateway is not installed ({', '.join(absent)} absent; apt-get install"
            " --no-install-recommends ceph-mon ceph-osd radosgw ceph-common)"
        )
    env = {
        **os.environ,
        "CEPH_RGW_ACCESS_KEY": S3_TEST_OPTIONS["access_key_id"],
        "CEPH_RGW_SECRET_KEY": S3_TEST_OPTIONS["secret_access_key"],
    }
    failures = []
    for _ in range(2):  # a second try on new ports: a probed free port can be taken meanwhile
        root = Path(tempfile.mkdtemp(prefix="encore-rgw-"))
        port, mon_port = _free_port(), _free_port()
        try:
            started = subprocess.run(
                ["bash", str(CEPH_RGW_SCRIPT), "start", str(root), str(port), str(mon_port)],
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            if started.returncode == 0:
                yield f"http://127.0.0.1:{port}"
                return
            logs = "".join(f"\n--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted((root / "log").glob("*")))
            failures.append(f"{started.stderr}{logs}")
        finally:
            subprocess.run(["bash", str(CEPH_RGW_SCRIPT), "stop", str(root)], capture_output=True, timeout=120)
            shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError("Ceph RGW did not start:\n" + "\n".join(failures))


_S3_SERVERS = {"moto": _moto_server, "rgw": _ceph_rgw_server}
_s3_running: dict = {}


S3_SERVER_KINDS = ("moto", "rgw")


def s3_endpoint(request, kind: str) -> str:
    """The endpoint of the session's ``kind`` S3 server (see ``s3_server``), started if need be."""
    if kind not in _s3_running:
        server = _S3_SERVERS[kind]()
        try:
            endpoint = server.__enter__()
        except RuntimeError as error:  # remembered: later tests fail at once with the same reason
            _s3_running[kind] = error
        else:
            _s3_running[kind] = endpoint
            request.session.config.add_cleanup(lambda: server.__exit__(None, None, None))
    if isinstance(_s3_running[kind], RuntimeError):
        pytest.fail(str(_s3_running[kind]))
    return _s3_running[kind]


@pytest.fixture(scope="session", params=S3_SERVER_KINDS)
def s3_server(request):
    """The endpoint of a real S3-protocol server over HTTP on 127.0.0.1: each S3 test runs
    against moto's server mode and against Ceph's RADOS Gateway. Each server starts on first
    use and stops when the session ends (not when pytest moves to the other one: starting
    Ceph takes ~20 s); both accept S3_TEST_OPTIONS' keys."""
    return s3_endpoint(request, request.param)


S3_TEST_OPTIONS = {
    "access_key_id": "test",
    "secret_access_key": "test",
    "region": "us-east-1",
    "addressing_style": "path",
}


def make_s3_test_app(database_url: str, s3_server: str, bucket: str, media_dir, **overrides):
    """A test app whose object store is ``bucket`` on the test S3 server."""
    return make_test_app(
        database_url,
        media_dir,
        STORAGE_URL=f"s3://{bucket}/encore",
        S3_ENDPOINT_URL=s3_server,
        S3_ACCESS_KEY_ID=S3_TEST_OPTIONS["access_key_id"],
        S3_SECRET_ACCESS_KEY=S3_TEST_OPTIONS["secret_access_key"],
        S3_ADDRESSING_STYLE="path",
        **overrides,
    )


def make_s3_bucket(endpoint: str) -> str:
    """Create a fresh, empty bucket on the S3 server at ``endpoint``; returns its name."""
    import uuid

    import boto3
    from botocore.config import Config

    name = f"encore-test-{uuid.uuid4().hex[:10]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    ).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh, empty bucket on the S3 server; returns its name."""
    return make_s3_bucket(s3_server)
