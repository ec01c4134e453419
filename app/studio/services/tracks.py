"""Editing tracks: title, track number (reordering), free/paid, lyrics, explicit flag, and
removing a track from the catalogue.

Removing is not deleting: the row stays (plays, earnings and ownerships name it) and its
owners keep streaming and downloading it (``app.catalog.visibility``); everyone else loses it.
"""

from __future__ import annotations

from sqlalchemy import select

import ledger.reads
from app.catalog import services as catalog
from app.catalog.models import Release, Track
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.studio.services.releases import checked_text, tracks_in_order

LYRICS_LIMIT = 20000


def update_track(track: Track, changes: dict) -> Track:
    """Apply ``changes`` (any of title, position, free, lyrics, explicit): all are checked
    first, then all are applied."""
    checked: dict = {}
    if "title" in changes:
        checked["title"] = catalog.validate_title(changes["title"], "title", "track title")
    for flag in ("free", "explicit"):
        if flag in changes:
            if not isinstance(changes[flag], bool):
                raise ValidationFailed(f"'{flag}' must be true or false.", field=flag)
            checked[flag] = changes[flag]
    if "lyrics" in changes:
        checked["lyrics"] = checked_text(changes["lyrics"], "lyrics", LYRICS_LIMIT)
    if "position" in changes:
        position = changes["position"]
        if not isinstance(position, int) or isinstance(position, bool):
            raise ValidationFailed("'position' must be an integer.", field="position")
        if track.removed:
            raise Conflict("A removed track has no place in the track list.", code="track_removed")
    for field, value in checked.items():
        setattr(track, field, value)
    if "position" in changes:
        move_track(track, changes["position"])
    db.session.flush()
    return track


def move_track(track: Track, position: int) -> None:
    """Give ``track`` the track number ``position`` (1 = first) among the release's tracks
    that are not removed, renumbering the others 1..n in their order (removed ones after)."""
    release = _locked_release(track.release_id)
    order = [t for t in tracks_in_order(release) if not t.removed]
    if not 1 <= position <= len(order):
        raise ValidationFailed(f"The track number is 1 to {len(order)} on this release.", field="position")
    order.remove(track)
    order.insert(position - 1, track)
    _renumber(release, order)


def _locked_release(release_id: int) -> Release:
    """The release, locked: two reorders of one release take turns."""
    release = db.session.scalar(select(Release).where(Release.id == release_id).with_for_update())
    if release is None:
        raise NotFound(f"There is no release {release_id}.")
    db.session.refresh(release, ["tracks"])
    return release


def _renumber(release: Release, order: list[Track]) -> None:
    removed = [t for t in tracks_in_order(release) if t.removed]
    final = order + removed
    # (release_id, position) is unique: step through positions no track holds.
    for i, t in enumerate(final, start=1):
        t.position = -i
    db.session.flush()
    for i, t in enumerate(final, start=1):
        t.position = i
    db.session.flush()


def owner_count(track: Track) -> int:
    return ledger.reads.owner_count(db.session, track.id)


def remove_track(track: Track) -> Track:
    """Take the track out of the catalogue (409 if it is out already). It moves to the end of
    the track list; its owners keep it."""
    release = _locked_release(track.release_id)
    if track.removed:
        raise Conflict("This track was removed from the catalogue already.", code="track_removed")
    track.removed_at = utcnow()
    db.session.flush()
    _renumber(release, [t for t in tracks_in_order(release) if not t.removed])
    return track


def restore_track(track: Track) -> Track:
    """Put a removed track back in the catalogue, last in the track list."""
    release = _locked_release(track.release_id)
    if not track.removed:
        raise Conflict("This track is in the catalogue.", code="track_not_removed")
    track.removed_at = None
    order = [t for t in tracks_in_order(release) if not t.removed and t is not track] + [track]
    _renumber(release, order)
    return track
