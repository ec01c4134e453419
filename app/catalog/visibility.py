"""Who may see what in the catalogue: the one rule.

A release is *public* once it is published (not a draft), its release date (if any) is today
or past (UTC), and it has at least one playable track (ready, not removed). Until then only
the artist's managers and admins see it: its page, tracks, cover, previews, waveforms and
streams. A track removed from the catalogue is gone for everyone but its managers, admins and
the listeners who own it: owning is forever (the stream-to-own promise), so owners keep
streaming and downloading it, whatever later happens to its release.

Every public read goes through this module: ``visible_releases_clause`` (queries: home, artist
pages, search, API lists), ``release_visible_to`` / ``track_visible_to`` (one object: release
and track pages, API reads, previews, waveforms, covers, buying) and ``PLAYABLE_SQL`` (the
streaming start, one SQL statement). Moderation (``app.catalog.moderation``) adds its
"hidden" here: a hidden track or release is gone from every public read like a removed one;
its managers and admins still see it, and its owners keep it unless the admin chose a legal
takedown (the streaming start refuses their plays then, ``moderation.TAKEDOWN_SQL``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import aliased

import ledger.reads
from app.catalog import moderation
from app.catalog.models import Release, Track, TrackStatus
from app.core.extensions import db
from app.core.types import utcnow

# A track anyone may list and play, on a release they may see.
PUBLIC_TRACK = and_(moderation.public_track_clause(), Track.removed_at.is_(None))

# The same "released" test in SQL, for raw statements that alias releases as ``r`` and bind
# ``:today``; ``test_release_visibility`` checks it agrees with ``released_clause``.
RELEASED_SQL = "(r.release_date IS NULL OR r.release_date <= :today)"

# Whether a *ready* track (aliased ``t``, its release ``r``) may be played by the public: the
# streaming start adds the exceptions (managers, admins, owners) from its own joins.
PLAYABLE_SQL = "(t.removed_at IS NULL AND r.published_at IS NOT NULL AND " + RELEASED_SQL + ")"


def today_utc() -> date:
    return utcnow().date()


def released_clause(today: date | None = None) -> ColumnElement[bool]:
    """The release date, if any, has come (UTC)."""
    return or_(Release.release_date.is_(None), Release.release_date <= (today or today_utc()))


def has_ready_track_clause() -> ColumnElement[bool]:
    # An alias, so the subquery stays its own when the outer query selects tracks too.
    ready = aliased(Track)
    return (
        select(ready.id)
        .where(ready.release_id == Release.id, moderation.public_track_clause(ready), ready.removed_at.is_(None))
        .exists()
    )


def public_release_clause(today: date | None = None) -> ColumnElement[bool]:
    """Visible to everyone: published, released, not hidden, with at least one playable track."""
    return and_(
        Release.published_at.is_not(None),
        has_ready_track_clause(),
        released_clause(today),
        moderation.release_not_hidden_clause(),
    )


def managed_artist_ids(viewer) -> list[int]:
    if viewer is None or not viewer.is_authenticated:
        return []
    return [a.id for a in viewer.artists]


def visible_releases_clause(viewer) -> ColumnElement[bool]:
    """Releases ``viewer`` (a user, an anonymous visitor, or None for the public) may see:
    the public ones, every one for an admin, and their own artists' drafts for a manager."""
    return visibility_clause(visibility_key(viewer))


def visibility_key(viewer) -> tuple:
    """All the rule needs to know of ``viewer``, as a hashable value: ``("admin",)``, or the
    day (UTC) and the artists they manage (none for visitors and listeners). Equal keys give
    equal clauses, so a statement built with one can be reused for the other (search does)."""
    if viewer is not None and viewer.is_authenticated and viewer.is_admin:
        return ("admin",)
    return (today_utc(), tuple(sorted(managed_artist_ids(viewer))))


def visibility_clause(key: tuple) -> ColumnElement[bool]:
    """The clause of a ``visibility_key``: everything for an admin, else the public releases
    of that day and the managed artists' drafts."""
    if key == ("admin",):
        return true()
    today, managed = key
    if not managed:
        return public_release_clause(today)
    return or_(public_release_clause(today), Release.artist_id.in_(managed))


def release_visible_to(viewer, release: Release) -> bool:
    query = select(Release.id).where(Release.id == release.id, visible_releases_clause(viewer))
    return db.session.scalar(query) is not None


def manages(viewer, release: Release) -> bool:
    """The viewer edits this release (its artist's manager, or an admin)."""
    if viewer is None or not viewer.is_authenticated:
        return False
    return bool(viewer.is_admin) or release.artist_id in managed_artist_ids(viewer)


def owns(viewer, track: Track) -> bool:
    if viewer is None or not viewer.is_authenticated:
        return False
    return ledger.reads.owns(db.session, viewer.id, track.id)


def track_visible_to(viewer, track: Track) -> bool:
    """A ready track ``viewer`` may see and play: public on a release they may see, or one they
    manage, or one they own (whatever became of it since, but a legal takedown)."""
    if track.status is not TrackStatus.READY:
        return False
    if manages(viewer, track.release):
        return True
    hidden = moderation.is_hidden(track)
    if not hidden and track.removed_at is None and release_visible_to(viewer, track.release):
        return True
    if hidden and moderation.is_taken_down(track):
        return False
    return owns(viewer, track)
