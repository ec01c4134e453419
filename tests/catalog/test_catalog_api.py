from app.catalog.models import TrackStatus
from tests.factories import bearer, make_artist, make_release, make_track, make_user, token_for


def test_artist_release_track_reads(client, app_ctx):
    artist = make_artist(name="Nina Keys")
    release = make_release(artist=artist, title="Blue Hours", kind="ep")
    ready = make_track(release=release, title="One")
    make_track(release=release, title="Still processing", status=TrackStatus.PROCESSING)

    r = client.get(f"/api/v1/artists/{artist.id}")
    assert r.status_code == 200
    assert [x["title"] for x in r.json["artist"]["releases"]] == ["Blue Hours"]

    r = client.get(f"/api/v1/releases/{release.id}")
    assert [t["title"] for t in r.json["release"]["tracks"]] == ["One"]
    assert r.json["release"]["kind"] == "ep"

    r = client.get(f"/api/v1/tracks/{ready.id}")
    assert r.json["track"]["release"]["artist"]["name"] == "Nina Keys"


def test_unknown_ids_are_404_json(client):
    for path in ("/api/v1/artists/999999", "/api/v1/releases/999999", "/api/v1/tracks/999999"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.json["error"]["code"] == "not_found"


def test_hidden_track_is_404(client, app_ctx):
    track = make_track(status=TrackStatus.HIDDEN)
    assert client.get(f"/api/v1/tracks/{track.id}").status_code == 404


def test_search_matches_title_release_and_artist_case_insensitively(client, app_ctx):
    artist = make_artist(name="Marigold")
    release = make_release(artist=artist, title="Summer_Tapes")
    track = make_track(release=release, title="Heat 100%")
    make_track(title="Unrelated")
    for q in ("marigold", "summer_tapes", "HEAT", "100%"):
        r = client.get("/api/v1/search", query_string={"q": q})
        assert [t["id"] for t in r.json["tracks"]] == [track.id], q
    # Punctuation alone is no word: LIKE wildcards find nothing rather than everything.
    for q in ("_", "%", "%_%"):
        assert client.get("/api/v1/search", query_string={"q": q}).json["tracks"] == [], q
    assert client.get("/api/v1/search?q=").json["tracks"] == []


def test_search_bad_limit(client):
    r = client.get("/api/v1/search?q=a&limit=lots")
    assert r.status_code == 422 and r.json["error"]["field"] == "limit"


def test_create_release_only_for_managers(client, app_ctx):
    manager, stranger = make_user(), make_user()
    artist = make_artist(manager=manager)
    body = {"title": "New One", "kind": "single", "release_date": "2026-12-01"}
    r = client.post(f"/api/v1/artists/{artist.id}/releases", json=body, headers=bearer(token_for(stranger)))
    assert r.status_code == 403
    r = client.post(f"/api/v1/artists/{artist.id}/releases", json=body, headers=bearer(token_for(manager)))
    assert r.status_code == 201, r.json
    assert r.json["release"]["release_date"] == "2026-12-01"
    bad = client.post(
        f"/api/v1/artists/{artist.id}/releases",
        json={**body, "release_date": "soon"},
        headers=bearer(token_for(manager)),
    )
    assert bad.status_code == 422 and bad.json["error"]["field"] == "release_date"
    bad = client.post(
        f"/api/v1/artists/{artist.id}/releases", json={**body, "kind": "mixtape"}, headers=bearer(token_for(manager))
    )
    assert bad.status_code == 422 and bad.json["error"]["field"] == "kind"


def test_label_staff_manage_several_artists(client, app_ctx):
    staff = make_user()
    first, second = make_artist(manager=staff), make_artist(manager=staff)
    token = token_for(staff)
    for artist in (first, second):
        r = client.post(f"/api/v1/artists/{artist.id}/releases", json={"title": "Label drop"}, headers=bearer(token))
        assert r.status_code == 201
