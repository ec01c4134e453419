"""Genre tags: set by the artist's managers (normalised, validated, all or nothing), shown on
release pages, browsed by tag (visible releases only), found by search."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.catalog.models import TrackStatus
from tests.factories import bearer, login, make_artist, make_release, make_track, make_user, token_for


@pytest.fixture
def tagged(app_ctx):
    manager = make_user()
    artist = make_artist(name="Field Notes", manager=manager)
    release = make_release(artist=artist, title="Low Tide")
    make_track(release=release)
    return {"manager": manager, "headers": bearer(token_for(manager)), "release": release, "artist": artist}


def patch(client, release, body, headers):
    return client.patch(f"/api/v1/releases/{release.id}/tags", json=body, headers=headers)


def test_managers_set_normalised_tags(client, tagged):
    r = patch(client, tagged["release"], {"tags": ["Post Rock", "ambient", "post_rock", " Drone! "]}, tagged["headers"])
    assert r.status_code == 200, r.text
    assert r.json["tags"] == ["ambient", "drone", "post-rock"]
    r = patch(client, tagged["release"], {"add": ["Field Recording"], "remove": ["drone"]}, tagged["headers"])
    assert r.json["tags"] == ["ambient", "field-recording", "post-rock"]
    assert client.get(f"/api/v1/releases/{tagged['release'].id}").json["release"]["tags"] == r.json["tags"]


def test_only_managers_and_admins_may_tag(client, tagged):
    release = tagged["release"]
    assert patch(client, release, {"add": ["jazz"]}, {}).status_code == 401
    assert patch(client, release, {"add": ["jazz"]}, bearer(token_for(make_user()))).status_code == 403
    admin = make_user(role=Role.ADMIN)
    assert patch(client, release, {"add": ["jazz"]}, bearer(token_for(admin))).json["tags"] == ["jazz"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"add": ["ok", "!!!"]}, "add"),
        ({"add": ["x" * 31]}, "add"),
        ({"tags": [f"tag{n}" for n in range(11)]}, "tags"),
        ({"tags": "rock"}, "tags"),
        ({"add": ["rock", 5]}, "add"),
    ],
)
def test_bad_tags_are_refused_and_nothing_is_written(client, tagged, body, field):
    patch(client, tagged["release"], {"tags": ["kept"]}, tagged["headers"])
    r = patch(client, tagged["release"], body, tagged["headers"])
    assert r.status_code == 422, r.text
    assert r.json["error"]["field"] == field
    assert client.get(f"/api/v1/releases/{tagged['release'].id}").json["release"]["tags"] == ["kept"]


def test_browse_by_tag_shows_visible_releases_only(client, tagged):
    patch(client, tagged["release"], {"tags": ["ambient"]}, tagged["headers"])
    draft = make_release(artist=tagged["artist"], title="Unfinished")
    make_track(release=draft, status=TrackStatus.PROCESSING)
    patch(client, draft, {"tags": ["ambient", "secret-genre"]}, tagged["headers"])

    r = client.get("/api/v1/tags")
    assert {t["tag"]: t["releases"] for t in r.json["tags"]} == {"ambient": 1}
    assert [x["title"] for x in client.get("/api/v1/tags/ambient").json["releases"]] == ["Low Tide"]
    assert [x["title"] for x in client.get("/api/v1/tags/Ambient").json["releases"]] == ["Low Tide"]

    page = client.get("/tags/ambient")
    assert page.status_code == 200 and "Low Tide" in page.text and "Unfinished" not in page.text
    assert client.get("/tags/secret-genre").status_code == 404
    assert client.get("/tags/Ambient").headers["Location"].endswith("/tags/ambient")
    assert "ambient" in client.get("/tags").text


def test_release_page_shows_tags_and_the_editor_to_managers(client, tagged):
    patch(client, tagged["release"], {"tags": ["ambient", "drone"]}, tagged["headers"])
    page = client.get(f"/releases/{tagged['release'].id}").text
    assert 'href="/tags/ambient"' in page and "tag-editor" not in page
    login(client, tagged["manager"])
    page = client.get(f"/releases/{tagged['release'].id}").text
    assert "tag-editor" in page and 'aria-label="Remove tag drone"' in page and "tags.js" in page


def test_search_finds_tags_and_tagged_releases(client, tagged):
    patch(client, tagged["release"], {"tags": ["post-rock"]}, tagged["headers"])
    found = client.get("/api/v1/search?q=post rok").json
    assert [t["tag"] for t in found["tags"]] == ["post-rock"]
    found = client.get("/api/v1/search?q=post rock").json
    assert [r["title"] for r in found["releases"]] == ["Low Tide"]
    assert found["releases"][0]["tags"] == ["post-rock"]
