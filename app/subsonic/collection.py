"""The listener's own things: stars (the library's favourites and follows), playlists (the
library's playlists), the user, what is playing now, and the saved play queue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog.models import Release, Track
from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.library import services as library
from app.library.models import Playlist
from app.streaming import services as streaming
from app.subsonic import entries
from app.subsonic.browsing import MUSIC_FOLDER, not_found
from app.subsonic.entries import parse_id, sid
from app.subsonic.models import PlayQueue
from app.subsonic.protocol import GENERIC, NOT_AUTHORIZED, Call, SubsonicError, method

# Subsonic's kinds -> the library's.
_STAR_KINDS = {"song": "track", "album": "release", "artist": "artist"}


def _service_error(exc: Exception) -> SubsonicError:
    if isinstance(exc, NotFound):
        return not_found(exc)
    if isinstance(exc, Forbidden):
        return SubsonicError(NOT_AUTHORIZED, exc.message)
    return SubsonicError(GENERIC, getattr(exc, "message", str(exc)))


def _star_targets(call: Call) -> list[tuple[str, int]]:
    targets = [parse_id(v, "song", "album", "artist") for v in call.all("id")]
    targets += [parse_id(v, "album") for v in call.all("albumId")]
    targets += [parse_id(v, "artist") for v in call.all("artistId")]
    return targets


@method("star")
def star(call: Call) -> dict:
    for kind, number in _star_targets(call):
        try:
            library.star(call.user, _STAR_KINDS[kind], number)
        except (NotFound, ValidationFailed) as exc:
            raise _service_error(exc) from None
    return {}


@method("unstar")
def unstar(call: Call) -> dict:
    for kind, number in _star_targets(call):
        library.unstar(call.user, _STAR_KINDS[kind], number)
    return {}


def _starred(call: Call, *, id3: bool) -> dict:
    user = call.user
    return {
        "artist": entries.artists(user, library.followed_artists(user)),
        "album": entries.albums(user, library.favourite_releases(user), as_child=not id3),
        "song": entries.songs(user, library.favourite_tracks(user)),
    }


@method("getStarred2")
def get_starred2(call: Call) -> dict:
    return {"starred2": _starred(call, id3=True)}


@method("getStarred")
def get_starred(call: Call) -> dict:
    return {"starred": _starred(call, id3=False)}


# --- playlists ----------------------------------------------------------------------------------


def _owner_name(p: Playlist) -> str:
    return p.owner.email if p.owner is not None else ""


def _summaries(call: Call, playlists: list[Playlist]) -> list[dict]:
    ids = [p.id for p in playlists]
    if not ids:
        return []
    out = []
    for p in playlists:
        shown = [e.track for e in library.entries(p, call.user) if e.track is not None]
        duration = sum((t.duration_ms or 0) for t in shown) // 1000
        out.append(entries.playlist(p, _owner_name(p), len(shown), duration))
    return out


def _full(call: Call, p: Playlist) -> dict:
    shown = [e.track for e in library.entries(p, call.user) if e.track is not None]
    duration = sum((t.duration_ms or 0) for t in shown) // 1000
    return entries.playlist(p, _owner_name(p), len(shown), duration) | {"entry": entries.songs(call.user, shown)}


def _playlist_id(value: str) -> int:
    return parse_id(value, "playlist")[1]


@method("getPlaylists")
def get_playlists(call: Call) -> dict:
    username = call.get("username")
    if username and username.lower() != call.user.email.lower():
        raise SubsonicError(NOT_AUTHORIZED, "You can list only your own playlists.")
    return {"playlists": {"playlist": _summaries(call, library.user_playlists(call.user))}}


@method("getPlaylist")
def get_playlist(call: Call) -> dict:
    try:
        p = library.get_playlist(_playlist_id(call.required("id")), call.user)
    except NotFound as exc:
        raise not_found(exc) from None
    return {"playlist": _full(call, p)}


def _own(call: Call, playlist_id: int) -> Playlist:
    try:
        return library.get_own_playlist(playlist_id, call.user)
    except (NotFound, Forbidden) as exc:
        raise _service_error(exc) from None


def _add_songs(call: Call, p: Playlist, values: list[str]) -> None:
    for value in values:
        try:
            library.add_track(p, call.user, parse_id(value, "song")[1])
        except (NotFound, ValidationFailed) as exc:
            raise _service_error(exc) from None


@method("createPlaylist")
def create_playlist(call: Call) -> dict:
    """New (``name``), or an existing one's songs replaced (``playlistId``), with ``songId``s."""
    existing = call.get("playlistId")
    try:
        if existing:
            p = _own(call, _playlist_id(existing))
            for entry in library.entries(p, call.user):
                library.remove_item(p, entry.item.id)
            if call.get("name"):
                library.update_playlist(p, name=call.get("name"))
        else:
            p = library.create_playlist(call.user, name=call.required("name"))
    except ValidationFailed as exc:
        raise _service_error(exc) from None
    _add_songs(call, p, call.all("songId"))
    return {"playlist": _full(call, p)}


@method("updatePlaylist")
def update_playlist(call: Call) -> dict:
    p = _own(call, _playlist_id(call.required("playlistId")))
    try:
        library.update_playlist(
            p, name=call.get("name"), description=call.get("comment"), public=call.boolean("public")
        )
        # positions as getPlaylist shows them: entries that became unavailable are not shown
        items = [e.item for e in library.entries(p, call.user) if e.track is not None]
        positions = sorted({int(v) for v in call.all("songIndexToRemove") if v.isdigit()}, reverse=True)
        for position in positions:
            if position < len(items):
                library.remove_item(p, items[position].id)
    except ValidationFailed as exc:
        raise _service_error(exc) from None
    _add_songs(call, p, call.all("songIdToAdd"))
    return {}


@method("deletePlaylist")
def delete_playlist(call: Call) -> dict:
    library.delete_playlist(_own(call, _playlist_id(call.required("id"))))
    return {}


# --- the user -----------------------------------------------------------------------------------


@method("getUser")
def get_user(call: Call) -> dict:
    user = call.user
    username = call.required("username")
    if username.lower() != user.email.lower():
        raise SubsonicError(NOT_AUTHORIZED, "You can see only your own user.")
    return {
        "user": {
            "username": user.email,
            "email": user.email,
            "scrobblingEnabled": True,
            "adminRole": False,
            "settingsRole": False,
            "downloadRole": True,
            "uploadRole": False,
            "playlistRole": True,
            "coverArtRole": True,
            "commentRole": False,
            "podcastRole": False,
            "streamRole": True,
            "jukeboxRole": False,
            "shareRole": False,
            "videoConversionRole": False,
            "folder": [MUSIC_FOLDER["id"]],
        }
    }


@method("getNowPlaying")
def get_now_playing(call: Call) -> dict:
    """Only the caller's own open plays: Encore does not show one listener's listening to another."""
    plays = streaming.open_plays(call.user)
    tracks = {
        t.id: t
        for t in db.session.scalars(
            select(Track)
            .where(Track.id.in_([p.track_id for p in plays]))
            .options(selectinload(Track.release).selectinload(Release.artist))
        )
    }
    now = utcnow()
    out = []
    for p in plays:
        t = tracks.get(p.track_id)
        if t is None:
            continue
        song = entries.songs(call.user, [t])[0]
        minutes = int((now - p.started_at).total_seconds() // 60)
        out.append(song | {"username": call.user.email, "minutesAgo": minutes, "playerId": 0})
    return {"nowPlaying": {"entry": out}}


# --- play queue ---------------------------------------------------------------------------------

MAX_QUEUE = 1000


@method("savePlayQueue")
def save_play_queue(call: Call) -> dict:
    ids = [parse_id(v, "song")[1] for v in call.all("id")][:MAX_QUEUE]
    queue = db.session.get(PlayQueue, call.user.id, with_for_update=True)
    if not ids:  # an empty queue clears it (OpenSubsonic)
        if queue is not None:
            db.session.delete(queue)
        return {}
    current = call.get("current")
    if queue is None:
        queue = PlayQueue(user_id=call.user.id)
        db.session.add(queue)
    queue.track_ids = ids
    queue.current_track_id = parse_id(current, "song")[1] if current else None
    queue.position_ms = call.integer("position", 0, maximum=24 * 3600 * 1000)
    queue.changed_at = utcnow()
    queue.changed_by = (call.get("c") or "")[:100]
    db.session.flush()
    return {}


@method("getPlayQueue")
def get_play_queue(call: Call) -> dict:
    queue = db.session.get(PlayQueue, call.user.id)
    if queue is None:
        return {}
    visible = library.visible_track_ids(call.user, queue.track_ids)
    rows = {
        t.id: t
        for t in db.session.scalars(
            select(Track).where(Track.id.in_(visible)).options(selectinload(Track.release).selectinload(Release.artist))
        )
    }
    shown = [rows[i] for i in queue.track_ids if i in rows]
    return {
        "playQueue": {
            "current": sid("song", queue.current_track_id) if queue.current_track_id in rows else None,
            "position": queue.position_ms,
            "username": call.user.email,
            "changed": entries.iso(queue.changed_at),
            "changedBy": queue.changed_by,
            "entry": entries.songs(call.user, shown),
        }
    }
