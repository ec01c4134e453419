"""Drafts (no ready track) and unreleased releases (a future release date) are seen only by
their artist's managers and admins: every public read applies the catalog's one rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from app.accounts.models import Role
from app.catalog import services as catalog
from app.catalog.models import Release, TrackStatus
from app.core.extensions import db
from app.core.ratelimit import limiter
from tests.factories import bearer, make_artist, make_release, make_track, make_user, token_for
from tests.streaming.streaming_helpers import make_streamable_track


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


@pytest.fixture
def cast(app_ctx):
    """A manager's artist with a public, an unreleased (tomorrow) and a draft release."""
    manager = make_user()
    artist = make_artist(name="Quiet Harbour", manager=manager)
    tomorrow = catalog.today_utc() + timedelta(days=1)
    public = make_release(artist=artist, title="Harbour Out", release_date=catalog.today_utc())
    unreleased = make_release(artist=artist, title="Harbour Soon", release_date=tomorrow)
    draft = make_release(artist=artist, title="Harbour Draft")
    public_track = make_streamable_track(release=public, title="Harbour Out Song")
    soon_track = make_streamable_track(release=unreleased, title="Harbour Soon Song")
    make_track(release=draft, title="Harbour Draft Song", status=TrackStatus.PROCESSING)
    admin = make_user(role=Role.ADMIN)
    return {
        "artist": artist,
        "public": public,
        "unreleased": unreleased,
        "draft": draft,
        "public_track": public_track,
        "soon_track": soon_track,
        "listener": bearer(token_for(make_user())),
        "manager": bearer(token_for(manager)),
        "admin": bearer(token_for(admin)),
    }


def test_api_artist_release_and_track_reads(client, cast):
    hidden = {cast["unreleased"].id, cast["draft"].id}
    for who, sees_hidden in ((None, False), ("listener", False), ("manager", True), ("admin", True)):
        headers = cast[who] if who else {}
        ids = {
            r["id"]
            for r in client.get(f"/api/v1/artists/{cast['artist'].id}", headers=headers).json["artist"]["releases"]
        }
        assert (hidden <= ids) is sees_hidden and cast["public"].id in ids, who
        for release in ("unreleased", "draft"):
            status = client.get(f"/api/v1/releases/{cast[release].id}", headers=headers).status_code
            assert status == (200 if sees_hidden else 404), (who, release)
        for path in (
            f"/api/v1/tracks/{cast['soon_track'].id}",
            f"/api/v1/tracks/{cast['soon_track'].id}/waveform",
            f"/api/v1/tracks/{cast['soon_track'].id}/preview",
        ):
            status = client.get(path, headers=headers).status_code
            assert status in ((200, 302) if sees_hidden else (404,)), (who, path)
        assert client.get(f"/api/v1/tracks/{cast['public_track'].id}", headers=headers).status_code == 200


def test_api_search_hides_drafts_and_unreleased(client, cast):
    for who, sees_hidden in ((None, False), ("listener", False), ("manager", True)):
        body = client.get("/api/v1/search?q=harbour", headers=cast[who] if who else {}).json
        releases = {r["title"] for r in body["releases"]}
        tracks = {t["title"] for t in body["tracks"]}
        assert "Harbour Out" in releases and "Harbour Out Song" in tracks
        assert ("Harbour Soon" in releases) is sees_hidden and ("Harbour Draft" in releases) is sees_hidden
        assert ("Harbour Soon Song" in tracks) is sees_hidden


def test_pages_hide_drafts_and_unreleased(client, cast):
    home = client.get("/").text
    assert "Harbour Out" in home and "Harbour Soon" not in home and "Harbour Draft" not in home
    artist_page = client.get(f"/artists/{cast['artist'].id}").text
    assert "Harbour Out" in artist_page and "Harbour Soon" not in artist_page
    assert client.get(f"/releases/{cast['unreleased'].id}").status_code == 404
    assert client.get(f"/releases/{cast['draft'].id}").status_code == 404
    search = client.get("/search?q=harbour").text
    assert "Harbour Out" in search and "Harbour Soon" not in search and "Harbour Draft" not in search


def test_cover_of_an_unreleased_release_is_hidden(client, cast):
    r = client.get(f"/api/v1/releases/{cast['unreleased'].id}/cover/small")
    assert r.status_code == 404 and "no release" in r.json["error"]["message"]
    r = client.get(f"/api/v1/releases/{cast['unreleased'].id}/cover/small", headers=cast["manager"])
    assert r.status_code == 404 and "no cover" in r.json["error"]["message"]


def test_only_managers_and_admins_start_plays_of_unreleased_tracks(client, cast):
    track = cast["soon_track"].id
    assert client.post(f"/api/v1/tracks/{track}/plays", headers=cast["listener"]).status_code == 404
    assert client.post(f"/api/v1/tracks/{track}/plays", headers=cast["manager"]).status_code == 201
    assert client.post(f"/api/v1/tracks/{track}/plays", headers=cast["admin"]).status_code in (201, 402)
    assert client.post(f"/api/v1/tracks/{track}/previews").status_code == 404
    assert client.post(f"/api/v1/tracks/{cast['public_track'].id}/plays", headers=cast["listener"]).status_code == 201


def test_a_release_becomes_public_on_its_date(app_ctx):
    release = make_release(release_date=date(2030, 1, 2))
    make_track(release=release)

    def public(day):
        query = select(Release.id).where(Release.id == release.id, catalog.public_release_clause(day))
        return db.session.scalar(query) is not None

    assert not public(date(2030, 1, 1)) and public(date(2030, 1, 2)) and public(date(2030, 1, 3))


@pytest.mark.parametrize("release_date", [None, date(2030, 1, 1), date(2030, 1, 2), date(2030, 1, 3)])
def test_the_sql_form_of_released_agrees(app_ctx, release_date):
    release = make_release(release_date=release_date)
    today = date(2030, 1, 2)
    via_sql = db.session.scalar(
        text(f"SELECT {catalog.RELEASED_SQL} FROM releases r WHERE r.id = :id"), {"id": release.id, "today": today}
    )
    via_orm = db.session.scalar(select(catalog.released_clause(today)).where(Release.id == release.id))
    assert via_sql == via_orm
