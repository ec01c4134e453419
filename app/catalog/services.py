"""Reading and shaping the catalog: artists, releases and tracks (search: ``app.catalog.search``)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.catalog.models import Artist, Release, ReleaseKind, Track, TrackStatus

# Who may see what: the one rule, kept in ``app.catalog.visibility``; re-exported for the
# other domains, which read the catalogue through this module.
from app.catalog.visibility import (  # noqa: F401
    PLAYABLE_SQL,
    PUBLIC_TRACK,
    RELEASED_SQL,
    has_ready_track_clause,
    public_release_clause,
    release_visible_to,
    released_clause,
    today_utc,
    track_visible_to,
    visible_releases_clause,
)
from app.core.errors import NotFound, ValidationFailed
from app.core.extensions import db


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


def release_kind(kind: str) -> ReleaseKind:
    try:
        return ReleaseKind(kind)
    except ValueError:
        raise ValidationFailed("A release is an album, an ep or a single.", field="kind") from None


def create_release(
    artist: Artist, *, title: str, kind: str = "album", release_date: date | None = None, published: bool = True
) -> Release:
    """A new release; ``published=False`` makes a draft, seen only by the artist's managers."""
    release = Release(
        artist=artist,
        title=validate_title(title, "title", "release title"),
        kind=release_kind(kind),
        release_date=release_date,
    )
    db.session.add(release)
    db.session.flush()
    if not published:
        # After the INSERT: given before it, None would be taken as "no value" and the
        # column's default (now) would publish the draft.
        release.published_at = None
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
