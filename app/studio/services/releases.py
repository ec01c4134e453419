"""Editing releases: their details, their draft/published state, deleting an unheard one.

Every function checks all its input before changing anything, and flushes, never commits:
a refused edit leaves the release as it was. Who may call them is the caller's check
(``app.core.auth.require_manager``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

import ledger.reads
from app.catalog import services as catalog
from app.catalog.models import Artist, Release, Track
from app.core.errors import Conflict, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.streaming.models import Play, PreviewPlay

# The longest text each free-text field of a release holds.
TEXT_LIMITS = {"description": 5000, "credits": 5000, "license_note": 1000}


def checked_text(value, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"'{field}' must be a string.", field=field)
    value = value.strip().replace("\r\n", "\n")
    if len(value) > limit:
        raise ValidationFailed(f"'{field}' holds at most {limit} characters.", field=field)
    return value


def parse_date(value, field: str = "release_date") -> date | None:
    """A date from ``YYYY-MM-DD`` text; None for empty (no release date)."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"'{field}' must be a date like 2026-11-26.", field=field) from None


def update_release(release: Release, changes: dict) -> Release:
    """Apply ``changes`` (any of title, kind, release_date, description, credits,
    license_note, published); all are checked first, then all are applied."""
    checked: dict = {}
    if "title" in changes:
        checked["title"] = catalog.validate_title(changes["title"], "title", "release title")
    if "kind" in changes:
        checked["kind"] = catalog.release_kind(changes["kind"])
    if "release_date" in changes:
        checked["release_date"] = parse_date(changes["release_date"])
    for field, limit in TEXT_LIMITS.items():
        if field in changes:
            checked[field] = checked_text(changes[field], field, limit)
    for field, value in checked.items():
        setattr(release, field, value)
    if "published" in changes:
        set_published(release, changes["published"])
    db.session.flush()
    return release


def set_published(release: Release, published: bool) -> None:
    """Publish (public from its release date on) or take back to a draft (managers only).
    Listeners who own its tracks keep them either way."""
    if not isinstance(published, bool):
        raise ValidationFailed("'published' must be true or false.", field="published")
    if published and release.published_at is None:
        release.published_at = utcnow()
    elif not published:
        release.published_at = None


def create_release(artist: Artist, fields: dict) -> Release:
    """A new release from checked ``fields``; a draft unless ``published`` is true."""
    fields = dict(fields)
    published = fields.pop("published", False)
    if not isinstance(published, bool):
        raise ValidationFailed("'published' must be true or false.", field="published")
    release = catalog.create_release(
        artist,
        title=fields.pop("title", ""),
        kind=fields.pop("kind", None) or "album",
        release_date=parse_date(fields.pop("release_date", None)),
        published=False,
    )
    update_release(release, fields | {"published": published})
    return release


@dataclass(frozen=True)
class ReleaseState:
    """Where a release stands, as its managers see it."""

    name: str  # "draft", "scheduled" or "published"
    label: str


def state_of(release: Release, today: date | None = None) -> ReleaseState:
    today = today or catalog.today_utc()
    if release.published_at is None:
        return ReleaseState("draft", "Draft: only you see it")
    if release.release_date is not None and release.release_date > today:
        return ReleaseState("scheduled", f"Scheduled for {release.release_date.isoformat()}")
    return ReleaseState("published", "Published")


def heard_track_ids(release: Release) -> set[int]:
    """Tracks of the release that were played, previewed or owned: their history must stay."""
    ids = [t.id for t in release.tracks]
    if not ids:
        return set()
    heard = set(db.session.scalars(select(Play.track_id).where(Play.track_id.in_(ids)).distinct()))
    heard |= set(db.session.scalars(select(PreviewPlay.track_id).where(PreviewPlay.track_id.in_(ids)).distinct()))
    heard |= ledger.reads.tracks_with_history(db.session, ids)
    return heard


def delete_release(release: Release) -> list[str]:
    """Delete a release nobody has heard (a draft, a mistake), with its tracks. Returns the
    object-store prefixes for the caller to delete once its commit went through.

    409 when any of its tracks was played or is owned: remove those tracks instead, so the
    plays, earnings and owners keep their track."""
    db.session.execute(select(Release.id).where(Release.id == release.id).with_for_update())
    heard = heard_track_ids(release)
    if heard:
        raise Conflict(
            f"{len(heard)} track(s) of this release have been played; it cannot be deleted. "
            "Take it back to a draft, or remove its tracks (their owners keep them).",
            code="release_heard",
        )
    prefixes = [f"tracks/{t.id}" for t in release.tracks]
    if release.cover_key:
        prefixes.append(release.cover_key)
    db.session.delete(release)
    db.session.flush()
    return prefixes


def tracks_in_order(release: Release) -> list[Track]:
    """The release's tracks in track-number order, the removed ones last."""
    tracks = sorted(release.tracks, key=lambda t: t.position)
    return [t for t in tracks if not t.removed] + [t for t in tracks if t.removed]
