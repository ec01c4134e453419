"""Encore's catalogue as Subsonic entries: artists, albums (releases), songs (tracks), playlists.

Ids carry their kind (``ar-7``, ``al-12``, ``tr-40``, ``pl-3``) so one ``id`` parameter can name
any of them (``getMusicDirectory``, ``star``, ``getCoverArt``). A release's cover is the
``coverArt`` id ``al-<release id>``; a song's cover is its release's.

Songs carry Encore's ownership state in extra fields (OpenSubsonic allows servers to add
fields; clients ignore what they do not know): ``encoreOwned``, ``encorePlaysCounted``,
``encorePlaysToOwn``, ``encoreNextPrice`` (credits, text), ``encoreCostsNothing`` (``free``
or ``own_artist``), and ``playCount``/``played`` from the listener's counted plays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from app.accounts.models import User
from app.catalog import services as catalog
from app.catalog.models import Artist, Release, Track
from app.core.converters import MAX_ID
from app.core.extensions import db
from app.library.models import ArtistFollow, FavouriteRelease, FavouriteTrack, Playlist
from app.streaming import services as streaming
from app.streaming.models import Play
from app.subsonic.protocol import NOT_FOUND, SubsonicError
from app.uploads.models import TrackAudio
from ledger.units import format_credits

PREFIXES = {"artist": "ar", "album": "al", "song": "tr", "playlist": "pl"}
_KINDS = {v: k for k, v in PREFIXES.items()}
MP3_BITRATE = 192
OPUS_BITRATE = 128


def sid(kind: str, number: int) -> str:
    return f"{PREFIXES[kind]}-{number}"


def parse_id(value: str | None, *kinds: str) -> tuple[str, int]:
    """``(kind, number)`` of an id of one of ``kinds`` (any kind when none given); 70 otherwise.
    A bare number is read as the first kind given (some clients strip nothing, a few build
    ids themselves)."""
    value = (value or "").strip()
    prefix, _, number = value.partition("-")
    kind = _KINDS.get(prefix)
    if not number and value.isascii() and value.isdigit() and kinds:
        kind, number = kinds[0], value
    if (
        kind is None
        or (kinds and kind not in kinds)
        or not (number.isascii() and number.isdigit())
        or len(number) > 10
        or int(number) > MAX_ID
    ):
        raise SubsonicError(NOT_FOUND, f"There is no {' or '.join(kinds) or 'item'} {value!r}.")
    return kind, int(number)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


# --- artists and albums -------------------------------------------------------------------------


def visible_album_counts(user: User, artist_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Each artist's number of releases ``user`` may see (artists with none are left out)."""
    query = select(Release.artist_id, func.count(Release.id)).where(catalog.visible_releases_clause(user))
    if artist_ids is not None:
        query = query.where(Release.artist_id.in_(list(artist_ids)))
    return dict(db.session.execute(query.group_by(Release.artist_id)).all())


def starred_at(user: User, kind: str, ids: Iterable[int]) -> dict[int, datetime]:
    ids = list(set(ids))
    if not ids:
        return {}
    model, key = {
        "song": (FavouriteTrack, FavouriteTrack.track_id),
        "album": (FavouriteRelease, FavouriteRelease.release_id),
        "artist": (ArtistFollow, ArtistFollow.artist_id),
    }[kind]
    rows = db.session.execute(select(key, model.created_at).where(model.user_id == user.id, key.in_(ids)))
    return dict(rows.all())


def artists(user: User, rows: list[Artist]) -> list[dict]:
    counts = visible_album_counts(user, [a.id for a in rows])
    stars = starred_at(user, "artist", [a.id for a in rows])
    return [
        {
            "id": sid("artist", a.id),
            "name": a.name,
            "albumCount": counts.get(a.id, 0),
            "starred": iso(stars.get(a.id)),
            "sortName": a.name,
        }
        for a in rows
    ]


@dataclass
class AlbumFacts:
    song_count: int = 0
    duration_s: int = 0
    play_count: int = 0
    played: datetime | None = None


def _album_facts(user: User, release_ids: list[int]) -> dict[int, AlbumFacts]:
    if not release_ids:
        return {}
    facts = {rid: AlbumFacts() for rid in release_ids}
    rows = db.session.execute(
        select(Track.release_id, func.count(Track.id), func.coalesce(func.sum(Track.duration_ms), 0))
        .where(Track.release_id.in_(release_ids), catalog.PUBLIC_TRACK)
        .group_by(Track.release_id)
    )
    for rid, count, ms in rows:
        facts[rid].song_count, facts[rid].duration_s = count, int(ms) // 1000
    plays = db.session.execute(
        select(Track.release_id, func.count(Play.id), func.max(Play.counted_at))
        .join(Play, Play.track_id == Track.id)
        .where(Track.release_id.in_(release_ids), Play.listener_id == user.id, Play.counted_at.is_not(None))
        .group_by(Track.release_id)
    )
    for rid, count, last in plays:
        facts[rid].play_count, facts[rid].played = count, last
    return facts


def albums(user: User, rows: list[Release], *, as_child: bool = False) -> list[dict]:
    """AlbumID3 entries (or, ``as_child``, the directory children of ``getMusicDirectory``)."""
    facts = _album_facts(user, [r.id for r in rows])
    stars = starred_at(user, "album", [r.id for r in rows])
    out = []
    for r in rows:
        f = facts.get(r.id, AlbumFacts())
        entry = {
            "id": sid("album", r.id),
            "name": r.title,
            "title": r.title,
            "album": r.title,
            "artist": r.artist.name,
            "artistId": sid("artist", r.artist_id),
            "coverArt": sid("album", r.id) if r.cover_key else None,
            "songCount": f.song_count,
            "duration": f.duration_s,
            "playCount": f.play_count,
            "played": iso(f.played),
            "created": iso(r.created_at),
            "year": r.release_date.year if r.release_date else None,
            "starred": iso(stars.get(r.id)),
            "sortName": r.title,
            "isCompilation": False,
            "releaseTypes": [r.kind.value],
            "genres": [],
            "artists": [{"id": sid("artist", r.artist_id), "name": r.artist.name}],
            "displayArtist": r.artist.name,
        }
        if as_child:
            entry = {
                "id": entry["id"],
                "parent": entry["artistId"],
                "isDir": True,
                "title": r.title,
                "album": r.title,
                "artist": r.artist.name,
                "coverArt": entry["coverArt"],
                "year": entry["year"],
                "created": entry["created"],
                "starred": entry["starred"],
            }
        out.append(entry)
    return out


# --- songs --------------------------------------------------------------------------------------


@dataclass
class _SongContext:
    standings: dict = field(default_factory=dict)
    starred: dict = field(default_factory=dict)
    played: dict = field(default_factory=dict)
    audio: dict = field(default_factory=dict)


def _song_context(user: User, rows: list[Track]) -> _SongContext:
    ids = [t.id for t in rows]
    if not ids:
        return _SongContext()
    played = db.session.execute(
        select(Play.track_id, func.max(Play.counted_at))
        .where(Play.listener_id == user.id, Play.track_id.in_(ids), Play.counted_at.is_not(None))
        .group_by(Play.track_id)
    )
    audio = db.session.execute(
        select(
            TrackAudio.track_id, TrackAudio.gain_db, TrackAudio.source_duration_ms, TrackAudio.stream_opus_key
        ).where(TrackAudio.track_id.in_(ids))
    )
    return _SongContext(
        standings=streaming.standings(user, rows),
        starred=starred_at(user, "song", ids),
        played=dict(played.all()),
        audio={row.track_id: row for row in audio},
    )


def songs(user: User, rows: list[Track]) -> list[dict]:
    """Child entries of songs, with the listener's standing on each."""
    ctx = _song_context(user, rows)
    return [_song(t, ctx) for t in rows]


def _song(t: Track, ctx: _SongContext) -> dict:
    release, artist = t.release, t.release.artist
    audio = ctx.audio.get(t.id)
    duration_ms = t.duration_ms or (audio.source_duration_ms if audio is not None else 0) or 0
    standing = ctx.standings.get(t.id)
    entry = {
        "id": sid("song", t.id),
        "parent": sid("album", release.id),
        "isDir": False,
        "title": t.title,
        "album": release.title,
        "artist": artist.name,
        "track": t.position,
        "discNumber": 1,
        "year": release.release_date.year if release.release_date else None,
        "coverArt": sid("album", release.id) if release.cover_key else None,
        "contentType": "audio/mpeg",
        "suffix": "mp3",
        "bitRate": MP3_BITRATE,
        "duration": duration_ms // 1000,
        "path": f"{artist.name}/{release.title}/{t.position:02d} - {t.title}.mp3".replace("\\", "_"),
        "isVideo": False,
        "albumId": sid("album", release.id),
        "artistId": sid("artist", artist.id),
        "type": "music",
        "mediaType": "song",
        "created": iso(t.created_at),
        "starred": iso(ctx.starred.get(t.id)),
        "playCount": standing.plays_counted if standing else 0,
        "played": iso(ctx.played.get(t.id)),
        "sortName": t.title,
        "genres": [],
        "artists": [{"id": sid("artist", artist.id), "name": artist.name}],
        "displayArtist": artist.name,
        "albumArtists": [{"id": sid("artist", artist.id), "name": artist.name}],
        "displayAlbumArtist": artist.name,
        "replayGain": {"trackGain": audio.gain_db} if audio is not None and audio.gain_db is not None else None,
    }
    if standing is not None:
        entry |= {
            "encoreOwned": standing.owned,
            "encorePlaysCounted": standing.plays_counted,
            "encorePlaysToOwn": standing.plays_to_own,
            "encoreNextPrice": format_credits(standing.next_price) if standing.next_price is not None else None,
            "encoreCostsNothing": standing.costs_nothing,
        }
    return entry


# --- playlists ----------------------------------------------------------------------------------


def playlist(p: Playlist, owner_name: str, song_count: int, duration_s: int) -> dict:
    # No OpenSubsonic ``readonly``: knuckles 1.2.0 refuses playlists carrying it, and a
    # listener sees only their own playlists here, which they may edit.
    return {
        "id": sid("playlist", p.id),
        "name": p.name,
        "comment": p.description or None,
        "owner": owner_name,
        "public": p.public,
        "songCount": song_count,
        "duration": duration_s,
        "created": iso(p.created_at),
        "changed": iso(p.updated_at),
    }
