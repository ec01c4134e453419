"""Durable jobs: a job that matters is done at least once, whatever happens to its worker.

huey deletes a message when a worker takes it, so a worker killed mid-job (kill -9, OOM, a
lost machine) would lose it. A task declared ``durable=True`` therefore also has a row in
``durable_jobs`` (``app.core.models.DurableJob``), keyed by its name and arguments:

- ``record`` writes the row in the requesting transaction (an accepted upload and its job
  commit together); ``enqueue`` then sends the message. A message that cannot be sent (the
  queue unreachable) is not an error: the row is swept up later.
- ``claim``: the worker that runs it takes a lease (owner, expiry) in its own short
  transaction, and skips the job when the row is gone (done already) or leased by a live
  worker (a duplicate message). The worker renews its leases with its heartbeat.
- ``finish``: the row is deleted in the task's final transaction, only if this worker still
  holds it (a job asked for again while it ran is run again).
- ``sweep``: a row whose lease expired, or that no worker took within ``QUEUE_REQUEUE_AFTER``
  seconds, is sent to the queue again. Many sweepers may run: each row is taken with
  ``FOR UPDATE SKIP LOCKED``. A row taken ``QUEUE_MAX_ATTEMPTS`` times is dropped with an
  error log (a job that kills every worker must not loop forever).

Every durable task is idempotent, so running it twice is harmless. With ``QUEUE_IMMEDIATE``
the task runs inline and no row is written. Periodic tasks need none of this: they come
again on their schedule.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert

from app.core.extensions import db
from app.core.models import DurableJob, QueueWorker
from app.core.types import utcnow

log = logging.getLogger(__name__)

_worker_id: str | None = None


def worker_id() -> str:
    """This process's name as a lease owner (host, pid and a random part against pid reuse)."""
    global _worker_id
    if _worker_id is None or _worker_id.split(":")[1] != str(os.getpid()):
        _worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return _worker_id


def job_key(name: str, args) -> str:
    return f"{name}:{json.dumps(list(args), separators=(',', ':'))}"


def _seconds(name: str) -> float:
    return float(current_app.config[name])


def lease_seconds() -> float:
    return _seconds("QUEUE_LEASE_SECONDS")


def _upsert(name: str, args):
    stmt = insert(DurableJob).values(
        job_key=job_key(name, args), task=name, args=list(args), requested_at=utcnow(), attempts=0
    )
    return stmt.on_conflict_do_update(
        index_elements=[DurableJob.job_key],
        set_={"requested_at": stmt.excluded.requested_at, "attempts": 0, "lease_owner": None, "lease_expires_at": None},
    )


def record(name: str, *args) -> None:
    """Write the job's row in the current transaction (the caller commits, then enqueues).
    Asking again for a job whose worker died, or that waits, makes it wait anew."""
    if current_app.config["QUEUE_IMMEDIATE"]:
        return
    db.session.execute(_upsert(name, args))


def ensure_recorded(name: str, args) -> None:
    """Make sure the job has a row, in a transaction of its own (``enqueue`` without ``record``)."""
    stmt = insert(DurableJob).values(
        job_key=job_key(name, args), task=name, args=list(args), requested_at=utcnow(), attempts=0
    )
    with db.engine.begin() as conn:
        conn.execute(stmt.on_conflict_do_nothing(index_elements=[DurableJob.job_key]))


def pending(name: str, *args) -> bool:
    """Whether the job waits or runs: a live lease, or requested recently and not yet taken.
    A job whose worker died (lease expired) or whose message was lost is not pending."""
    row = db.session.execute(select(DurableJob).where(DurableJob.job_key == job_key(name, args))).scalar_one_or_none()
    if row is None:
        return False
    now = utcnow()
    if row.lease_owner is not None:
        return row.lease_expires_at is not None and row.lease_expires_at > now
    return row.requested_at > now - timedelta(seconds=_seconds("QUEUE_REQUEUE_AFTER"))


def claim(name: str, args) -> bool:
    """Take the job's lease for this worker (own transaction). False: nothing to do (done
    already, or a live worker holds it)."""
    now = utcnow()
    with db.engine.begin() as conn:
        taken = conn.execute(
            update(DurableJob)
            .where(
                DurableJob.job_key == job_key(name, args),
                (DurableJob.lease_owner.is_(None)) | (DurableJob.lease_expires_at < now),
            )
            .values(
                lease_owner=worker_id(),
                lease_expires_at=now + timedelta(seconds=lease_seconds()),
                attempts=DurableJob.attempts + 1,
            )
            .returning(DurableJob.id)
        ).first()
    return taken is not None


def finish(name: str, args) -> None:
    """Delete the job's row in the current session (the task's final commit), if still ours."""
    db.session.execute(
        delete(DurableJob).where(DurableJob.job_key == job_key(name, args), DurableJob.lease_owner == worker_id())
    )


def release(name: str, args, *, give_up: bool) -> None:
    """After a failure (own transaction): drop the row when no retry remains, else free the
    lease so the queue's retry can take it."""
    where = (DurableJob.job_key == job_key(name, args), DurableJob.lease_owner == worker_id())
    with db.engine.begin() as conn:
        if give_up:
            conn.execute(delete(DurableJob).where(*where))
        else:
            conn.execute(
                update(DurableJob).where(*where).values(lease_owner=None, lease_expires_at=None, requested_at=utcnow())
            )


def heartbeat() -> None:
    """This worker is alive: its row's ``seen_at`` and its leases' expiry move forward."""
    now = utcnow()
    me = worker_id()
    with db.engine.begin() as conn:
        stmt = insert(QueueWorker).values(
            id=me, host=socket.gethostname(), pid=os.getpid(), started_at=now, seen_at=now
        )
        conn.execute(stmt.on_conflict_do_update(index_elements=[QueueWorker.id], set_={"seen_at": now}))
        conn.execute(
            update(DurableJob)
            .where(DurableJob.lease_owner == me)
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds()))
        )


def forget_worker() -> None:
    """A gracefully stopped worker leaves no heartbeat row behind."""
    with db.engine.begin() as conn:
        conn.execute(delete(QueueWorker).where(QueueWorker.id == worker_id()))


def sweep(send) -> list[tuple[str, list]]:
    """Send again every job whose worker died or whose message was lost; ``send(name, args)``
    puts one on the queue. Returns what was sent."""
    now = utcnow()
    requeue_after = timedelta(seconds=_seconds("QUEUE_REQUEUE_AFTER"))
    max_attempts = current_app.config["QUEUE_MAX_ATTEMPTS"]
    with db.engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT id, task, args, attempts, lease_owner FROM durable_jobs"
                " WHERE (lease_owner IS NOT NULL AND lease_expires_at < :now)"
                "    OR (lease_owner IS NULL AND requested_at < :stale)"
                " ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED"
            ),
            {"now": now, "stale": now - requeue_after},
        ).all()
        dropped = [row for row in rows if row.attempts >= max_attempts]
        again = [row for row in rows if row.attempts < max_attempts]
        for row in dropped:
            log.error(
                "job %s%s dropped after %s attempts (its workers died)",
                row.task,
                row.args,
                row.attempts,
                extra={"job": row.task},
            )
        if dropped:
            conn.execute(delete(DurableJob).where(DurableJob.id.in_([r.id for r in dropped])))
        if again:
            conn.execute(
                update(DurableJob)
                .where(DurableJob.id.in_([r.id for r in again]))
                .values(lease_owner=None, lease_expires_at=None, requested_at=now)
            )
        # Heartbeat rows of workers gone for a day are of no use to anyone.
        conn.execute(delete(QueueWorker).where(QueueWorker.seen_at < now - timedelta(days=1)))
    sent = []
    for row in again:
        log.warning(
            "job %s%s sent again (%s)",
            row.task,
            row.args,
            "its worker stopped" if row.lease_owner else "no worker took it",
            extra={"job": row.task},
        )
        try:
            send(row.task, row.args)
        except Exception as exc:  # the queue is unreachable: the row waits for the next sweep
            log.warning("job %s%s could not be sent again: %s", row.task, row.args, type(exc).__name__)
            continue
        sent.append((row.task, row.args))
    return sent


def last_worker_seen_seconds(engine) -> float | None:
    """Seconds since any worker's heartbeat (None: no worker ever seen); for the health check."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT EXTRACT(EPOCH FROM now() - max(seen_at)) FROM queue_workers")).scalar()


def expire_my_leases() -> None:
    """This worker stops with jobs unfinished: let the next sweep take them at once."""
    with db.engine.begin() as conn:
        conn.execute(update(DurableJob).where(DurableJob.lease_owner == worker_id()).values(lease_expires_at=utcnow()))
