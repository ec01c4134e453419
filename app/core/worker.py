"""The queue worker process (``flask queue worker``): huey's consumer, plus what makes it safe
to kill and to stop.

- At start it removes the work folders that dead workers left (``encore-process-<pid>-*``
  whose process is gone) and sweeps the durable jobs whose worker died.
- A maintenance thread beats every ``QUEUE_HEARTBEAT_SECONDS``: it marks this worker seen
  (``queue_workers``, read by ``/healthz/ready``), renews the leases of the jobs it runs, and
  sweeps the jobs of dead workers back to the queue (``app.core.jobs``).
- SIGTERM and SIGINT stop it gracefully: no new job is taken, the running ones get
  ``QUEUE_SHUTDOWN_GRACE`` seconds to finish. What is still running after that is left to
  be run again (its leases are expired at once so another worker takes it without waiting);
  its ffmpeg children die with the process (``audio.ffmpeg.CHILD_OPTIONS``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import click
from flask import Flask

from app.core import jobs

log = logging.getLogger(__name__)

WORK_FOLDER_PREFIX = "encore-process-"
_WORK_FOLDER = re.compile(rf"^{WORK_FOLDER_PREFIX}(\d+)-")


def work_folder_prefix() -> str:
    """The prefix of this process's work folders: it names the pid, so a later worker can
    tell a dead worker's folder from a live one's."""
    return f"{WORK_FOLDER_PREFIX}{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_work_folders(root: str | None) -> list[Path]:
    """Remove the work folders under ``root`` (the system temp folder when None) whose worker
    process is gone; returns what was removed. Folders of live processes stay."""
    base = Path(root or tempfile.gettempdir())
    removed = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _WORK_FOLDER.match(entry.name)
        if not match or not entry.is_dir():
            continue
        pid = int(match.group(1))
        if _alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
        log.warning("removed the stale work folder %s (its worker, pid %s, is gone)", entry, pid)
    return removed


class Maintenance(threading.Thread):
    """Heartbeat, lease renewal and sweeping, every ``interval`` seconds until stopped."""

    def __init__(self, app: Flask, interval: float, send):
        super().__init__(name="encore-maintenance", daemon=True)
        self.app, self.interval, self.send = app, interval, send
        self.stopping = threading.Event()

    def beat(self) -> None:
        with self.app.app_context():
            jobs.heartbeat()
            jobs.sweep(self.send)

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.beat()
            except Exception as exc:  # the database is away: try again next beat
                log.warning("worker heartbeat failed: %s: %s", type(exc).__name__, exc)


def run(app: Flask, huey, workers: int, send) -> None:
    """Run the consumer until SIGTERM or SIGINT (graceful), then clean up. ``send`` puts a
    swept job back on the queue (``app.core.queue.send``, passed in: the queue starts workers)."""
    cfg = app.config
    grace = float(cfg["QUEUE_SHUTDOWN_GRACE"])
    clean_stale_work_folders(cfg["UPLOAD_TMP_DIR"])
    maintenance = Maintenance(app, float(cfg["QUEUE_HEARTBEAT_SECONDS"]), send)
    try:
        maintenance.beat()
    except Exception as exc:
        log.warning("worker heartbeat failed: %s: %s", type(exc).__name__, exc)
    consumer = huey.create_consumer(
        workers=workers, worker_type="thread", shutdown_timeout=grace, graceful_signal="TERM"
    )
    # SIGINT (Ctrl-C) stops gracefully too; a second one interrupts (huey's default handler).
    consumer._signal_actions[signal.SIGINT] = (False, True)
    maintenance.start()
    click.echo(
        f"Encore queue worker {jobs.worker_id()}: {workers} thread(s) on {type(huey.storage).__name__}, "
        f"grace {grace:g} s"
    )
    started = time.monotonic()
    try:
        consumer.run()
    finally:
        maintenance.stopping.set()
        maintenance.join(timeout=5)
        busy = [t for _, t in consumer.worker_threads if t.is_alive()]
        with app.app_context():
            try:
                if busy:  # the grace ran out: let another worker take these jobs now
                    log.warning("%d job(s) still running after the grace; they will run again", len(busy))
                    jobs.expire_my_leases()
                jobs.forget_worker()
            except Exception as exc:
                log.warning("worker cleanup failed: %s: %s", type(exc).__name__, exc)
        log.info("worker stopped after %.0f s", time.monotonic() - started)
