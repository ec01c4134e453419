"""Outgoing email, kept in an outbox table until delivered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.core.types import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    """An email waiting to be (or already) delivered. Written in the same transaction as
    the change it reports, delivered afterwards; ``dedupe_key`` makes notices idempotent."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class DurableJob(db.Model):
    """A job that must be done at least once (``app.core.jobs``): written when the job is
    requested (in the requesting transaction when it can be), leased by the worker that runs
    it, deleted in the transaction that finishes it. A row whose lease expired (its worker
    died) or that no worker took for a while (its message was lost) is sent to the queue again.

    ``job_key`` (task name and arguments) is unique: asking again for a job already waiting
    is the same job.
    """

    __tablename__ = "durable_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_key: Mapped[str] = mapped_column(String(300), unique=True)
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[list] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # times a worker took it
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class QueueWorker(db.Model):
    """A running queue worker process, seen every few seconds (its heartbeat); the readiness
    check wants one seen recently. A worker deletes its row when it stops gracefully."""

    __tablename__ = "queue_workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
