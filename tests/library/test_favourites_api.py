"""Favourites, follows, the feed and the library settings over the API."""

from datetime import date, timedelta

from app.catalog.models import TrackStatus
from tests.factories import bearer, make_artist, make_release, make_track, make_user, token_for
from tests.library.library_helpers import set_status


def test_favourites_need_login(client, app_ctx):
    track = make_track()
    assert client.get("/api/v1/me/favourites").status_code == 401
    assert client.put(f"/api/v1/me/favourites/tracks/{track.id}").status_code == 401
    assert client.delete(f"/api/v1/me/favourites/tracks/{track.id}").status_code == 401
    assert client.put(f"/api/v1/me/following/{track.release.artist_id}").status_code == 401
    assert client.get("/api/v1/me/feed").status_code == 401


def test_favourite_track_release_and_follow_are_idempotent(client, app_ctx):
    user = make_user()
    h = bearer(token_for(user))
    track = make_track(title="Salt Window")
    release, artist = track.release, track.release.artist

    for _ in range(2):
        r = client.put(f"/api/v1/me/favourites/tracks/{track.id}", headers=h)
        assert r.status_code == 200 and r.json["favourite"] is True and r.json["track"]["id"] == track.id
        r = client.put(f"/api/v1/me/favourites/releases/{release.id}", headers=h)
        assert r.status_code == 200 and r.json["release"]["id"] == release.id
        r = client.put(f"/api/v1/me/following/{artist.id}", headers=h)
        assert r.status_code == 200 and r.json["following"] is True

    fav = client.get("/api/v1/me/favourites", headers=h).json
    assert [t["id"] for t in fav["tracks"]] == [track.id]
    assert [r["id"] for r in fav["releases"]] == [release.id]
    assert [a["id"] for a in fav["artists"]] == [artist.id]

    for _ in range(2):
        assert client.delete(f"/api/v1/me/favourites/tracks/{track.id}", headers=h).status_code == 204
        assert client.delete(f"/api/v1/me/favourites/releases/{release.id}", headers=h).status_code == 204
        assert client.delete(f"/api/v1/me/following/{artist.id}", headers=h).status_code == 204
    fav = client.get("/api/v1/me/favourites", headers=h).json
    assert fav == {"tracks": [], "releases": [], "artists": []}


def test_favourites_are_per_listener(client, app_ctx):
    alice, bob = make_user(), make_user()
    track = make_track()
    client.put(f"/api/v1/me/favourites/tracks/{track.id}", headers=bearer(token_for(alice)))
    assert client.get("/api/v1/me/favourites", headers=bearer(token_for(bob))).json["tracks"] == []


def test_cannot_star_what_one_cannot_see(client, app_ctx):
    h = bearer(token_for(make_user()))
    hidden = make_track(status=TrackStatus.HIDDEN)
    future = make_release(release_date=date.today() + timedelta(days=30))
    make_track(release=future)
    assert client.put(f"/api/v1/me/favourites/tracks/{hidden.id}", headers=h).status_code == 404
    assert client.put(f"/api/v1/me/favourites/releases/{future.id}", headers=h).status_code == 404
    assert client.put("/api/v1/me/favourites/tracks/999999", headers=h).status_code == 404
    assert client.put("/api/v1/me/following/999999", headers=h).status_code == 404


def test_a_favourite_that_gets_hidden_drops_out_and_comes_back(client, app_ctx):
    h = bearer(token_for(make_user()))
    track = make_track()
    client.put(f"/api/v1/me/favourites/tracks/{track.id}", headers=h)
    set_status(track, TrackStatus.HIDDEN)
    assert client.get("/api/v1/me/favourites", headers=h).json["tracks"] == []
    set_status(track, TrackStatus.READY)
    assert [t["id"] for t in client.get("/api/v1/me/favourites", headers=h).json["tracks"]] == [track.id]


def test_feed_lists_followed_artists_public_releases_newest_first(client, app_ctx):
    h = bearer(token_for(make_user()))
    followed, other = make_artist(), make_artist()
    old = make_release(artist=followed, release_date=date.today() - timedelta(days=40))
    new = make_release(artist=followed, release_date=date.today() - timedelta(days=1))
    unreleased = make_release(artist=followed, release_date=date.today() + timedelta(days=5))
    draft = make_release(artist=followed)  # no ready track
    elsewhere = make_release(artist=other)
    for r in (old, new, unreleased, elsewhere):
        make_track(release=r)
    make_track(release=draft, status=TrackStatus.PROCESSING)

    assert client.get("/api/v1/me/feed", headers=h).json["releases"] == []
    client.put(f"/api/v1/me/following/{followed.id}", headers=h)
    r = client.get("/api/v1/me/feed", headers=h)
    assert [x["id"] for x in r.json["releases"]] == [new.id, old.id]
    assert [x["id"] for x in client.get("/api/v1/me/feed?limit=1", headers=h).json["releases"]] == [new.id]
    r = client.get("/api/v1/me/feed?limit=0", headers=h)
    assert r.status_code == 422 and r.json["error"]["field"] == "limit"


def test_library_settings_default_off_and_validated(client, app_ctx):
    h = bearer(token_for(make_user()))
    assert client.get("/api/v1/me/library/settings", headers=h).json == {"settings": {"mail_new_releases": False}}
    r = client.put("/api/v1/me/library/settings", json={"mail_new_releases": True}, headers=h)
    assert r.status_code == 200 and r.json["settings"]["mail_new_releases"] is True
    assert client.get("/api/v1/me/library/settings", headers=h).json["settings"]["mail_new_releases"] is True
    r = client.put("/api/v1/me/library/settings", json={"mail_new_releases": "yes"}, headers=h)
    assert r.status_code == 422 and r.json["error"]["field"] == "mail_new_releases"
    r = client.put("/api/v1/me/library/settings", json={}, headers=h)
    assert r.status_code == 422
    assert client.get("/api/v1/me/library/settings", headers=h).json["settings"]["mail_new_releases"] is True
