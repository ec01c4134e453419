"""Hidden tracks and releases: gone from every public listing, page, search and API answer;
unplayable but for owners (not after a legal takedown); their managers see the reason."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role
from app.admin.models import AuditEntry
from app.core.extensions import db
from app.payments.services import wallet
from tests.admin.admin_helpers import admin_headers, make_admin, refresh
from tests.factories import bearer, login, make_artist, make_release, make_user, token_for
from tests.streaming.streaming_helpers import make_streamable_track


def _hide(client, admin, kind, item_id, reason="Copyright claim by Label X", takedown=None):
    body = {"reason": reason} | ({"takedown": takedown} if takedown is not None else {})
    r = client.post(f"/api/v1/admin/{kind}s/{item_id}/hide", json=body, headers=admin_headers(admin))
    assert r.status_code == 200, r.text
    return r.json["item"]


def own(user, track) -> None:
    """``user`` buys ``track`` outright (after a top-up: the starter credits are not enough)."""
    wallet.admin_top_up(user.id, "5", f"top-up-{user.id}")
    wallet.buy_now(user, track.id, f"own-{user.id}-{track.id}")
    db.session.commit()


def _titles(answer) -> set[str]:
    return {t["title"] for t in answer.get("tracks", [])}


def test_a_hidden_track_vanishes_from_every_public_read(client, app_ctx):
    admin = make_admin()
    release = make_release(title="Moonlit Album")
    hidden = make_streamable_track(release=release, title="Stolen Tune")
    kept = make_streamable_track(release=release, title="Honest Tune")
    listener = make_user()
    h = bearer(token_for(listener))
    assert "Stolen Tune" in client.get(f"/releases/{release.id}").text

    item = _hide(client, admin, "track", hidden.id)
    assert item["hidden"] is True and item["takedown"] is False

    assert _titles(client.get(f"/api/v1/releases/{release.id}").json["release"]) == {"Honest Tune"}
    assert client.get(f"/api/v1/tracks/{hidden.id}").status_code == 404
    assert client.get(f"/api/v1/tracks/{kept.id}").status_code == 200
    assert _titles(client.get("/api/v1/search?q=Tune").json) == {"Honest Tune"}
    page = client.get(f"/releases/{release.id}").text
    assert "Stolen Tune" not in page and "Honest Tune" in page
    assert "Stolen Tune" not in client.get("/search?q=Stolen").text
    assert client.get(f"/api/v1/tracks/{hidden.id}/preview").status_code == 404
    assert client.get(f"/api/v1/tracks/{hidden.id}/waveform").status_code == 404
    r = client.post(f"/api/v1/tracks/{hidden.id}/plays", headers=h)
    assert r.status_code == 404
    r = client.post(f"/api/v1/me/tracks/{hidden.id}/buy", json={"idempotency_key": "b1"}, headers=h)
    assert r.status_code == 404
    r = client.post(f"/api/v1/tracks/{hidden.id}/previews", headers=h)
    assert r.status_code == 404

    # Shown again exactly as before.
    r = client.post(
        f"/api/v1/admin/tracks/{hidden.id}/unhide", json={"reason": "claim withdrawn"}, headers=admin_headers(admin)
    )
    assert r.status_code == 200 and r.json["item"]["hidden"] is False
    assert _titles(client.get(f"/api/v1/releases/{release.id}").json["release"]) == {"Honest Tune", "Stolen Tune"}
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["track.hide", "track.unhide"]


def test_a_hidden_release_vanishes_from_home_artist_search_and_api(client, app_ctx):
    admin = make_admin()
    artist = make_artist(name="Quiet Band")
    release = make_release(artist=artist, title="Abusive Cover Art")
    track = make_streamable_track(release=release, title="Inner Song")
    assert "Abusive Cover Art" in client.get("/").text

    _hide(client, admin, "release", release.id, reason="Abusive artwork")

    assert "Abusive Cover Art" not in client.get("/").text
    assert "Abusive Cover Art" not in client.get(f"/artists/{artist.id}").text
    assert client.get(f"/releases/{release.id}").status_code == 404
    assert client.get(f"/api/v1/releases/{release.id}").status_code == 404
    assert client.get(f"/api/v1/tracks/{track.id}").status_code == 404
    assert client.get(f"/api/v1/artists/{artist.id}").json["artist"]["releases"] == []
    found = client.get("/api/v1/search?q=Abusive").json
    assert found["releases"] == [] and found["tracks"] == []
    r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=bearer(token_for(make_user())))
    assert r.status_code == 404


def test_managers_see_the_reason_and_owners_keep_playing_unless_taken_down(client, app, app_ctx):
    admin = make_admin()
    manager = make_user(role=Role.ARTIST)
    release = make_release(artist=make_artist(manager=manager))
    track = make_streamable_track(release=release, title="Disputed")
    owner, stranger = make_user(), make_user()
    own(owner, track)
    owner_h, stranger_h = bearer(token_for(owner)), bearer(token_for(stranger))

    _hide(client, admin, "track", track.id, reason="Sample not cleared")
    assert client.post(f"/api/v1/tracks/{track.id}/plays", headers=owner_h).status_code == 201
    assert client.post(f"/api/v1/tracks/{track.id}/plays", headers=stranger_h).status_code == 404
    assert client.get(f"/api/v1/tracks/{track.id}/original", headers=owner_h).status_code == 200
    browser = app.test_client()
    login(browser, manager)
    page = browser.get(f"/releases/{release.id}").text
    assert "Hidden by the co-op" in page and "Sample not cleared" in page

    _hide(client, admin, "track", track.id, reason="Court order 12/2026", takedown=True)
    r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=owner_h)
    assert r.status_code == 403 and r.json["error"]["code"] == "taken_down"
    assert client.get(f"/api/v1/tracks/{track.id}/original", headers=owner_h).status_code == 403
    assert client.post(f"/api/v1/tracks/{track.id}/plays", headers=stranger_h).status_code == 404
    assert "legal takedown" in browser.get(f"/releases/{release.id}").text
    # The owner's money and ownership are untouched: showing it again gives the plays back.
    client.post(f"/api/v1/admin/tracks/{track.id}/unhide", json={}, headers=admin_headers(admin))
    assert client.post(f"/api/v1/tracks/{track.id}/plays", headers=owner_h).status_code == 201


def test_a_release_takedown_reaches_its_tracks_and_hiding_needs_a_reason(client, app_ctx):
    admin = make_admin()
    release = make_release()
    track = make_streamable_track(release=release)
    owner = make_user()
    own(owner, track)
    h = admin_headers(admin)
    r = client.post(f"/api/v1/admin/releases/{release.id}/hide", json={"reason": ""}, headers=h)
    assert r.status_code == 422 and r.json["error"]["field"] == "reason"
    r = client.post(f"/api/v1/admin/releases/{release.id}/hide", json={"reason": "x", "takedown": "yes"}, headers=h)
    assert r.status_code == 422
    assert refresh(release).hidden_at is None
    _hide(client, admin, "release", release.id, takedown=True)
    r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=bearer(token_for(owner)))
    assert r.status_code == 403 and r.json["error"]["code"] == "taken_down"
    listed = client.get("/api/v1/admin/hidden", headers=h).json["items"]
    assert [(i["type"], i["id"], i["takedown"]) for i in listed] == [("release", release.id, True)]
    assert client.post(f"/api/v1/admin/tracks/{track.id}/unhide", json={}, headers=h).status_code == 409
    assert client.post("/api/v1/admin/tracks/999999/hide", json={"reason": "x"}, headers=h).status_code == 404
    assert (
        client.post(
            f"/api/v1/admin/tracks/{track.id}/hide", json={"reason": "x"}, headers=bearer(token_for(owner))
        ).status_code
        == 403
    )


def test_the_admin_item_page_hides_and_shows(client, app_ctx):
    admin = make_admin()
    track = make_streamable_track(title="Paged")
    login(client, admin)
    assert client.get(f"/admin/tracks/{track.id}").status_code == 200
    r = client.post(f"/admin/tracks/{track.id}", data={"action": "hide", "reason": "abuse", "takedown": "on"})
    assert r.status_code == 302
    assert refresh(track).hidden_takedown is True and refresh(track).hidden_reason == "abuse"
    assert "Paged" in client.get("/admin/catalogue").text
    client.post(f"/admin/tracks/{track.id}", data={"action": "unhide", "reason": "ok"})
    assert refresh(track).hidden_at is None
    r = client.post(f"/admin/tracks/{track.id}", data={"action": "hide", "reason": ""})
    assert r.status_code == 302 and refresh(track).hidden_at is None
