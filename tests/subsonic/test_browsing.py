"""Browsing: what a listener may see (the catalog's rule), by artist, album, song, lists,
search, info and lyrics, in both formats."""

from __future__ import annotations

from datetime import date, timedelta

from app.catalog.models import Artist
from app.core.extensions import db
from tests.factories import make_artist, make_release, make_track
from tests.subsonic.subsonic_helpers import NS, error, listener, ok, xml


def catalogue():
    """Two artists, three public releases (one from 2019) and a future draft."""
    abba = make_artist(name="The Aurora Band")
    zed = make_artist(name="Zed")
    first = make_release(artist=abba, title="Blue Hour", release_date=date(2019, 5, 1))
    second = make_release(artist=abba, title="Amber", release_date=date(2024, 1, 1))
    third = make_release(artist=zed, title="Cold Light", release_date=date(2025, 3, 3))
    draft = make_release(artist=zed, title="Not Yet", release_date=date.today() + timedelta(days=30))
    tracks = {
        "blue1": make_track(release=first, title="Morning Tide"),
        "blue2": make_track(release=first, title="Harbour"),
        "amber": make_track(release=second, title="Amber Light"),
        "cold": make_track(release=third, title="Frost"),
        "draft": make_track(release=draft, title="Secret"),
    }
    return {"abba": abba, "zed": zed, "first": first, "second": second, "third": third, "draft": draft} | tracks


def test_license_folders_and_indexes(client, app_ctx):
    _user, key = listener()
    c = catalogue()
    assert ok(client, "getLicense", key)["license"]["valid"] is True
    assert ok(client, "getMusicFolders", key)["musicFolders"]["musicFolder"] == [{"id": 1, "name": "Encore"}]
    artists = ok(client, "getArtists", key)["artists"]
    index = {i["name"]: [a["name"] for a in i["artist"]] for i in artists["index"]}
    assert index == {"A": ["The Aurora Band"], "Z": ["Zed"]}  # "The" is ignored when indexing
    zed = next(a for i in artists["index"] for a in i["artist"] if a["name"] == "Zed")
    assert zed["albumCount"] == 1 and zed["id"] == f"ar-{c['zed'].id}"  # the draft is not counted
    assert ok(client, "getIndexes", key)["indexes"]["index"] == artists["index"]


def test_artist_album_song_and_directories(client, app_ctx):
    _, key = listener()
    c = catalogue()
    artist = ok(client, "getArtist", key, id=f"ar-{c['zed'].id}")["artist"]
    assert [a["name"] for a in artist["album"]] == ["Cold Light"]
    album = ok(client, "getAlbum", key, id=f"al-{c['first'].id}")["album"]
    assert album["songCount"] == 2 and album["year"] == 2019 and album["artist"] == "The Aurora Band"
    assert [s["title"] for s in album["song"]] == ["Morning Tide", "Harbour"]
    song = ok(client, "getSong", key, id=f"tr-{c['blue2'].id}")["song"]
    assert song | {"created": None} == song | {
        "id": f"tr-{c['blue2'].id}",
        "albumId": f"al-{c['first'].id}",
        "artistId": f"ar-{c['abba'].id}",
        "isDir": False,
        "duration": 180,
        "suffix": "mp3",
        "contentType": "audio/mpeg",
        "encoreOwned": False,
        "encorePlaysCounted": 0,
        "encorePlaysToOwn": 9,
        "encoreNextPrice": "0.002",
        "playCount": 0,
        "created": None,
    }
    directory = ok(client, "getMusicDirectory", key, id=f"ar-{c['abba'].id}")["directory"]
    assert {d["title"] for d in directory["child"]} == {"Blue Hour", "Amber"}
    assert all(d["isDir"] for d in directory["child"])
    directory = ok(client, "getMusicDirectory", key, id=f"al-{c['second'].id}")["directory"]
    assert [d["title"] for d in directory["child"]] == ["Amber Light"]
    # the draft is invisible, whatever the way in
    for method, id_ in (
        ("getAlbum", f"al-{c['draft'].id}"),
        ("getSong", f"tr-{c['draft'].id}"),
        ("getMusicDirectory", f"al-{c['draft'].id}"),
        ("getAlbum", "al-999999"),
        ("getArtist", "ar-999999"),
        ("getSong", "garbage"),
    ):
        assert error(client, method, key, id=id_)["code"] == 70, (method, id_)
    assert error(client, "getAlbum", key)["code"] == 10


def test_xml_entries_are_attributes_and_repeated_elements(client, app_ctx):
    _, key = listener()
    c = catalogue()
    root = xml(client, "getAlbum", key, id=f"al-{c['first'].id}")
    album = root.find(NS + "album")
    assert album.attrib["name"] == "Blue Hour" and album.attrib["songCount"] == "2"
    songs = album.findall(NS + "song")
    assert [s.attrib["title"] for s in songs] == ["Morning Tide", "Harbour"]
    assert songs[0].attrib["isDir"] == "false" and songs[0].attrib["encoreOwned"] == "false"
    assert [a.attrib["name"] for a in songs[0].findall(NS + "artists")] == ["The Aurora Band"]
    db.session.get(Artist, c["abba"].id).bio = "Formed <by> the sea & sky."
    db.session.commit()
    info = xml(client, "getArtistInfo2", key, id=f"ar-{c['abba'].id}").find(NS + "artistInfo2")
    assert info.find(NS + "biography").text == "Formed <by> the sea & sky."
    body = ok(client, "getArtistInfo2", key, id=f"ar-{c['abba'].id}")
    assert body["artistInfo2"]["biography"] == "Formed <by> the sea & sky."
    assert "notes" in ok(client, "getAlbumInfo2", key, id=f"al-{c['first'].id}")["albumInfo"]


def test_album_lists(client, app_ctx):
    _, key = listener()
    c = catalogue()

    def names(kind, **params):
        body = ok(client, "getAlbumList2", key, type=kind, **params)["albumList2"]
        return [a["name"] for a in body.get("album", [])]

    assert names("newest") == ["Cold Light", "Amber", "Blue Hour"]
    assert names("alphabeticalByName") == ["Amber", "Blue Hour", "Cold Light"]
    assert names("alphabeticalByArtist") == ["Amber", "Blue Hour", "Cold Light"]
    assert sorted(names("random")) == ["Amber", "Blue Hour", "Cold Light"]
    assert names("newest", size=1, offset=1) == ["Amber"]
    assert names("byYear", fromYear=2020, toYear=2025) == ["Amber", "Cold Light"]
    assert names("byYear", fromYear=2025, toYear=2020) == ["Cold Light", "Amber"]
    assert names("starred") == [] and names("recent") == [] and names("frequent") == []
    assert names("byGenre", genre="Rock") == [] and names("highest") == []
    ok(client, "star", key, albumId=f"al-{c['second'].id}")
    assert names("starred") == ["Amber"]
    assert error(client, "getAlbumList2", key)["code"] == 10
    assert error(client, "getAlbumList2", key, type="byYear")["code"] == 10
    assert error(client, "getAlbumList2", key, type="loudest")["code"] == 0
    legacy = ok(client, "getAlbumList", key, type="newest")["albumList"]["album"]
    assert [a["title"] for a in legacy] == ["Cold Light", "Amber", "Blue Hour"] and legacy[0]["isDir"] is True


def test_random_songs_and_genres(client, app_ctx):
    _, key = listener()
    catalogue()
    songs = ok(client, "getRandomSongs", key, size=10)["randomSongs"]["song"]
    assert sorted(s["title"] for s in songs) == ["Amber Light", "Frost", "Harbour", "Morning Tide"]
    assert len(ok(client, "getRandomSongs", key, size=2)["randomSongs"]["song"]) == 2
    songs = ok(client, "getRandomSongs", key, fromYear=2024, toYear=2024)["randomSongs"]["song"]
    assert [s["title"] for s in songs] == ["Amber Light"]
    # no genre tags yet: empty lists, not errors
    assert ok(client, "getGenres", key)["genres"] == {"genre": []}
    assert ok(client, "getSongsByGenre", key, genre="Rock")["songsByGenre"] == {"song": []}
    assert error(client, "getSongsByGenre", key)["code"] == 10


def test_search3(client, app_ctx):
    _, key = listener()
    catalogue()
    found = ok(client, "search3", key, query="light")["searchResult3"]
    assert [a["name"] for a in found.get("album", [])] == ["Cold Light"]
    assert [s["title"] for s in found["song"]] == ["Amber Light", "Frost"]  # by title, and by album
    found = ok(client, "search3", key, query="zed")["searchResult3"]
    assert [a["name"] for a in found["artist"]] == ["Zed"]
    # "" lists everything, paged (how apps sync a whole library)
    everything = ok(client, "search3", key, query='""', songCount=2, songOffset=1, artistCount=0, albumCount=0)
    assert [s["title"] for s in everything["searchResult3"]["song"]] == ["Frost", "Harbour"]
    assert ok(client, "search3", key, query="secret")["searchResult3"]["song"] == []  # the draft
    assert ok(client, "search2", key, query="zed")["searchResult2"]["artist"][0]["name"] == "Zed"


def test_lyrics_are_an_empty_list(client, app_ctx):
    _, key = listener()
    c = catalogue()
    assert ok(client, "getLyricsBySongId", key, id=f"tr-{c['cold'].id}")["lyricsList"] == {"structuredLyrics": []}
    assert error(client, "getLyricsBySongId", key, id=f"tr-{c['draft'].id}")["code"] == 70


# The attributes the Subsonic 1.16.1 XSD requires (use="required") on the elements we answer.
XSD_REQUIRED = {
    "artist": {"id", "name"},
    "album": {"id", "name", "songCount", "duration", "created"},
    "song": {"id", "isDir", "title"},
    "child": {"id", "isDir", "title"},
    "entry": {"id", "isDir", "title"},
    "playlist": {"id", "name", "songCount", "duration", "created", "changed"},
    "index": {"name"},
    "directory": {"id", "name"},
    "musicFolder": {"id"},
    "error": {"code"},
    "license": {"valid"},
    "user": {
        "username",
        "scrobblingEnabled",
        "adminRole",
        "settingsRole",
        "downloadRole",
        "uploadRole",
        "playlistRole",
        "coverArtRole",
        "commentRole",
        "podcastRole",
        "streamRole",
        "jukeboxRole",
        "shareRole",
        "videoConversionRole",
    },
}
BOOLEAN_ATTRIBUTES = {"isDir", "valid", "public", "isVideo", "openSubsonic", "scrobblingEnabled", "streamRole"}


def test_xml_answers_carry_the_attributes_the_xsd_requires(client, app_ctx):
    user, key = listener()
    c = catalogue()
    ok(client, "star", key, id=f"tr-{c['cold'].id}", albumId=f"al-{c['third'].id}", artistId=f"ar-{c['zed'].id}")
    ok(client, "createPlaylist", key, name="Mix", songId=f"tr-{c['cold'].id}")
    calls = [
        ("getArtists", {}),
        ("getIndexes", {}),
        ("getArtist", {"id": f"ar-{c['abba'].id}"}),
        ("getAlbum", {"id": f"al-{c['first'].id}"}),
        ("getMusicDirectory", {"id": f"al-{c['first'].id}"}),
        ("getAlbumList", {"type": "newest"}),
        ("getAlbumList2", {"type": "newest"}),
        ("getStarred2", {}),
        ("getPlaylists", {}),
        ("getPlaylist", {"id": ok(client, "getPlaylists", key)["playlists"]["playlist"][0]["id"]}),
        ("search3", {"query": "o"}),
        ("getMusicFolders", {}),
        ("getLicense", {}),
        ("getUser", {"username": user.email}),
        ("getAlbum", {"id": "al-999999"}),
    ]
    seen = set()
    for method, params in calls:
        for element in xml(client, method, key, **params).iter():
            tag = element.tag.removeprefix(NS)
            missing = XSD_REQUIRED.get(tag, set()) - set(element.attrib)
            if tag == "album" and method in ("getAlbumList",):  # Child entries there
                missing = XSD_REQUIRED["child"] - set(element.attrib)
            assert not missing, (method, tag, missing)
            for name in BOOLEAN_ATTRIBUTES & set(element.attrib):
                assert element.attrib[name] in ("true", "false"), (method, tag, name)
            seen.add(tag)
    assert {"artist", "album", "song", "child", "entry", "playlist", "index", "directory", "error"} <= seen
