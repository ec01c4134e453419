from tests.factories import make_track


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200, r.json
    assert r.json["checks"]["database"]["ok"] is True


def test_search_finds_track(client, app_ctx):
    track = make_track(title="Needle in a Haystack")
    r = client.get("/api/v1/search?q=haystack")
    assert r.status_code == 200
    assert [t["id"] for t in r.json["tracks"]] == [track.id]
