"""The audit log of admin actions (append-only, enforced by the database) and the reports
listeners and artists file about tracks and releases."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DDL, CheckConstraint, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import db
from app.core.types import UTCDateTime, utcnow

# The trigger that makes ``admin_audit_log`` append-only: any UPDATE or DELETE raises,
# whoever runs it, as the ledger's guards do for money. Migration 0020 runs a frozen copy
# (a test checks they agree); ``create_all`` runs these through the event below.
AUDIT_GUARDS = [
    "CREATE OR REPLACE FUNCTION admin_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
    "    MESSAGE = 'admin_audit_log is append-only: rows are never changed or deleted';\n"
    "END $$",
    "CREATE TRIGGER admin_audit_log_append_only BEFORE UPDATE OR DELETE ON admin_audit_log"
    " FOR EACH ROW EXECUTE FUNCTION admin_audit_refuse_change()",
]


class AuditEntry(db.Model):
    """One admin action: who, what, on which target, when, why (and details as JSON text).

    Rows are never changed or deleted (the database refuses): a mistake is corrected by
    another action, which is logged too."""

    __tablename__ = "admin_audit_log"
    __table_args__ = (Index("ix_admin_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)  # e.g. "user.suspend", "track.hide"
    target_type: Mapped[str] = mapped_column(String(20))  # user, track, release, report, order
    target_id: Mapped[int]
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON object

    actor: Mapped["User"] = relationship()  # noqa: F821 (accounts module)


class ReportStatus(str, enum.Enum):
    OPEN = "open"
    HIDDEN = "hidden"  # resolved: the item was hidden
    DISMISSED = "dismissed"  # resolved: nothing to do


class ContentReport(db.Model):
    """A listener's or artist's report of a track or release ("report this"), waiting in the
    admins' queue until resolved (hide or dismiss) with a note."""

    __tablename__ = "content_reports"
    __table_args__ = (
        CheckConstraint("(track_id IS NULL) <> (release_id IS NULL)", name="one_target"),
        CheckConstraint("status IN ('open', 'hidden', 'dismissed')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.OPEN.value, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)

    track: Mapped["Track | None"] = relationship()  # noqa: F821 (catalog module)
    release: Mapped["Release | None"] = relationship()  # noqa: F821 (catalog module)
    reporter: Mapped["User"] = relationship(foreign_keys=[reporter_id])  # noqa: F821 (accounts module)
    resolved_by: Mapped["User | None"] = relationship(foreign_keys=[resolved_by_id])  # noqa: F821


for _statement in AUDIT_GUARDS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement.replace("%", "%%")))
