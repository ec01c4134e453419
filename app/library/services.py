"""The listener's library: favourites, follows, the feed, playlists, release mail.

Every read of catalogue rows goes through the catalog's visibility rule (``PUBLIC_TRACK``,
``visible_releases_clause``, ``get_public_track``, ``get_release``), so a track that is hidden,
removed or not yet released drops out of favourites, the feed and playlists for whoever may not
see it, without its library rows being deleted (it comes back if it is shown again).

Rules: favourites and follows are idempotent (a second star is a no-op, unstarring what is not
starred too). A playlist is edited only by its owner (403 for a public one; 404 for a private
one, whose existence is not disclosed); a private playlist is seen by its owner only, a public
one by anyone, through its page or its share link. Edits lock the playlist's row, so positions
stay 0..n-1 with no gaps or duplicates whatever runs concurrently. Everything flushes, never
commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Date, cast, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.catalog import services as catalog
from app.catalog.models import Artist, Release, Track
from app.core import mail
from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.library.models import (
    ArtistFollow,
    FavouriteRelease,
    FavouriteTrack,
    LibraryPreferences,
    Playlist,
    PlaylistItem,
    ReleaseAnnouncement,
)

MAX_PLAYLIST_ITEMS = 1000
MAX_PLAYLISTS = 500
MAX_NAME = 200
MAX_DESCRIPTION = 2000


# --- favourites and follows -------------------------------------------------------------------

_STARS = {
    "track": (FavouriteTrack, FavouriteTrack.track_id, "track_id"),
    "release": (FavouriteRelease, FavouriteRelease.release_id, "release_id"),
    "artist": (ArtistFollow, ArtistFollow.artist_id, "artist_id"),
}


def _target(kind: str, target_id: int, viewer):
    """What may be starred: only what the viewer may see (a hidden track is 404)."""
    if kind == "track":
        return catalog.get_public_track(target_id, viewer)
    if kind == "release":
        return catalog.get_release(target_id, viewer)
    return catalog.get_artist(target_id)


def star(user: User, kind: str, target_id: int):
    """Favourite a track or a release, or follow an artist. Idempotent: starring twice keeps the
    first time (Subsonic's ``starred`` date). Returns the starred object."""
    target = _target(kind, target_id, user)
    model, _, column = _STARS[kind]
    db.session.execute(
        insert(model).values({"user_id": user.id, column: target_id, "created_at": utcnow()}).on_conflict_do_nothing()
    )
    return target


def unstar(user: User, kind: str, target_id: int) -> None:
    """Remove a favourite or a follow; a no-op when there is none (hidden targets too)."""
    model, key, _ = _STARS[kind]
    db.session.execute(delete(model).where(model.user_id == user.id, key == target_id))


def favourite_tracks(user: User) -> list[Track]:
    """Favourite tracks the user may still see, most recently starred first."""
    query = (
        select(Track)
        .join(FavouriteTrack, FavouriteTrack.track_id == Track.id)
        .join(Track.release)
        .where(FavouriteTrack.user_id == user.id, catalog.PUBLIC_TRACK, catalog.visible_releases_clause(user))
        .options(selectinload(Track.release).selectinload(Release.artist))
        .order_by(FavouriteTrack.created_at.desc(), Track.id)
    )
    return list(db.session.scalars(query))


def favourite_releases(user: User) -> list[Release]:
    query = (
        select(Release)
        .join(FavouriteRelease, FavouriteRelease.release_id == Release.id)
        .where(FavouriteRelease.user_id == user.id, catalog.visible_releases_clause(user))
        .options(selectinload(Release.artist))
        .order_by(FavouriteRelease.created_at.desc(), Release.id)
    )
    return list(db.session.scalars(query))


def followed_artists(user: User) -> list[Artist]:
    query = (
        select(Artist)
        .join(ArtistFollow, ArtistFollow.artist_id == Artist.id)
        .where(ArtistFollow.user_id == user.id)
        .order_by(Artist.name, Artist.id)
    )
    return list(db.session.scalars(query))


def starred_ids(user, kind: str, ids) -> set[int]:
    """Which of ``ids`` the user has starred (empty for visitors): for the buttons' state."""
    ids = list(ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return set()
    model, key, _ = _STARS[kind]
    return set(db.session.scalars(select(key).where(model.user_id == user.id, key.in_(ids))))


def follower_count(artist: Artist) -> int:
    return db.session.scalar(select(func.count()).where(ArtistFollow.artist_id == artist.id)) or 0


def _release_day():
    """When a release came out: its release date, else the day it was created."""
    return func.coalesce(Release.release_date, cast(Release.created_at, Date))


def feed(user: User, *, limit: int = 30) -> list[Release]:
    """New from artists you follow: their releases you may see, newest release date first."""
    newest = _release_day()
    query = (
        select(Release)
        .join(ArtistFollow, ArtistFollow.artist_id == Release.artist_id)
        .where(ArtistFollow.user_id == user.id, catalog.visible_releases_clause(user))
        .options(selectinload(Release.artist))
        .order_by(newest.desc(), Release.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


# --- settings -----------------------------------------------------------------------------------


def mail_new_releases(user: User) -> bool:
    prefs = db.session.get(LibraryPreferences, user.id)
    return bool(prefs and prefs.mail_new_releases)


def set_mail_new_releases(user: User, on: bool) -> None:
    db.session.execute(
        insert(LibraryPreferences)
        .values(user_id=user.id, mail_new_releases=on)
        .on_conflict_do_update(index_elements=["user_id"], set_={"mail_new_releases": on})
    )


# --- playlists ----------------------------------------------------------------------------------


def _name(value) -> str:
    value = (value or "").strip()
    if not 1 <= len(value) <= MAX_NAME:
        raise ValidationFailed(f"A playlist name needs 1 to {MAX_NAME} characters.", field="name")
    return value


def _description(value) -> str:
    value = (value or "").strip()
    if len(value) > MAX_DESCRIPTION:
        raise ValidationFailed(f"A description has at most {MAX_DESCRIPTION} characters.", field="description")
    return value


def new_share_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits, 32 characters


def create_playlist(user: User, *, name: str, description: str = "", public: bool = False) -> Playlist:
    count = db.session.scalar(select(func.count()).where(Playlist.owner_id == user.id)) or 0
    if count >= MAX_PLAYLISTS:
        raise ValidationFailed(f"You have {MAX_PLAYLISTS} playlists, the most one can have.", code="too_many")
    playlist = Playlist(
        owner_id=user.id,
        name=_name(name),
        description=_description(description),
        public=bool(public),
        share_token=new_share_token(),
    )
    db.session.add(playlist)
    db.session.flush()
    return playlist


def may_view(playlist: Playlist, viewer) -> bool:
    return playlist.public or (getattr(viewer, "is_authenticated", False) and playlist.owner_id == viewer.id)


def is_owner(playlist: Playlist, viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and playlist.owner_id == viewer.id)


def get_playlist(playlist_id: int, viewer) -> Playlist:
    """A playlist ``viewer`` may see: their own, or a public one (404 otherwise)."""
    playlist = db.session.get(Playlist, playlist_id)
    if playlist is None or not may_view(playlist, viewer):
        raise NotFound(f"There is no playlist {playlist_id}.")
    return playlist


def get_shared_playlist(token: str, viewer) -> Playlist:
    """The playlist behind a share link: a public one, or the viewer's own."""
    playlist = db.session.scalar(select(Playlist).where(Playlist.share_token == token[:64]))
    if playlist is None or not may_view(playlist, viewer):
        raise NotFound("There is no playlist at this link (it may be private now).")
    return playlist


def get_own_playlist(playlist_id: int, user: User) -> Playlist:
    """The user's own playlist, its row locked for an edit (403 for someone else's public one)."""
    playlist = get_playlist(playlist_id, user)
    if playlist.owner_id != user.id:
        raise Forbidden("Only the owner of a playlist can change it.")
    locked = db.session.scalar(
        select(Playlist).where(Playlist.id == playlist_id).with_for_update().execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked


def user_playlists(user: User) -> list[Playlist]:
    query = select(Playlist).where(Playlist.owner_id == user.id).order_by(Playlist.updated_at.desc(), Playlist.id)
    return list(db.session.scalars(query))


def item_counts(playlists: list[Playlist]) -> dict[int, int]:
    if not playlists:
        return {}
    rows = db.session.execute(
        select(PlaylistItem.playlist_id, func.count())
        .where(PlaylistItem.playlist_id.in_([p.id for p in playlists]))
        .group_by(PlaylistItem.playlist_id)
    )
    return {row[0]: row[1] for row in rows}


def update_playlist(
    playlist: Playlist, *, name: str | None = None, description: str | None = None, public: bool | None = None
) -> Playlist:
    if name is not None:
        playlist.name = _name(name)
    if description is not None:
        playlist.description = _description(description)
    if public is not None:
        playlist.public = bool(public)
    playlist.updated_at = utcnow()
    db.session.flush()
    return playlist


def delete_playlist(playlist: Playlist) -> None:
    db.session.delete(playlist)
    db.session.flush()


def _items(playlist: Playlist) -> list[PlaylistItem]:
    return list(
        db.session.scalars(
            select(PlaylistItem)
            .where(PlaylistItem.playlist_id == playlist.id)
            .order_by(PlaylistItem.position, PlaylistItem.id)
            .execution_options(populate_existing=True)
        )
    )


def _renumber(items: list[PlaylistItem]) -> None:
    for i, item in enumerate(items):
        if item.position != i:
            item.position = i


def _position(value: int | None, size: int) -> int:
    if value is None:
        return size
    if not 0 <= value <= size:
        raise ValidationFailed(f"'position' must be from 0 to {size}.", field="position")
    return value


def add_track(playlist: Playlist, user: User, track_id: int, position: int | None = None) -> PlaylistItem:
    """Add a track the user may see, at ``position`` (0-based; the end by default)."""
    catalog.get_public_track(track_id, user)
    items = _items(playlist)
    if len(items) >= MAX_PLAYLIST_ITEMS:
        raise ValidationFailed(f"A playlist holds at most {MAX_PLAYLIST_ITEMS} tracks.", code="playlist_full")
    at = _position(position, len(items))
    item = PlaylistItem(playlist_id=playlist.id, track_id=track_id, position=at)
    items.insert(at, item)
    db.session.add(item)
    _renumber(items)
    playlist.updated_at = utcnow()
    db.session.flush()
    return item


def _find(items: list[PlaylistItem], item_id: int) -> PlaylistItem:
    for item in items:
        if item.id == item_id:
            return item
    raise NotFound(f"Playlist item {item_id} is not in this playlist.")


def remove_item(playlist: Playlist, item_id: int) -> None:
    items = _items(playlist)
    item = _find(items, item_id)
    items.remove(item)
    db.session.delete(item)
    _renumber(items)
    playlist.updated_at = utcnow()
    db.session.flush()


def move_item(playlist: Playlist, item_id: int, position: int) -> PlaylistItem:
    """Move an entry to ``position`` (0-based, among all the playlist's entries)."""
    items = _items(playlist)
    item = _find(items, item_id)
    if not 0 <= position < len(items):
        raise ValidationFailed(f"'position' must be from 0 to {len(items) - 1}.", field="position")
    items.remove(item)
    items.insert(position, item)
    _renumber(items)
    playlist.updated_at = utcnow()
    db.session.flush()
    return item


@dataclass(frozen=True)
class Entry:
    item: PlaylistItem
    track: Track | None  # None: not (or no longer) visible to this viewer


def visible_track_ids(viewer, track_ids) -> set[int]:
    """Which of ``track_ids`` ``viewer`` may see and play (the catalog's rule)."""
    ids = list(set(track_ids))
    if not ids:
        return set()
    query = (
        select(Track.id)
        .join(Track.release)
        .where(Track.id.in_(ids), catalog.PUBLIC_TRACK, catalog.visible_releases_clause(viewer))
    )
    return set(db.session.scalars(query))


def entries(playlist: Playlist, viewer) -> list[Entry]:
    """The playlist's entries in order; tracks the viewer may not see are None (the owner sees
    that an entry became unavailable and can remove it; others do not see it at all)."""
    items = list(
        db.session.scalars(
            select(PlaylistItem)
            .where(PlaylistItem.playlist_id == playlist.id)
            .options(selectinload(PlaylistItem.track).selectinload(Track.release).selectinload(Release.artist))
            .order_by(PlaylistItem.position, PlaylistItem.id)
        )
    )
    visible = visible_track_ids(viewer, [i.track_id for i in items])
    out = [Entry(i, i.track if i.track_id in visible else None) for i in items]
    if not is_owner(playlist, viewer):
        out = [e for e in out if e.track is not None]
    return out


# --- mail when a followed artist publishes ------------------------------------------------------

# Releases out (release date, else creation day) up to this long ago are announced; older ones
# (the catalogue as it was when this shipped) never are.
ANNOUNCE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class NewReleaseMail:
    release: Release
    recipients: list[User]


def releases_to_announce(*, limit: int = 50) -> list[Release]:
    """Public releases (the catalog's rule) of the last ``ANNOUNCE_WINDOW`` not announced yet,
    oldest first. The window keeps each run small and leaves the back catalogue alone."""
    announced = select(ReleaseAnnouncement.release_id).where(ReleaseAnnouncement.release_id == Release.id).exists()
    since = (utcnow() - ANNOUNCE_WINDOW).date()
    query = (
        select(Release)
        .where(catalog.visible_releases_clause(None), ~announced, _release_day() >= since)
        .options(selectinload(Release.artist))
        .order_by(Release.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def claim_announcement(release: Release) -> bool:
    """Record that ``release`` is being announced; False when another run already did."""
    inserted = db.session.execute(
        insert(ReleaseAnnouncement)
        .values(release_id=release.id, announced_at=utcnow(), mails=0)
        .on_conflict_do_nothing()
        .returning(ReleaseAnnouncement.release_id)
    ).scalar()
    return inserted is not None


def mail_recipients(release: Release) -> list[User]:
    """Followers of the release's artist who asked for the mail and can receive it."""
    query = (
        select(User)
        .join(ArtistFollow, ArtistFollow.user_id == User.id)
        .join(LibraryPreferences, LibraryPreferences.user_id == User.id)
        .where(
            ArtistFollow.artist_id == release.artist_id,
            LibraryPreferences.mail_new_releases.is_(True),
            User.email_verified_at.is_not(None),
            User.deleted_at.is_(None),
        )
        .order_by(User.id)
    )
    return list(db.session.scalars(query))


def _mail_body(release: Release, user: User, base_url: str) -> str:
    return (
        f"Hello {user.display_name},\n\n"
        f"{release.artist.name}, whom you follow on Encore, has published "
        f"the {release.kind.value} “{release.title}”.\n\n"
        f"Listen: {base_url}/releases/{release.id}\n\n"
        f"You get this mail because you asked for it in your library: {base_url}/library\n"
    )


def announce_new_releases(base_url: str, *, limit: int = 50) -> int:
    """Queue a mail to each follower who asked for it, for every public release not announced
    yet (at most ``limit`` releases per run); returns how many mails were queued. Each release
    is claimed once and each mail has a dedupe key: overlapping runs mail nobody twice."""
    queued = 0
    for release in releases_to_announce(limit=limit):
        if not claim_announcement(release):
            continue  # another run has it
        sent = 0
        for user in mail_recipients(release):
            message = mail.queue_mail(
                to=user.email,
                subject=f"New from {release.artist.name}: {release.title}",
                body=_mail_body(release, user, base_url.rstrip("/")),
                dedupe_key=f"library.new_release:{release.id}:{user.id}",
            )
            sent += message is not None
        db.session.execute(
            update(ReleaseAnnouncement).where(ReleaseAnnouncement.release_id == release.id).values(mails=sent)
        )
        queued += sent
    return queued
