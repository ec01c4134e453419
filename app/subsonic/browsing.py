"""Browsing methods: the catalogue as the listener may see it (the catalog's visibility rule),
by artist, album, song, lists and search. Genres do not exist in Encore yet: the genre methods
answer empty lists, as a server with no genre tags does."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.catalog import services as catalog
from app.catalog.models import Artist, Release, Track
from app.core.errors import NotFound
from app.core.extensions import db
from app.library.models import FavouriteRelease
from app.streaming.models import Play
from app.subsonic import entries
from app.subsonic.entries import parse_id, sid
from app.subsonic.protocol import GENERIC, MISSING_PARAMETER, NOT_FOUND, Call, SubsonicError, Text, method

MUSIC_FOLDER = {"id": 1, "name": "Encore"}
IGNORED_ARTICLES = "The El La Los Las Le Les"
MAX_LIST = 500


def not_found(exc: NotFound) -> SubsonicError:
    return SubsonicError(NOT_FOUND, exc.message)


@method("ping")
def ping(call: Call) -> dict:
    return {}


@method("getLicense")
def get_license(call: Call) -> dict:
    return {"license": {"valid": True, "email": call.user.email}}


@method("getMusicFolders")
def get_music_folders(call: Call) -> dict:
    return {"musicFolders": {"musicFolder": [MUSIC_FOLDER]}}


@method("getOpenSubsonicExtensions")
def get_open_subsonic_extensions(call: Call) -> dict:
    return {
        "openSubsonicExtensions": [
            {"name": "apiKeyAuthentication", "versions": [1]},
            {"name": "formPost", "versions": [1]},
            {"name": "songLyrics", "versions": [1]},
        ]
    }


# --- artists ------------------------------------------------------------------------------------


def _visible_artists(user) -> list[Artist]:
    has_release = select(Release.id).where(Release.artist_id == Artist.id, catalog.visible_releases_clause(user))
    return list(db.session.scalars(select(Artist).where(has_release.exists()).order_by(func.lower(Artist.name))))


def _index_letter(name: str) -> str:
    words = name.split(" ", 1)
    if len(words) == 2 and words[0] in IGNORED_ARTICLES.split():
        name = words[1]
    first = name[:1].upper()
    return first if first.isalpha() else "#"


def _indexed(user) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for entry in entries.artists(user, _visible_artists(user)):
        groups.setdefault(_index_letter(entry["name"]), []).append(entry)
    return [{"name": letter, "artist": groups[letter]} for letter in sorted(groups)]


@method("getArtists")
def get_artists(call: Call) -> dict:
    return {"artists": {"ignoredArticles": IGNORED_ARTICLES, "index": _indexed(call.user)}}


@method("getIndexes")
def get_indexes(call: Call) -> dict:
    return {"indexes": {"ignoredArticles": IGNORED_ARTICLES, "lastModified": 0, "index": _indexed(call.user)}}


def _artist(call: Call, value: str) -> Artist:
    _, artist_id = parse_id(value, "artist")
    artist = db.session.get(Artist, artist_id)
    if artist is None or not catalog.visible_releases(artist, call.user):
        raise SubsonicError(NOT_FOUND, f"There is no artist {value!r}.")
    return artist


def _releases(call: Call, artist: Artist) -> list[Release]:
    return catalog.visible_releases(artist, call.user)


@method("getArtist")
def get_artist(call: Call) -> dict:
    artist = _artist(call, call.required("id"))
    return {
        "artist": entries.artists(call.user, [artist])[0]
        | {"album": entries.albums(call.user, _releases(call, artist))}
    }


def album_release(call: Call, value: str) -> Release:
    _, release_id = parse_id(value, "album")
    try:
        return catalog.get_release(release_id, call.user)
    except NotFound as exc:
        raise not_found(exc) from None


def _tracks(release: Release) -> list[Track]:
    return catalog.public_tracks(release)


@method("getAlbum")
def get_album(call: Call) -> dict:
    release = album_release(call, call.required("id"))
    album = entries.albums(call.user, [release])[0]
    return {"album": album | {"song": entries.songs(call.user, _tracks(release))}}


def track(call: Call, value: str) -> Track:
    _, track_id = parse_id(value, "song")
    try:
        return catalog.get_public_track(track_id, call.user)
    except NotFound as exc:
        raise not_found(exc) from None


@method("getSong")
def get_song(call: Call) -> dict:
    return {"song": entries.songs(call.user, [track(call, call.required("id"))])[0]}


@method("getMusicDirectory")
def get_music_directory(call: Call) -> dict:
    value = call.required("id")
    kind, _ = parse_id(value, "artist", "album")
    if kind == "artist":
        artist = _artist(call, value)
        children = entries.albums(call.user, _releases(call, artist), as_child=True)
        return {"directory": {"id": sid("artist", artist.id), "name": artist.name, "child": children}}
    release = album_release(call, value)
    return {
        "directory": {
            "id": sid("album", release.id),
            "parent": sid("artist", release.artist_id),
            "name": release.title,
            "child": entries.songs(call.user, _tracks(release)),
        }
    }


# --- lists --------------------------------------------------------------------------------------


def _year_range(call: Call) -> tuple[int | None, int | None]:
    return call.integer("fromYear", maximum=9999), call.integer("toYear", maximum=9999)


def _album_list(call: Call) -> list[Release]:
    kind = call.required("type")
    size = call.integer("size", 10, minimum=1, maximum=MAX_LIST)
    offset = call.integer("offset", 0)
    user = call.user
    query = select(Release).where(catalog.visible_releases_clause(user)).options(selectinload(Release.artist))
    day = func.coalesce(Release.release_date, func.date(Release.created_at))
    if kind == "newest":
        query = query.order_by(day.desc(), Release.id.desc())
    elif kind == "alphabeticalByName":
        query = query.order_by(func.lower(Release.title), Release.id)
    elif kind == "alphabeticalByArtist":
        query = query.join(Release.artist).order_by(func.lower(Artist.name), func.lower(Release.title), Release.id)
    elif kind == "random":
        query = query.order_by(func.random())
    elif kind == "starred":
        query = query.join(FavouriteRelease, FavouriteRelease.release_id == Release.id).where(
            FavouriteRelease.user_id == user.id
        )
        query = query.order_by(FavouriteRelease.created_at.desc(), Release.id)
    elif kind in ("recent", "frequent"):
        plays = (
            select(Track.release_id, func.max(Play.started_at).label("last"), func.count(Play.counted_at).label("n"))
            .join(Play, Play.track_id == Track.id)
            .where(Play.listener_id == user.id)
            .group_by(Track.release_id)
            .subquery()
        )
        query = query.join(plays, plays.c.release_id == Release.id)
        if kind == "recent":
            query = query.order_by(plays.c.last.desc(), Release.id)
        else:
            query = query.where(plays.c.n > 0).order_by(plays.c.n.desc(), plays.c.last.desc(), Release.id)
    elif kind == "byYear":
        first, last = _year_range(call)
        if first is None or last is None:
            raise SubsonicError(MISSING_PARAMETER, "Required parameter is missing: fromYear and toYear")
        year = func.extract("year", day)
        query = query.where(year.between(min(first, last), max(first, last)))
        query = query.order_by(day.desc() if first > last else day, Release.id)
    elif kind in ("byGenre", "highest"):
        if kind == "byGenre":
            call.required("genre")
        return []  # no genre tags, no ratings (yet)
    else:
        raise SubsonicError(GENERIC, f"Unknown album list type {kind!r}.")
    return list(db.session.scalars(query.limit(size).offset(offset)))


@method("getAlbumList2")
def get_album_list2(call: Call) -> dict:
    return {"albumList2": {"album": entries.albums(call.user, _album_list(call))}}


@method("getAlbumList")
def get_album_list(call: Call) -> dict:
    return {"albumList": {"album": entries.albums(call.user, _album_list(call), as_child=True)}}


def _visible_tracks(user):
    return (
        select(Track)
        .join(Track.release)
        .where(catalog.PUBLIC_TRACK, catalog.visible_releases_clause(user))
        .options(selectinload(Track.release).selectinload(Release.artist))
    )


@method("getRandomSongs")
def get_random_songs(call: Call) -> dict:
    size = call.integer("size", 10, minimum=1, maximum=MAX_LIST)
    if call.get("genre"):
        return {"randomSongs": {"song": []}}
    query = _visible_tracks(call.user)
    first, last = _year_range(call)
    year = func.extract("year", func.coalesce(Release.release_date, func.date(Release.created_at)))
    if first is not None:
        query = query.where(year >= first)
    if last is not None:
        query = query.where(year <= last)
    rows = list(db.session.scalars(query.order_by(func.random()).limit(size)))
    return {"randomSongs": {"song": entries.songs(call.user, rows)}}


@method("getGenres")
def get_genres(call: Call) -> dict:
    return {"genres": {"genre": []}}


@method("getSongsByGenre")
def get_songs_by_genre(call: Call) -> dict:
    call.required("genre")
    return {"songsByGenre": {"song": []}}


# --- search -------------------------------------------------------------------------------------


def _like(column, text: str):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped.lower()}%", escape="\\")


def _search(call: Call) -> dict:
    text = (call.get("query") or "").strip().strip('"').strip()[:200]
    user = call.user

    def page(prefix: str) -> tuple[int, int]:
        return call.integer(f"{prefix}Count", 20, maximum=MAX_LIST), call.integer(f"{prefix}Offset", 0)

    count, offset = page("artist")
    has_release = select(Release.id).where(Release.artist_id == Artist.id, catalog.visible_releases_clause(user))
    query = select(Artist).where(has_release.exists())
    if text:
        query = query.where(_like(Artist.name, text))
    found_artists = list(
        db.session.scalars(query.order_by(func.lower(Artist.name), Artist.id).limit(count).offset(offset))
    )

    count, offset = page("album")
    query = select(Release).join(Release.artist).where(catalog.visible_releases_clause(user))
    if text:
        query = query.where(or_(_like(Release.title, text), _like(Artist.name, text)))
    query = query.options(selectinload(Release.artist)).order_by(func.lower(Release.title), Release.id)
    found_albums = list(db.session.scalars(query.limit(count).offset(offset)))

    count, offset = page("song")
    query = _visible_tracks(user).join(Release.artist)
    if text:
        query = query.where(or_(_like(Track.title, text), _like(Release.title, text), _like(Artist.name, text)))
    found_songs = list(
        db.session.scalars(query.order_by(func.lower(Track.title), Track.id).limit(count).offset(offset))
    )
    return {
        "artist": entries.artists(user, found_artists),
        "album": entries.albums(user, found_albums),
        "song": entries.songs(user, found_songs),
    }


@method("search3")
def search3(call: Call) -> dict:
    return {"searchResult3": _search(call)}


@method("search2")
def search2(call: Call) -> dict:
    found = _search(call)
    return {
        "searchResult2": {
            "artist": [{"id": a["id"], "name": a["name"], "starred": a["starred"]} for a in found["artist"]],
            "album": found["album"],
            "song": found["song"],
        }
    }


# --- info and lyrics ----------------------------------------------------------------------------


@method("getArtistInfo2", "getArtistInfo")
def get_artist_info2(call: Call) -> dict:
    value = call.required("id")
    kind, _ = parse_id(value, "artist", "album", "song")
    if kind == "album":
        artist = album_release(call, value).artist
    elif kind == "song":
        artist = track(call, value).release.artist
    else:
        artist = _artist(call, value)
    info = {"biography": Text(artist.bio) if artist.bio else None}
    return {"artistInfo2" if call.name.endswith("2") else "artistInfo": info}


@method("getAlbumInfo2", "getAlbumInfo")
def get_album_info2(call: Call) -> dict:
    value = call.required("id")
    kind, _ = parse_id(value, "album", "song")
    release = track(call, value).release if kind == "song" else album_release(call, value)
    return {"albumInfo": {"notes": Text(f"{release.title} by {release.artist.name}")}}


@method("getLyricsBySongId")
def get_lyrics_by_song_id(call: Call) -> dict:
    track(call, call.required("id"))
    return {"lyricsList": {"structuredLyrics": []}}
