"""Reading and shaping the catalog: artists, releases and tracks (search: ``app.catalog.search``)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import aliased, selectinload

from app.catalog.models import Artist, Release, ReleaseKind, Track, TrackStatus
from app.core.errors import NotFound, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow

PUBLIC_TRACK = Track.status == TrackStatus.READY


# --- who may see a release: the one rule --------------------------------------------------------
#
# A release is *public* once it has at least one ready track and its release date (if any) is
# today or past (UTC). Until then it is a draft or unreleased: only the artist's managers and
# admins see it, its tracks, cover, previews, waveforms and streams. Every public read goes
# through ``visible_releases_clause`` (queries) or ``release_visible_to`` / ``get_release`` /
# ``get_public_track`` (one object), so the rule lives here and nowhere else.

# The same "released" test in SQL, for raw statements that alias releases as ``r`` and bind
# ``:today`` (the streaming start); ``test_release_visibility`` checks it agrees with
# ``released_clause``.
RELEASED_SQL = "(r.release_date IS NULL OR r.release_date <= :today)"


def today_utc() -> date:
    return utcnow().date()


def released_clause(today: date | None = None) -> ColumnElement[bool]:
    """The release date, if any, has come (UTC)."""
    return or_(Release.release_date.is_(None), Release.release_date <= (today or today_utc()))


def has_ready_track_clause() -> ColumnElement[bool]:
    # An alias, so the subquery stays its own when the outer query selects tracks too.
    ready = aliased(Track)
    return select(ready.id).where(ready.release_id == Release.id, ready.status == TrackStatus.READY).exists()


def public_release_clause(today: date | None = None) -> ColumnElement[bool]:
    """Visible to everyone: released, with at least one ready track."""
    return and_(has_ready_track_clause(), released_clause(today))


def visible_releases_clause(viewer) -> ColumnElement[bool]:
    """Releases ``viewer`` (a user, an anonymous visitor, or None for the public) may see:
    the public ones, every one for an admin, and their own artists' drafts for a manager."""
    if viewer is None or not viewer.is_authenticated:
        return public_release_clause()
    if viewer.is_admin:
        return true()
    managed = [a.id for a in viewer.artists]
    if not managed:
        return public_release_clause()
    return or_(public_release_clause(), Release.artist_id.in_(managed))


def release_visible_to(viewer, release: Release) -> bool:
    query = select(Release.id).where(Release.id == release.id, visible_releases_clause(viewer))
    return db.session.scalar(query) is not None


def track_visible_to(viewer, track: Track) -> bool:
    """A ready track of a release ``viewer`` may see."""
    return track.is_public and release_visible_to(viewer, track.release)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "artist"


def validate_title(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not 1 <= len(value) <= 200:
        raise ValidationFailed(f"The {what} needs 1 to 200 characters.", field=field)
    return value


def create_artist(*, name: str, bio: str = "") -> Artist:
    name = validate_title(name, "name", "artist name")
    base = slugify(name)
    slug, n = base, 1
    while db.session.scalar(select(Artist.id).where(Artist.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    artist = Artist(name=name, slug=slug, bio=bio.strip())
    db.session.add(artist)
    db.session.flush()
    return artist


def create_release(artist: Artist, *, title: str, kind: str = "album", release_date: date | None = None) -> Release:
    try:
        release_kind = ReleaseKind(kind)
    except ValueError:
        raise ValidationFailed("A release is an album, an ep or a single.", field="kind") from None
    release = Release(
        artist=artist,
        title=validate_title(title, "title", "release title"),
        kind=release_kind,
        release_date=release_date,
    )
    db.session.add(release)
    db.session.flush()
    return release


def next_position(release: Release) -> int:
    highest = db.session.scalar(select(func.max(Track.position)).where(Track.release_id == release.id))
    return (highest or 0) + 1


def create_track(
    release: Release,
    *,
    title: str,
    position: int | None = None,
    duration_ms: int | None = None,
    free: bool = False,
    status: TrackStatus = TrackStatus.PROCESSING,
) -> Track:
    track = Track(
        release=release,
        title=validate_title(title, "title", "track title"),
        position=position if position is not None else next_position(release),
        duration_ms=duration_ms,
        free=free,
        status=status,
    )
    db.session.add(track)
    db.session.flush()
    return track


def is_own_track(user, track: Track) -> bool:
    """The listener is one of the users who manage the track's artist: their plays of it cost
    and earn nothing. (Admins are not owners of every track: ``User.can_manage`` is about
    editing, this is about money.)"""
    return any(artist.id == track.release.artist_id for artist in user.artists)


def get_artist(artist_id: int) -> Artist:
    artist = db.session.get(Artist, artist_id)
    if artist is None:
        raise NotFound(f"There is no artist {artist_id}.")
    return artist


def get_release(release_id: int, viewer) -> Release:
    """A release ``viewer`` may see (404 otherwise: a draft's existence is not disclosed)."""
    release = db.session.get(Release, release_id)
    if release is None or not release_visible_to(viewer, release):
        raise NotFound(f"There is no release {release_id}.")
    return release


def get_public_track(track_id: int, viewer) -> Track:
    """A ready track of a release ``viewer`` may see."""
    track = db.session.get(Track, track_id)
    if track is None or not track_visible_to(viewer, track):
        raise NotFound(f"There is no track {track_id}.")
    return track


def public_tracks(release: Release) -> list[Track]:
    return [t for t in release.tracks if t.is_public]


def list_artists(*, limit: int = 50, offset: int = 0) -> list[Artist]:
    return list(db.session.scalars(select(Artist).order_by(Artist.name).limit(limit).offset(offset)))


def latest_releases(*, limit: int = 24) -> list[Release]:
    """The home grid: public releases only, whoever looks."""
    query = (
        select(Release)
        .where(visible_releases_clause(None))
        .options(selectinload(Release.artist))
        .order_by(Release.release_date.desc().nulls_last(), Release.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def visible_releases(artist: Artist, viewer) -> list[Release]:
    """The artist's releases ``viewer`` may see, newest first."""
    query = (
        select(Release)
        .where(Release.artist_id == artist.id, visible_releases_clause(viewer))
        .order_by(Release.release_date.desc().nulls_last(), Release.id.desc())
    )
    return list(db.session.scalars(query))
