"""The audit log: every admin action, written in the transaction that does it.

Invariants: ``record`` is the only writer; rows are only ever inserted (the database's
trigger refuses UPDATE and DELETE, see ``app.admin.models.AUDIT_GUARDS``); reading filters by
actor, action, target and time, newest first; the CSV export goes through
``app.core.csv_export.write_csv`` (formula injection neutralised).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from app.accounts.models import User
from app.admin.models import AuditEntry
from app.core.csv_export import write_csv
from app.core.errors import ValidationFailed
from app.core.extensions import db

ACTIONS = (
    "user.role",
    "user.suspend",
    "user.unsuspend",
    "track.hide",
    "track.unhide",
    "release.hide",
    "release.unhide",
    "report.hide",
    "report.dismiss",
    "order.refund",
    "payout_run.start",
    "payout.paid",
    "payout.release",
    "payout.void",
)
TARGET_TYPES = ("user", "track", "release", "report", "order", "payout_run", "payout")
CSV_HEADER = ("id", "at", "actor_id", "actor_email", "action", "target_type", "target_id", "reason", "details")


def record(actor: User, action: str, target_type: str, target_id: int, *, reason: str | None = None, **details):
    """Write one entry (flushed with the action it describes; committed with it or not at all)."""
    assert action in ACTIONS and target_type in TARGET_TYPES, (action, target_type)
    entry = AuditEntry(
        actor_id=actor.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        details=json.dumps(details, sort_keys=True, default=str),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class Filters:
    actor_id: int | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: int | None = None
    since: date | None = None  # inclusive, UTC days
    until: date | None = None  # inclusive

    @staticmethod
    def parse(
        *,
        actor_id: int | None = None,
        action: str | None = None,
        target_type: str | None = None,
        target_id: int | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Filters:
        if action and action not in ACTIONS:
            raise ValidationFailed(f"action is one of {', '.join(ACTIONS)}.", field="action")
        if target_type and target_type not in TARGET_TYPES:
            raise ValidationFailed(f"target_type is one of {', '.join(TARGET_TYPES)}.", field="target_type")
        return Filters(
            actor_id=actor_id or None,
            action=action or None,
            target_type=target_type or None,
            target_id=target_id or None,
            since=_day(since, "since"),
            until=_day(until, "until"),
        )


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"'{field}' must be a date like 2026-12-01.", field=field) from None


def entries(filters: Filters, *, limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
    """Entries matching ``filters``, newest first; page with ``before_id`` (the last id seen)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.actor_id:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(AuditEntry.target_id == filters.target_id)
    if filters.since:
        query = query.where(AuditEntry.at >= datetime.combine(filters.since, time(), tzinfo=timezone.utc))
    if filters.until and filters.until < date.max:  # (date.max: no end; one day more would overflow)
        end = datetime.combine(filters.until + timedelta(days=1), time(), tzinfo=timezone.utc)
        query = query.where(AuditEntry.at < end)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def as_csv(filters: Filters) -> str:
    """Every matching entry as CSV (oldest last, like the page)."""
    rows = [CSV_HEADER]
    for e in entries(filters, limit=0):
        rows.append(
            (
                e.id,
                e.at.isoformat(),
                e.actor_id,
                e.actor.email,
                e.action,
                e.target_type,
                e.target_id,
                e.reason,
                e.details,
            )
        )
    return write_csv(rows)
