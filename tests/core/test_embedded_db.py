"""The embedded PostgreSQL (app.embedded_db): started once, reused, recovered after a crash,
stopped by its owner. Each test runs its own small cluster in a temporary directory."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from app.core import embedded_db

pytestmark = pytest.mark.committing


@pytest.fixture
def tmp_path():
    """A directory outside pytest's own temporary root: run as root, the server's user must
    traverse every directory above its data, and pytest makes (and re-makes, in any other
    session on the machine) its root private."""
    path = Path(tempfile.mkdtemp(prefix="encore-pg-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _answers(cluster) -> bool:
    try:
        with psycopg.connect(cluster.url().replace("+psycopg", ""), connect_timeout=3) as conn:
            return conn.execute("SELECT current_database()").fetchone() == ("encore",)
    except psycopg.OperationalError:
        return False


def _postmaster_pid(pgdata) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def test_started_once_then_reused_then_stopped(tmp_path):
    pgdata = tmp_path / "postgres"
    first = embedded_db.ensure_cluster(pgdata, durable=False)
    try:
        assert first.owned and _answers(first)
        pid = _postmaster_pid(pgdata)
        again = embedded_db.ensure_cluster(pgdata)  # its owner (this process) is alive: reuse
        assert not again.owned and again.url() == first.url() and _postmaster_pid(pgdata) == pid
    finally:
        embedded_db.stop_cluster(pgdata)
    assert not _answers(first) and not (pgdata / "postmaster.pid").exists()


def test_a_crashed_run_is_recovered_not_duplicated(tmp_path):
    pgdata = tmp_path / "postgres"
    cluster = embedded_db.ensure_cluster(pgdata, durable=False)
    try:
        # The owner died and left the server running: the next run adopts it (and will stop it).
        (tmp_path / "postgres.owner").write_text("999999999")
        adopted = embedded_db.ensure_cluster(pgdata)
        assert adopted.owned and _postmaster_pid(pgdata) == _postmaster_pid(pgdata)
        # The server itself was killed: its postmaster.pid is stale; the next run starts it anew.
        os.kill(_postmaster_pid(pgdata), signal.SIGKILL)
        time.sleep(0.2)
        assert (pgdata / "postmaster.pid").exists()
        restarted = embedded_db.ensure_cluster(pgdata)
        assert restarted.owned and _answers(restarted)
    finally:
        embedded_db.stop_cluster(pgdata)
    assert not _answers(cluster)


def _initialized(tmp_path):
    """A cluster made (without initdb's fsyncs, to save time) and stopped."""
    pgdata = tmp_path / "postgres"
    embedded_db.ensure_cluster(pgdata, durable=False)
    embedded_db.stop_cluster(pgdata)
    return pgdata


def test_the_command_that_started_it_stops_it(tmp_path):
    pgdata = _initialized(tmp_path)
    script = (
        "import sys; from app.core import embedded_db; "
        "c = embedded_db.ensure_cluster(sys.argv[1], durable=False); embedded_db.stop_at_exit(c); "
        "print(c.url())"
    )
    done = subprocess.run([sys.executable, "-c", script, str(pgdata)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert url.startswith("postgresql+psycopg://postgres@/encore?host=")
    assert not (pgdata / "postmaster.pid").exists()  # stopped at the command's exit


def test_the_run_wrapper_shares_one_cluster_and_stops_it(tmp_path):
    pgdata = _initialized(tmp_path)
    child = (
        "import os; print(os.environ['ENCORE_DATABASE_URL']); "
        "print(open(os.path.join(os.environ['PGDATA_DIR'], 'postmaster.pid')).readline().strip())"
    )
    env = {k: v for k, v in os.environ.items() if k != "ENCORE_DATABASE_URL"} | {"PGDATA_DIR": str(pgdata)}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.core.embedded_db",
            "--pgdata",
            str(pgdata),
            "run",
            "--",
            sys.executable,
            "-c",
            child,
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    url, pid = out.stdout.split()
    assert url.startswith("postgresql+psycopg://") and int(pid) > 0
    assert not (pgdata / "postmaster.pid").exists()


def test_a_long_path_listens_on_a_loopback_port(tmp_path):
    pgdata = tmp_path / ("x" * 90) / "postgres"
    pgdata.parent.mkdir()
    cluster = embedded_db.ensure_cluster(pgdata, durable=False)
    try:
        assert cluster.host == "127.0.0.1" and _answers(cluster)
    finally:
        embedded_db.stop_cluster(pgdata)


def test_a_single_user_backend_runs_statements_on_the_stopped_cluster(tmp_path):
    """What ``bench/ledger_instructions.py`` runs under callgrind: each line one statement,
    on the cluster's data, while no server runs."""
    pgdata = _initialized(tmp_path)
    done = embedded_db.run_single_user(
        pgdata, "encore", "CREATE TABLE t (n integer)\nINSERT INTO t VALUES (41), (1)\nSELECT sum(n) AS total FROM t\n"
    )
    assert done.returncode == 0, done.stderr
    assert 'total = "42"' in done.stdout
    again = embedded_db.run_single_user(pgdata, "encore", "SELECT count(*) AS rows FROM t\n")
    assert 'rows = "2"' in again.stdout  # the first backend's writes are on disk
