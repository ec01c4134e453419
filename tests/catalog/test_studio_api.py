"""The studio over JSON: releases (edit, draft/published, delete), tracks (edit, reorder,
remove, restore), the artist profile and image, and who manages an artist."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog import services as catalog
from app.catalog.models import Release, Track, TrackStatus
from app.core.extensions import db
from app.core.models import OutboxMessage
from app.core.ratelimit import limiter
from app.payments.services import wallet
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
    manager = make_user()
    artist = make_artist(name="Low Tide", manager=manager)
    release = make_release(artist=artist, title="Shoreline")
    tracks = [make_track(release=release, title=f"Wave {i}") for i in (1, 2, 3)]
    stranger = make_user()
    return {
        "manager": manager,
        "artist": artist,
        "release": release,
        "tracks": tracks,
        "m": bearer(token_for(manager)),
        "stranger": bearer(token_for(stranger)),
        "admin": bearer(token_for(make_user(role=Role.ADMIN))),
    }


def png(color=(200, 30, 60), size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def positions(release_id: int) -> list[tuple[str, int]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Track.title, Track.position).where(Track.release_id == release_id).order_by(Track.position)
    )
    return [tuple(r) for r in rows]


# --- releases ------------------------------------------------------------------------------


def test_manager_edits_every_field_of_a_release(client, cast):
    body = {
        "title": "Shoreline (deluxe)",
        "kind": "ep",
        "release_date": "2026-03-01",
        "description": "Recorded by the sea.",
        "credits": "Drums: A. Person",
        "license_note": "CC BY-NC 4.0",
    }
    r = client.patch(f"/api/v1/releases/{cast['release'].id}", json=body, headers=cast["m"])
    assert r.status_code == 200, r.json
    got = r.json["release"]
    assert {k: got[k] for k in body} == body and got["state"] == "published"
    assert client.get(f"/api/v1/releases/{cast['release'].id}").json["release"]["credits"] == "Drums: A. Person"


def test_a_refused_release_edit_changes_nothing(client, cast):
    url = f"/api/v1/releases/{cast['release'].id}"
    for body, field in (
        ({"title": "New", "kind": "mixtape"}, "kind"),
        ({"title": "New", "release_date": "yesterday"}, "release_date"),
        ({"title": "New", "description": "x" * 5001}, "description"),
        ({"title": "  "}, "title"),
        ({"title": "New", "colour": "red"}, "colour"),
        ({"published": "yes"}, "published"),
    ):
        r = client.patch(url, json=body, headers=cast["m"])
        assert r.status_code == 422 and r.json["error"]["field"] == field, (body, r.json)
    db.session.expire_all()
    assert db.session.get(Release, cast["release"].id).title == "Shoreline"


def test_only_managers_and_admins_edit_a_release(client, cast):
    url = f"/api/v1/releases/{cast['release'].id}"
    assert client.patch(url, json={"title": "Mine"}).status_code == 401
    r = client.patch(url, json={"title": "Mine"}, headers=cast["stranger"])
    assert r.status_code == 403 and "Low Tide" in r.json["error"]["message"]
    assert client.patch(url, json={"title": "Admin's"}, headers=cast["admin"]).status_code == 200
    assert client.patch("/api/v1/releases/999999", json={"title": "x"}, headers=cast["m"]).status_code == 404


def test_a_draft_is_hidden_until_published_and_a_scheduled_release_until_its_date(client, cast):
    artist = cast["artist"]
    r = client.post(
        f"/api/v1/artists/{artist.id}/releases",
        json={"title": "Undertow", "published": False, "description": "soon"},
        headers=cast["m"],
    )
    assert r.status_code == 201 and r.json["release"]["published"] is False
    draft_id = r.json["release"]["id"]
    make_track(release=db.session.get(Release, draft_id), title="Undertow Song")
    # the manager sees it, nobody else does: API, pages, search, the stranger's edit (404, not 403)
    assert client.get(f"/api/v1/releases/{draft_id}", headers=cast["m"]).status_code == 200
    assert client.get(f"/api/v1/releases/{draft_id}", headers=cast["stranger"]).status_code == 404
    assert (
        client.patch(f"/api/v1/releases/{draft_id}", json={"title": "x"}, headers=cast["stranger"]).status_code == 404
    )
    assert client.get(f"/releases/{draft_id}").status_code == 404
    assert "Undertow" not in client.get("/").text
    assert "Undertow" not in client.get(f"/artists/{artist.id}").text
    assert not client.get("/api/v1/search?q=undertow").json["releases"]
    studio = client.get(f"/api/v1/artists/{artist.id}/studio", headers=cast["m"]).json["studio"]
    assert [r["id"] for r in studio["releases"]["draft"]] == [draft_id]

    tomorrow = (catalog.today_utc() + timedelta(days=1)).isoformat()
    r = client.patch(
        f"/api/v1/releases/{draft_id}", json={"published": True, "release_date": tomorrow}, headers=cast["m"]
    )
    assert r.json["release"]["state"] == "scheduled"
    assert client.get(f"/api/v1/releases/{draft_id}", headers=cast["stranger"]).status_code == 404

    r = client.patch(f"/api/v1/releases/{draft_id}", json={"release_date": None}, headers=cast["m"])
    assert r.json["release"]["state"] == "published"
    assert client.get(f"/api/v1/releases/{draft_id}", headers=cast["stranger"]).status_code == 200
    assert "Undertow" in client.get("/").text

    r = client.patch(f"/api/v1/releases/{draft_id}", json={"published": False}, headers=cast["m"])
    assert r.json["release"]["state"] == "draft"
    assert client.get(f"/api/v1/releases/{draft_id}").status_code == 404


def test_an_unheard_release_is_deleted_a_heard_one_is_not(client, cast):
    draft = make_release(artist=cast["artist"], title="Mistake")
    make_track(release=draft)
    assert client.delete(f"/api/v1/releases/{draft.id}", headers=cast["stranger"]).status_code == 403
    assert client.delete(f"/api/v1/releases/{draft.id}", headers=cast["m"]).status_code == 204
    assert db.session.get(Release, draft.id) is None

    fan = make_user()
    wallet.admin_top_up(fan.id, "2", "fan-top")
    wallet.buy_now(fan, cast["tracks"][0].id, "fan-buy")
    db.session.commit()
    r = client.delete(f"/api/v1/releases/{cast['release'].id}", headers=cast["m"])
    assert r.status_code == 409 and r.json["error"]["code"] == "release_heard"
    db.session.expire_all()
    assert db.session.get(Release, cast["release"].id) is not None


# --- tracks --------------------------------------------------------------------------------


def test_manager_edits_a_track(client, cast):
    track = cast["tracks"][0]
    body = {"title": "First Wave", "free": True, "lyrics": "la la\nla", "explicit": True}
    r = client.patch(f"/api/v1/tracks/{track.id}", json=body, headers=cast["m"])
    assert r.status_code == 200
    assert {k: r.json["track"][k] for k in body} == body and r.json["track"]["owners"] == 0
    r = client.patch(f"/api/v1/tracks/{track.id}", json={"title": "", "free": False}, headers=cast["m"])
    assert r.status_code == 422
    db.session.expire_all()
    assert db.session.get(Track, track.id).free is True  # the refused edit changed nothing
    assert client.patch(f"/api/v1/tracks/{track.id}", json={"title": "x"}, headers=cast["stranger"]).status_code == 403
    assert client.patch(f"/api/v1/tracks/{track.id}", json={"lyrics": 3}, headers=cast["m"]).status_code == 422


def test_track_numbers_reorder_the_release(client, cast):
    first, _, third = cast["tracks"]
    r = client.patch(f"/api/v1/tracks/{third.id}", json={"position": 1}, headers=cast["m"])
    assert r.status_code == 200 and r.json["track"]["position"] == 1
    assert positions(cast["release"].id) == [("Wave 3", 1), ("Wave 1", 2), ("Wave 2", 3)]
    client.patch(f"/api/v1/tracks/{third.id}", json={"position": 3}, headers=cast["m"])
    assert positions(cast["release"].id) == [("Wave 1", 1), ("Wave 2", 2), ("Wave 3", 3)]
    for bad in (0, 4, -1):
        r = client.patch(f"/api/v1/tracks/{first.id}", json={"position": bad}, headers=cast["m"])
        assert r.status_code == 422 and "1 to 3" in r.json["error"]["message"]
    assert client.patch(f"/api/v1/tracks/{first.id}", json={"position": "2"}, headers=cast["m"]).status_code == 422
    assert positions(cast["release"].id) == [("Wave 1", 1), ("Wave 2", 2), ("Wave 3", 3)]
    r = client.get(f"/api/v1/releases/{cast['release'].id}").json["release"]["tracks"]
    assert [t["title"] for t in r] == ["Wave 1", "Wave 2", "Wave 3"]


def test_a_removed_track_stays_with_its_owners_only(client, cast):
    track = make_streamable_track(release=cast["release"], title="Keeper")
    owner, fan = make_user(), make_user()
    wallet.admin_top_up(owner.id, "2", "owner-top")
    wallet.buy_now(owner, track.id, "owner-buy")
    db.session.commit()
    owner_h, fan_h = bearer(token_for(owner)), bearer(token_for(fan))

    r = client.delete(f"/api/v1/tracks/{track.id}", headers=cast["stranger"])
    assert r.status_code == 403
    r = client.delete(f"/api/v1/tracks/{track.id}", headers=cast["m"])
    assert r.status_code == 200 and r.json["track"]["removed"] is True and r.json["track"]["owners"] == 1
    assert client.delete(f"/api/v1/tracks/{track.id}", headers=cast["m"]).status_code == 409

    # gone for everyone else: release listing, search, reads, previews, plays, buying
    titles = [t["title"] for t in client.get(f"/api/v1/releases/{cast['release'].id}").json["release"]["tracks"]]
    assert "Keeper" not in titles
    assert not client.get("/api/v1/search?q=keeper", headers=fan_h).json["tracks"]
    assert client.get(f"/api/v1/tracks/{track.id}", headers=fan_h).status_code == 404
    assert client.post(f"/api/v1/tracks/{track.id}/plays", headers=fan_h).status_code == 404
    assert client.post(f"/api/v1/tracks/{track.id}/previews").status_code == 404
    assert client.get(f"/api/v1/tracks/{track.id}/original", headers=fan_h).status_code == 403
    # the owner keeps streaming and downloading it
    assert client.get(f"/api/v1/tracks/{track.id}", headers=owner_h).status_code == 200
    assert client.post(f"/api/v1/tracks/{track.id}/plays", headers=owner_h).status_code == 201
    assert client.get(f"/api/v1/tracks/{track.id}/original", headers=owner_h).status_code == 200
    # a removed track has no track number to change; putting it back makes it last
    r = client.patch(f"/api/v1/tracks/{track.id}", json={"position": 1}, headers=cast["m"])
    assert r.status_code == 409
    r = client.post(f"/api/v1/tracks/{track.id}/restore", headers=cast["m"])
    assert r.status_code == 200 and r.json["track"]["position"] == 4 and not r.json["track"]["removed"]
    assert client.post(f"/api/v1/tracks/{track.id}/restore", headers=cast["m"]).status_code == 409
    assert client.get(f"/api/v1/tracks/{track.id}", headers=fan_h).status_code == 200


def test_removing_a_track_renumbers_the_rest(client, cast):
    first, _, third = cast["tracks"]
    client.delete(f"/api/v1/tracks/{first.id}", headers=cast["m"])
    assert positions(cast["release"].id) == [("Wave 2", 1), ("Wave 3", 2), ("Wave 1", 3)]
    r = client.patch(f"/api/v1/tracks/{third.id}", json={"position": 3}, headers=cast["m"])
    assert r.status_code == 422  # two tracks are listed


def test_a_draft_track_is_not_found_for_strangers(client, cast):
    track = make_track(release=cast["release"], status=TrackStatus.PROCESSING)
    assert client.patch(f"/api/v1/tracks/{track.id}", json={"title": "x"}, headers=cast["stranger"]).status_code == 404
    assert client.delete(f"/api/v1/tracks/{track.id}", headers=cast["stranger"]).status_code == 404
    assert client.delete("/api/v1/tracks/999999", headers=cast["m"]).status_code == 404


# --- the artist profile --------------------------------------------------------------------


def test_manager_edits_the_profile(client, cast):
    url = f"/api/v1/artists/{cast['artist'].id}"
    body = {"bio": "From the coast.", "location": "Brest", "links": "https://lowtide.example\n\nhttps://x.example/lt"}
    r = client.patch(url, json=body, headers=cast["m"])
    assert r.status_code == 200
    got = r.json["artist"]
    assert got["location"] == "Brest" and got["links"] == ["https://lowtide.example", "https://x.example/lt"]
    r = client.patch(url, json={"location": "Paris", "links": "javascript:alert(1)"}, headers=cast["m"])
    assert r.status_code == 422 and r.json["error"]["field"] == "links"
    assert client.get(url).json["artist"]["location"] == "Brest"
    assert client.patch(url, json={"bio": "mine"}, headers=cast["stranger"]).status_code == 403
    assert client.patch(url, json={"name": ""}, headers=cast["m"]).status_code == 422


def test_the_artist_image_comes_in_three_sizes(client, cast):
    url = f"/api/v1/artists/{cast['artist'].id}/image"
    assert client.get(f"{url}/small").status_code == 404
    files = {"file": (io.BytesIO(png()), "me.png")}
    r = client.put(url, data=files, headers=cast["m"], content_type="multipart/form-data")
    assert r.status_code == 200, r.json
    assert set(r.json["artist"]["image"]) == {"small", "medium", "large"}
    got = client.get(f"{url}/medium")
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    assert client.get(f"{url}/huge").status_code == 404
    files = {"file": (io.BytesIO(b"not an image"), "me.png")}
    r = client.put(url, data=files, headers=cast["m"], content_type="multipart/form-data")
    assert r.status_code == 415
    files = {"file": (io.BytesIO(png()), "me.png")}
    r = client.put(url, data=files, headers=cast["stranger"], content_type="multipart/form-data")
    assert r.status_code == 403


# --- managers ------------------------------------------------------------------------------


def _invitation_token() -> str:
    body = db.session.scalar(select(OutboxMessage.body).order_by(OutboxMessage.id.desc()).limit(1))
    return re.search(r"/studio/invitations/(\S+)", body).group(1)


def test_invite_accept_and_remove_managers(client, cast):
    artist = cast["artist"]
    newcomer = make_user(email="Drummer@Example.test")
    r = client.post(
        f"/api/v1/artists/{artist.id}/invitations", json={"email": "drummer@example.test"}, headers=cast["m"]
    )
    assert r.status_code == 201, r.json
    db.session.commit()
    token = _invitation_token()
    mail = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1))
    assert mail.to_address == "drummer@example.test" and "Low Tide" in mail.subject

    # the link alone is not enough: the invited address must be the account's
    r = client.post("/api/v1/invitations/accept", json={"token": token}, headers=cast["stranger"])
    assert r.status_code == 403 and r.json["error"]["code"] == "wrong_account"
    r = client.post("/api/v1/invitations/accept", json={"token": "nope"}, headers=bearer(token_for(newcomer)))
    assert r.status_code == 422
    r = client.post("/api/v1/invitations/accept", json={"token": token}, headers=bearer(token_for(newcomer)))
    assert r.status_code == 200 and r.json["artist"]["id"] == artist.id
    r = client.post("/api/v1/invitations/accept", json={"token": token}, headers=bearer(token_for(newcomer)))
    assert r.status_code == 422  # used
    listed = client.get(f"/api/v1/artists/{artist.id}/managers", headers=cast["m"]).json
    assert {m["id"] for m in listed["managers"]} == {cast["manager"].id, newcomer.id}
    assert client.get(f"/api/v1/artists/{artist.id}/managers", headers=cast["stranger"]).status_code == 403

    # already a manager; bad address
    r = client.post(
        f"/api/v1/artists/{artist.id}/invitations", json={"email": "drummer@example.test"}, headers=cast["m"]
    )
    assert r.status_code == 409
    r = client.post(f"/api/v1/artists/{artist.id}/invitations", json={"email": "no-at-sign"}, headers=cast["m"])
    assert r.status_code == 422

    url = f"/api/v1/artists/{artist.id}/managers"
    assert client.delete(f"{url}/{cast['manager'].id}", headers=cast["stranger"]).status_code == 403
    assert client.delete(f"{url}/{cast['manager'].id}", headers=bearer(token_for(newcomer))).status_code == 204
    r = client.delete(f"{url}/{newcomer.id}", headers=bearer(token_for(newcomer)))
    assert r.status_code == 409 and r.json["error"]["code"] == "last_manager"
    assert client.delete(f"{url}/{cast['manager'].id}", headers=bearer(token_for(newcomer))).status_code == 404


def test_a_waiting_invitation_can_be_withdrawn(client, cast):
    artist = cast["artist"]
    r = client.post(f"/api/v1/artists/{artist.id}/invitations", json={"email": "a@example.test"}, headers=cast["m"])
    invitation_id = r.json["invitation"]["id"]
    db.session.commit()
    token = _invitation_token()
    url = f"/api/v1/artists/{artist.id}/invitations/{invitation_id}"
    assert client.delete(url, headers=cast["stranger"]).status_code == 403
    assert client.delete(url, headers=cast["m"]).status_code == 204
    assert client.delete(url, headers=cast["m"]).status_code == 404
    invited = make_user(email="a@example.test")
    r = client.post("/api/v1/invitations/accept", json={"token": token}, headers=bearer(token_for(invited)))
    assert r.status_code == 422


def test_the_studio_lists_managed_artists_and_groups_releases(client, cast):
    other = make_artist(name="Label Mate", manager=cast["manager"])
    artists = client.get("/api/v1/studio", headers=cast["m"]).json["artists"]
    assert {a["id"] for a in artists} == {cast["artist"].id, other.id}
    assert client.get("/api/v1/studio", headers=cast["stranger"]).json["artists"] == []
    processing = make_track(release=cast["release"], title="Still Cooking", status=TrackStatus.PROCESSING)
    studio = client.get(f"/api/v1/artists/{cast['artist'].id}/studio", headers=cast["m"]).json["studio"]
    assert [r["id"] for r in studio["releases"]["published"]] == [cast["release"].id]
    assert [t["id"] for t in studio["uploads_in_progress"]] == [processing.id]
    assert studio["earnings"] == 0 and studio["dashboard_url"].endswith(f"/artists/{cast['artist'].id}/dashboard")
    assert client.get(f"/api/v1/artists/{cast['artist'].id}/studio", headers=cast["stranger"]).status_code == 403
