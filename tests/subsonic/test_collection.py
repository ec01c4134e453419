"""The listener's own things over /rest/: stars, playlists, the user, now playing, play queue."""

from __future__ import annotations

from app.catalog.models import TrackStatus
from app.core.extensions import db
from app.library import services as library
from app.library.models import ArtistFollow, FavouriteRelease, FavouriteTrack
from tests.factories import make_track
from tests.library.library_helpers import set_status
from tests.streaming.streaming_helpers import make_streamable_track
from tests.subsonic.subsonic_helpers import NS, error, listener, ok, xml


def test_star_unstar_and_starred2_map_to_favourites_and_follows(client, app_ctx):
    user, key = listener()
    track = make_track(title="Low Tide")
    release, artist = track.release, track.release.artist
    for _ in range(2):  # idempotent
        ok(client, "star", key, id=f"tr-{track.id}", albumId=f"al-{release.id}", artistId=f"ar-{artist.id}")
    assert db.session.query(FavouriteTrack).filter_by(user_id=user.id).count() == 1
    assert db.session.query(FavouriteRelease).filter_by(user_id=user.id).count() == 1
    assert db.session.query(ArtistFollow).filter_by(user_id=user.id).count() == 1
    starred = ok(client, "getStarred2", key)["starred2"]
    assert [s["id"] for s in starred["song"]] == [f"tr-{track.id}"] and starred["song"][0]["starred"]
    assert [a["id"] for a in starred["album"]] == [f"al-{release.id}"]
    assert [a["id"] for a in starred["artist"]] == [f"ar-{artist.id}"]
    assert ok(client, "getSong", key, id=f"tr-{track.id}")["song"]["starred"] == starred["song"][0]["starred"]
    root = xml(client, "getStarred", key)
    assert [s.attrib["title"] for s in root.find(NS + "starred").findall(NS + "song")] == ["Low Tide"]
    # an album id in ``id`` works too (clients of the folder-based API send that)
    ok(client, "unstar", key, id=[f"tr-{track.id}", f"al-{release.id}"], artistId=f"ar-{artist.id}")
    ok(client, "unstar", key, id=f"tr-{track.id}")
    assert ok(client, "getStarred2", key)["starred2"] == {"artist": [], "album": [], "song": []}
    assert error(client, "star", key, id="tr-999999")["code"] == 70


def test_playlists_crud(client, app_ctx):
    user, key = listener()
    a, b, c = make_track(title="A"), make_track(title="B"), make_track(title="C")
    created = ok(client, "createPlaylist", key, name="Road", songId=[f"tr-{a.id}", f"tr-{b.id}", f"tr-{a.id}"])
    playlist = created["playlist"]
    assert playlist["name"] == "Road" and playlist["songCount"] == 3 and playlist["owner"] == user.email
    assert [e["title"] for e in playlist["entry"]] == ["A", "B", "A"]
    pid = playlist["id"]
    assert [p["id"] for p in ok(client, "getPlaylists", key)["playlists"]["playlist"]] == [pid]
    ok(
        client,
        "updatePlaylist",
        key,
        playlistId=pid,
        name="Road trip",
        comment="for the drive",
        public="true",
        songIndexToRemove=["0", "2"],
        songIdToAdd=f"tr-{c.id}",
    )
    got = ok(client, "getPlaylist", key, id=pid)["playlist"]
    assert got["name"] == "Road trip" and got["comment"] == "for the drive" and got["public"] is True
    assert [e["title"] for e in got["entry"]] == ["B", "C"]
    # createPlaylist with a playlistId replaces its songs
    ok(client, "createPlaylist", key, playlistId=pid, songId=f"tr-{a.id}")
    assert [e["title"] for e in ok(client, "getPlaylist", key, id=pid)["playlist"]["entry"]] == ["A"]
    ok(client, "deletePlaylist", key, id=pid)
    assert error(client, "getPlaylist", key, id=pid)["code"] == 70
    assert error(client, "createPlaylist", key)["code"] == 10


def test_other_listeners_playlists(client, app_ctx):
    owner, owner_key = listener()
    _, key = listener()
    track = make_track()
    private = ok(client, "createPlaylist", owner_key, name="Mine", songId=f"tr-{track.id}")["playlist"]["id"]
    public = ok(client, "createPlaylist", owner_key, name="Shared")["playlist"]["id"]
    ok(client, "updatePlaylist", owner_key, playlistId=public, public="true")
    assert error(client, "getPlaylist", key, id=private)["code"] == 70  # not disclosed
    assert ok(client, "getPlaylist", key, id=public)["playlist"]["name"] == "Shared"
    assert error(client, "updatePlaylist", key, playlistId=public, name="Mine now")["code"] == 50
    assert error(client, "deletePlaylist", key, id=public)["code"] == 50
    assert error(client, "getPlaylists", key, username=owner.email)["code"] == 50
    assert library.get_playlist(int(public[3:]), owner).name == "Shared"


def test_get_user_is_yourself_only(client, app_ctx):
    user, key = listener()
    other, _ = listener()
    me = ok(client, "getUser", key, username=user.email)["user"]
    assert me["username"] == user.email and me["streamRole"] is True and me["adminRole"] is False
    root = xml(client, "getUser", key, username=user.email)
    assert [f.text for f in root.find(NS + "user").findall(NS + "folder")] == ["1"]
    assert error(client, "getUser", key, username=other.email)["code"] == 50
    assert error(client, "getUser", key)["code"] == 10


def test_now_playing_shows_your_own_open_plays(client, app_ctx):
    user, key = listener()
    _other, other_key = listener()
    track = make_streamable_track(title="Playing")
    client.get("/rest/stream", query_string={"apiKey": key, "id": f"tr-{track.id}"})
    client.get("/rest/stream", query_string={"apiKey": other_key, "id": f"tr-{track.id}"})
    entries = ok(client, "getNowPlaying", key)["nowPlaying"]["entry"]
    assert [(e["title"], e["username"]) for e in entries] == [("Playing", user.email)]
    assert entries[0]["minutesAgo"] == 0


def test_play_queue_saved_and_restored(client, app_ctx):
    _, key = listener()
    a, b = make_track(title="A"), make_track(title="B")
    assert ok(client, "getPlayQueue", key).get("playQueue") is None
    ok(client, "savePlayQueue", key, id=[f"tr-{a.id}", f"tr-{b.id}"], current=f"tr-{b.id}", position=61_000, c="phone")
    queue = ok(client, "getPlayQueue", key)["playQueue"]
    assert [e["title"] for e in queue["entry"]] == ["A", "B"]
    assert queue["current"] == f"tr-{b.id}" and queue["position"] == 61_000 and queue["changedBy"] == "phone"
    ok(client, "savePlayQueue", key, id=f"tr-{a.id}", c="desk")
    assert [e["title"] for e in ok(client, "getPlayQueue", key)["playQueue"]["entry"]] == ["A"]
    ok(client, "savePlayQueue", key)  # nothing: the queue is cleared
    assert ok(client, "getPlayQueue", key).get("playQueue") is None


def test_song_indexes_are_positions_as_shown(client, app_ctx):
    """An entry that became unavailable is not shown, so it does not shift the indexes an app
    sends back (removing index 1 removes what the app showed at 1)."""
    _, key = listener()
    a, b, c = make_track(title="A"), make_track(title="B"), make_track(title="C")
    ids = [f"tr-{t.id}" for t in (a, b, c)]
    pid = ok(client, "createPlaylist", key, name="Mix", songId=ids)["playlist"]["id"]
    set_status(b, TrackStatus.HIDDEN)
    assert [e["title"] for e in ok(client, "getPlaylist", key, id=pid)["playlist"]["entry"]] == ["A", "C"]
    ok(client, "updatePlaylist", key, playlistId=pid, songIndexToRemove="1")
    assert [e["title"] for e in ok(client, "getPlaylist", key, id=pid)["playlist"]["entry"]] == ["A"]
