"""Reports: any logged-in listener or artist reports a track or release (page or API); the
admins' queue resolves each by hiding the item or dismissing the report, with a note."""

from __future__ import annotations

from sqlalchemy import select

from app.admin.models import AuditEntry, ContentReport
from app.core.extensions import db
from tests.admin.admin_helpers import admin_headers, make_admin, refresh
from tests.factories import bearer, login, make_release, make_user, token_for
from tests.streaming.streaming_helpers import make_streamable_track


def test_a_listener_reports_a_track_on_the_page_and_an_admin_hides_it(client, app, app_ctx):
    track = make_streamable_track(title="Offensive Song")
    listener = make_user()
    login(client, listener)
    page = client.get(f"/releases/{track.release_id}").text
    assert f"/report/track/{track.id}" in page and f"/report/release/{track.release_id}" in page
    assert "Offensive Song" in client.get(f"/report/track/{track.id}").text
    r = client.post(f"/report/track/{track.id}", data={"reason": "Hate speech in the lyrics"})
    assert r.status_code == 302 and r.headers["Location"] == f"/releases/{track.release_id}"
    r = client.post(f"/report/track/{track.id}", data={"reason": "again"})
    assert r.status_code == 409  # one open report per person and item
    r = client.post(f"/report/track/{track.id}", data={"reason": ""})
    assert r.status_code == 422
    report = db.session.scalar(select(ContentReport))
    assert (report.track_id, report.reporter_id, report.status) == (track.id, listener.id, "open")

    admin = make_admin()
    browser = app.test_client()
    login(browser, admin)
    queue = browser.get("/admin/catalogue").text
    assert "Hate speech in the lyrics" in queue and "Offensive Song" in queue
    r = browser.post(f"/admin/reports/{report.id}", data={"action": "hide", "note": "Breaks the co-op's rules"})
    assert r.status_code == 302
    report, track = refresh(report), refresh(track)
    assert report.status == "hidden" and report.resolution_note == "Breaks the co-op's rules"
    assert track.hidden_reason == "Breaks the co-op's rules" and not track.hidden_takedown
    assert client.get(f"/api/v1/tracks/{track.id}").status_code == 404
    # A hidden track can no longer be reported (it is not there for listeners).
    assert client.post(f"/report/track/{track.id}", data={"reason": "x"}).status_code == 404
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["track.hide", "report.hide"]


def test_reports_over_the_api_and_dismissal(client, app_ctx):
    release = make_release(title="Reported Release")
    make_streamable_track(release=release)
    reporters = [make_user(), make_user()]
    ids = []
    for reporter in reporters:
        r = client.post(
            f"/api/v1/releases/{release.id}/reports",
            json={"reason": "Not their music"},
            headers=bearer(token_for(reporter)),
        )
        assert r.status_code == 201, r.text
        ids.append(r.json["report"]["id"])
    assert client.post(f"/api/v1/releases/{release.id}/reports", json={"reason": "x"}).status_code == 401
    r = client.post("/api/v1/tracks/999999/reports", json={"reason": "x"}, headers=bearer(token_for(reporters[0])))
    assert r.status_code == 404

    admin = make_admin()
    h = admin_headers(admin)
    queue = client.get("/api/v1/admin/reports", headers=h).json["reports"]
    assert sorted(q["id"] for q in queue) == sorted(ids)
    assert queue[0]["item"] == {
        "type": "release",
        "id": release.id,
        "title": "Reported Release",
        "hidden": False,
        "hidden_at": None,
        "hidden_reason": None,
        "takedown": False,
    }
    r = client.post(
        f"/api/v1/admin/reports/{ids[0]}/resolve", json={"action": "dismiss", "note": "It is theirs"}, headers=h
    )
    assert r.status_code == 200 and r.json["report"]["status"] == "dismissed"
    assert refresh(release).hidden_at is None
    r = client.post(f"/api/v1/admin/reports/{ids[0]}/resolve", json={"action": "hide", "note": "x"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "already_resolved"
    r = client.post(f"/api/v1/admin/reports/{ids[1]}/resolve", json={"action": "ban", "note": "x"}, headers=h)
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/admin/reports/{ids[1]}/resolve",
        json={"action": "hide", "note": "DMCA notice", "takedown": True},
        headers=h,
    )
    assert r.status_code == 200 and r.json["report"]["item"]["takedown"] is True
    assert client.get("/api/v1/admin/reports", headers=h).json["reports"] == []
    assert len(client.get("/api/v1/admin/reports?status=all", headers=h).json["reports"]) == 2
    assert client.get("/api/v1/admin/reports?status=nope", headers=h).status_code == 422
    assert client.get("/api/v1/admin/reports", headers=bearer(token_for(reporters[0]))).status_code == 403


def test_the_report_form_speaks_french_to_a_french_browser(client, app_ctx):
    """The form, its refusal (a literal message the catalog translates) and the thanks."""
    from app.admin.services import moderation

    assert all(str(moderation.NOTE_MAX) in message for message in moderation._TEXT_REQUIRED.values())
    track = make_streamable_track(title="Chanson")
    login(client, make_user())
    french = {"Accept-Language": "fr"}
    page = client.get(f"/report/track/{track.id}", headers=french).text
    assert "Signaler « Chanson »" in page and "ce morceau" in page and "Envoyer le signalement" in page
    r = client.post(f"/report/track/{track.id}", data={"reason": ""}, headers=french)
    assert r.status_code == 422 and "Donnez un motif (1 à 2000 caractères)." in r.text
    r = client.post(f"/report/track/{track.id}", data={"reason": "Plagiat"}, headers=french)
    assert (
        "Merci : votre signalement est dans la file des administrateurs." in client.get(r.location, headers=french).text
    )
