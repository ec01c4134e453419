"""Health: ``/healthz/live`` (the process answers) and ``/healthz/ready`` (it can serve).

``live`` touches nothing: a load balancer or systemd restarts a process only when it stops
answering at all. ``ready`` checks every dependency: the database, its migrations at head,
the object store (naming its bucket), Redis when configured, and any check registered with
``register_check``. The queue worker's heartbeat is checked when a worker is expected
(``QUEUE_WORKER_EXPECTED``, by default unless ``QUEUE_IMMEDIATE``): one must have been seen
within ``QUEUE_WORKER_SILENCE`` seconds. ``/healthz`` is ``ready``,
kept for existing monitors.

Bounded, whatever the dependencies do: the checks run concurrently in a small per-app pool
and the answer is given after at most ``HEALTH_CHECK_TIMEOUT`` seconds (about one); a check
still running then is reported as ``timeout``. A check that is stuck is not started again:
later requests wait on the same run, so monitors polling a frozen dependency cannot pile up
threads. The public answer names each check and its state with a fixed word, never the
internal error text (which goes to the log).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from app.core.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


class CheckFailed(Exception):
    """A check's verdict with a public word (``reason``) for why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class HealthChecks:
    """The checks of one app and the runs in flight (at most one per check)."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.checks: dict[str, Callable[[], dict | None]] = {}
        self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="encore-health")
        self.running: dict[str, Future] = {}
        self.lock = threading.Lock()

    def register(self, name: str, check: Callable[[], dict | None]) -> None:
        self.checks[name] = check

    def _future(self, name: str, check) -> Future:
        with self.lock:
            future = self.running.get(name)
            if future is None or future.done():
                future = self.executor.submit(check)
                self.running[name] = future
            return future

    def run(self) -> dict[str, dict]:
        futures = {name: self._future(name, check) for name, check in self.checks.items()}
        wait(futures.values(), timeout=self.timeout)
        results = {}
        for name, future in futures.items():
            if not future.done():
                results[name] = {"ok": False, "error": "timeout"}
                continue
            try:
                results[name] = {"ok": True, **(future.result() or {})}
            except CheckFailed as exc:
                results[name] = {"ok": False, "error": exc.reason}
            except Exception as exc:
                log.warning("health check %s failed: %s: %s", name, type(exc).__name__, exc)
                results[name] = {"ok": False, "error": "unreachable"}
        return results


def register_check(app: Flask, name: str, check: Callable[[], dict | None]) -> None:
    """Add a readiness check: a callable that returns public details (or None) when healthy
    and raises when not; it runs in a pool thread, outside any app context."""
    app.extensions["encore.health"].register(name, check)


def _head_revisions(directory: str) -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return set(ScriptDirectory.from_config(config).get_heads())


def init_app(app: Flask) -> None:
    checks = HealthChecks(app.config["HEALTH_CHECK_TIMEOUT"])
    app.extensions["encore.health"] = checks
    app.register_blueprint(bp)

    with app.app_context():
        engine = db.engine
    store = app.extensions["encore.store"]
    heads: set[str] = set()

    def database():
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
            except Exception:
                current = set()
        if not heads:
            heads.update(_head_revisions(app.extensions["migrate"].directory))
        if current != heads:
            raise CheckFailed("migrations_behind")
        return None

    def storage():
        store.ping()
        bucket = getattr(store, "bucket", None)
        return {"bucket": bucket} if bucket else {"kind": "local"}

    checks.register("database", database)
    checks.register("storage", storage)

    expected = app.config["QUEUE_WORKER_EXPECTED"]
    if expected is None:
        expected = not app.config["QUEUE_IMMEDIATE"]
    if expected:
        from app.core.jobs import last_worker_seen_seconds

        silence = app.config["QUEUE_WORKER_SILENCE"]

        def queue_worker():
            seconds = last_worker_seen_seconds(engine)
            if seconds is None:
                raise CheckFailed("no_worker")
            if float(seconds) > silence:
                raise CheckFailed("worker_silent")
            return {"seen_seconds_ago": round(float(seconds), 1)}

        checks.register("queue_worker", queue_worker)

    if app.config["REDIS_URL"]:
        import redis

        from app.core.deadlines import redis_options

        client = redis.Redis.from_url(app.config["REDIS_URL"], **redis_options(app.config))

        def redis_check():
            client.ping()
            return None

        checks.register("redis", redis_check)


@bp.get("/healthz/live")
def live():
    """The process answers; nothing else is checked."""
    return jsonify(status="ok")


@bp.get("/healthz/ready")
@bp.get("/healthz")
def ready():
    """Every dependency answers within about a second: 200, else 503 naming what failed."""
    started = time.perf_counter()
    results = current_app.extensions["encore.health"].run()
    healthy = all(check["ok"] for check in results.values())
    response = jsonify(
        status="ok" if healthy else "unavailable", checks=results, seconds=round(time.perf_counter() - started, 3)
    )
    response.status_code = 200 if healthy else 503
    if not healthy:
        response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
    response.headers["Cache-Control"] = "no-store"
    return response
