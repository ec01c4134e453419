"""Catalogue moderation as admins do it: hide and unhide tracks and releases (the rule itself
is ``app.catalog.moderation``), and the queue of reports listeners and artists file."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.admin.models import ContentReport, ReportStatus
from app.admin.services import audit
from app.catalog import moderation
from app.catalog import services as catalog
from app.catalog.models import Release, Track
from app.core.error_handlers import N_
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow

KINDS = {"track": Track, "release": Release}
NOTE_MAX = 2000


def get_item(kind: str, item_id: int) -> Track | Release:
    model = KINDS.get(kind)
    if model is None:
        raise NotFound("Only tracks and releases can be moderated.")
    item = db.session.get(model, item_id)
    if item is None:
        if kind == "track":
            raise NotFound("There is no such track.")
        raise NotFound("There is no such release.")
    return item


def kind_of(item: Track | Release) -> str:
    return "track" if isinstance(item, Track) else "release"


def hide(kind: str, item_id: int, *, reason: str, takedown: bool = False, by: User) -> Track | Release:
    item = get_item(kind, item_id)
    moderation.hide(item, reason=reason, takedown=takedown)
    audit.record(by, f"{kind}.hide", kind, item.id, reason=item.hidden_reason, takedown=item.hidden_takedown)
    return item


def unhide(kind: str, item_id: int, *, by: User, reason: str | None = None) -> Track | Release:
    item = get_item(kind, item_id)
    if item.hidden_at is None:
        if kind == "track":
            raise Conflict("This track is not hidden.", code="not_hidden")
        raise Conflict("This release is not hidden.", code="not_hidden")
    was_takedown = item.hidden_takedown
    moderation.unhide(item)
    audit.record(by, f"{kind}.unhide", kind, item.id, reason=(reason or "").strip() or None, was_takedown=was_takedown)
    return item


def hidden_items(limit: int = 200) -> list[Track | Release]:
    """Everything hidden now, most recently hidden first."""
    tracks = db.session.scalars(select(Track).where(Track.hidden_at.is_not(None)).limit(limit))
    releases = db.session.scalars(select(Release).where(Release.hidden_at.is_not(None)).limit(limit))
    return sorted([*tracks, *releases], key=lambda i: i.hidden_at, reverse=True)


# --- reports ----------------------------------------------------------------------------------


# Literal messages (pages show them translated: docs/TRANSLATING.md); their number is NOTE_MAX.
_TEXT_REQUIRED = {
    "reason": N_("Give a reason (1 to 2000 characters)."),
    "note": N_("Give a note (1 to 2000 characters)."),
}


def _text(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not 1 <= len(value) <= NOTE_MAX:
        raise ValidationFailed(_TEXT_REQUIRED[field], field=field)
    return value


def file_report(kind: str, item_id: int, *, reporter: User, reason: str) -> ContentReport:
    """A report of a track or release the reporter can see. One open report per person and item."""
    if kind == "track":
        item = catalog.get_public_track(item_id, reporter)
    elif kind == "release":
        item = catalog.get_release(item_id, reporter)
    else:
        raise NotFound("Only tracks and releases can be reported.")
    reason = _text(reason, "reason")
    column = ContentReport.track_id if kind == "track" else ContentReport.release_id
    exists = db.session.scalar(
        select(ContentReport.id).where(
            column == item.id, ContentReport.reporter_id == reporter.id, ContentReport.status == ReportStatus.OPEN.value
        )
    )
    if exists is not None:
        raise Conflict("You already reported this; the admins will look at it.", code="already_reported")
    report = ContentReport(reporter_id=reporter.id, reason=reason, status=ReportStatus.OPEN.value)
    if kind == "track":
        report.track_id = item.id
    else:
        report.release_id = item.id
    db.session.add(report)
    db.session.flush()
    return report


def report_kind(report: ContentReport) -> str:
    return "track" if report.track_id is not None else "release"


def report_item(report: ContentReport) -> Track | Release:
    return report.track if report.track_id is not None else report.release


def get_report(report_id: int) -> ContentReport:
    report = db.session.get(ContentReport, report_id)
    if report is None:
        raise NotFound("There is no such report.")
    return report


def list_reports(status: str | None = "open", *, limit: int = 100) -> list[ContentReport]:
    query = select(ContentReport).order_by(ContentReport.id.desc()).limit(limit)
    if status:
        try:
            query = query.where(ContentReport.status == ReportStatus(status).value)
        except ValueError:
            raise ValidationFailed("status is open, hidden or dismissed.", field="status") from None
    return list(db.session.scalars(query))


def resolve(report_id: int, action: str, *, note: str, by: User, takedown: bool = False) -> ContentReport:
    """Hide the reported item (``note`` is the reason its managers see) or dismiss the report.
    Hiding answers every open report of the same item."""
    report = db.session.scalar(select(ContentReport).where(ContentReport.id == report_id).with_for_update())
    if report is None:
        raise NotFound("There is no such report.")
    if report.status != ReportStatus.OPEN.value:
        raise Conflict("This report is already resolved.", code="already_resolved")
    note = _text(note, "note")
    kind = report_kind(report)
    if action == "hide":
        item = hide(kind, report_item(report).id, reason=note, takedown=takedown, by=by)
        column = ContentReport.track_id if kind == "track" else ContentReport.release_id
        answered = list(
            db.session.scalars(
                select(ContentReport).where(column == item.id, ContentReport.status == ReportStatus.OPEN.value)
            )
        )
        status = ReportStatus.HIDDEN
    elif action == "dismiss":
        answered = [report]
        status = ReportStatus.DISMISSED
    else:
        raise ValidationFailed("Resolve a report with hide or dismiss.", field="action")
    now = utcnow()
    for r in answered:
        r.status = status.value
        r.resolved_by_id = by.id
        r.resolved_at = now
        r.resolution_note = note
    db.session.flush()
    audit.record(
        by,
        f"report.{action}",
        "report",
        report.id,
        reason=note,
        item=f"{kind}:{report_item(report).id}",
        reports=[r.id for r in answered],
    )
    return report
