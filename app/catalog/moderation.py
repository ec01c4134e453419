"""Moderation of the catalogue: a track or a release hidden by an admin. The one place that
says what "hidden" means; the visibility functions of ``app.catalog.services`` and the
streaming start ask it.

Invariants:

- A hidden track or release (``hidden_at`` set, on the track or on its release) is gone from
  every public read: listings, pages, search, the JSON API, previews, buying. Its artist's
  managers still see it, with the reason (``hidden_reason``); admins see everything.
- Plays of hidden items are refused, except for the track's owners (listeners who own it, and
  its artist's managers: the stream-to-own promise), and admins reviewing it. A legal takedown
  (``hidden_takedown``, chosen explicitly by the admin) ends the owners' access too: no plays
  and no download of the original.
- Hiding changes no money and deletes nothing; unhiding restores the item exactly.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from app.catalog.models import Release, Track, TrackStatus
from app.core.errors import ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow

REASON_MAX = 2000

# For raw statements that alias tracks as ``t`` and releases as ``r`` (the streaming start).
HIDDEN_SQL = "(t.hidden_at IS NOT NULL OR r.hidden_at IS NOT NULL)"
TAKEDOWN_SQL = "((t.hidden_at IS NOT NULL AND t.hidden_takedown) OR (r.hidden_at IS NOT NULL AND r.hidden_takedown))"


def release_not_hidden_clause() -> ColumnElement[bool]:
    return Release.hidden_at.is_(None)


def track_not_hidden_clause(track=Track) -> ColumnElement[bool]:
    """``track`` may be an alias of ``Track``."""
    return track.hidden_at.is_(None)


def public_track_clause(track=Track) -> ColumnElement[bool]:
    return and_(track.status == TrackStatus.READY, track_not_hidden_clause(track))


def is_hidden(track: Track) -> bool:
    """The track, or its release, is hidden."""
    return track.hidden_at is not None or track.release.hidden_at is not None


def is_taken_down(track: Track) -> bool:
    """Hidden after a legal takedown (the track or its release): nobody but admins gets it."""
    return (track.hidden_at is not None and track.hidden_takedown) or (
        track.release.hidden_at is not None and track.release.hidden_takedown
    )


def validate_reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= REASON_MAX:
        raise ValidationFailed(f"Give a reason (1 to {REASON_MAX} characters).", field=field)
    return reason


def hide(item: Track | Release, *, reason: str, takedown: bool = False) -> None:
    """Hide a track or release with a reason its managers see; ``takedown`` (a legal takedown)
    also ends its owners' access. Hiding a hidden item again replaces the reason."""
    if not isinstance(takedown, bool):
        raise ValidationFailed("takedown is true or false.", field="takedown")
    item.hidden_reason = validate_reason(reason)
    item.hidden_takedown = takedown
    item.hidden_at = item.hidden_at or utcnow()
    db.session.flush()


def unhide(item: Track | Release) -> None:
    item.hidden_at = None
    item.hidden_reason = None
    item.hidden_takedown = False
    db.session.flush()


def hidden_tracks(release: Release) -> list[Track]:
    """The release's tracks hidden one by one (shown to its managers, with the reasons)."""
    return [t for t in release.tracks if t.hidden_at is not None]
