"""Suspended accounts: logged out everywhere, tokens refused, no play, upload, purchase or vote
through any door (web or API), told why at login; data and money kept; all in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.callers import Caller
from app.accounts.models import AccountSession, Role
from app.accounts.suspension import AccountSuspended
from app.admin.models import AuditEntry
from app.core.extensions import db
from app.governance.services import voting
from app.payments.services import checkout, wallet
from app.streaming import services as streaming
from app.uploads.services import uploads
from tests.admin.admin_helpers import admin_headers, make_admin, refresh
from tests.factories import (
    PASSWORD,
    bearer,
    login,
    make_artist,
    make_member,
    make_proposal,
    make_release,
    make_user,
    token_for,
)
from tests.streaming.streaming_helpers import make_streamable_track


def _suspend(client, admin, user, reason="Chargeback fraud"):
    r = client.post(f"/api/v1/admin/users/{user.id}/suspend", json={"reason": reason}, headers=admin_headers(admin))
    assert r.status_code == 200, r.text
    return r.json


def test_suspending_logs_out_everywhere_refuses_tokens_and_keeps_the_money(client, app, app_ctx):
    admin = make_admin()
    user = make_user()
    token = token_for(user)
    balance = wallet.balance(user)
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        login(browser, user)
        assert browser.get("/account").status_code == 200
    assert db.session.scalar(select(func.count()).where(AccountSession.user_id == user.id)) == 2

    answer = _suspend(client, admin, user)
    assert answer["sessions_ended"] == 2 and answer["user"]["suspended"] is True

    assert db.session.scalar(select(func.count()).where(AccountSession.user_id == user.id)) == 0
    for browser in browsers:
        r = browser.get("/account")
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = client.get("/api/v1/me/wallet", headers=bearer(token))
    assert r.status_code == 403 and r.json["error"]["code"] == "account_suspended"
    assert "Chargeback fraud" in r.json["error"]["message"]
    # Logging in again is refused, with the reason; a wrong password learns nothing.
    r = app.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 403 and "suspended" in r.text and "Chargeback fraud" in r.text
    r = app.test_client().post("/login", data={"email": user.email, "password": "wrong password!"})
    assert r.status_code == 401 and "Chargeback" not in r.text
    # Data and money stay.
    assert wallet.balance(user) == balance
    assert refresh(user).email == user.email

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.suspend"))
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.reason) == (
        admin.id,
        "user",
        user.id,
        "Chargeback fraud",
    )

    r = client.post(
        f"/api/v1/admin/users/{user.id}/unsuspend", json={"reason": "cleared"}, headers=admin_headers(admin)
    )
    assert r.status_code == 200 and r.json["user"]["suspended"] is False
    assert client.get("/api/v1/me/wallet", headers=bearer(token)).status_code == 200
    assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "user.unsuspend"


def test_a_suspended_account_cannot_play_upload_buy_or_vote_through_the_api(client, app_ctx):
    admin = make_admin()
    artist_user = make_user(role=Role.ARTIST)
    release = make_release(artist=make_artist(manager=artist_user))
    track = make_streamable_track()
    member = make_member()
    proposal = make_proposal(open_at=None)
    tokens = {u.id: token_for(u) for u in (artist_user, member)}
    _suspend(client, admin, artist_user)
    _suspend(client, admin, member)

    def refused(r):
        assert r.status_code == 403, r.text
        assert r.json["error"]["code"] == "account_suspended"

    h = bearer(tokens[artist_user.id])
    refused(client.post(f"/api/v1/tracks/{track.id}/plays", headers=h))
    refused(client.post(f"/api/v1/releases/{release.id}/tracks", headers=h, data={}))
    refused(client.post(f"/api/v1/me/tracks/{track.id}/buy", json={"idempotency_key": "k1"}, headers=h))
    refused(
        client.post(
            f"/api/v1/governance/proposals/{proposal.id}/votes",
            json={"choice": "yes"},
            headers=bearer(tokens[member.id]),
        )
    )


def test_the_pages_send_a_suspended_browser_to_the_login(client, app_ctx):
    admin = make_admin()
    user = make_member()
    proposal = make_proposal()
    login(client, user)
    _suspend(client.application.test_client(), admin, user)
    for path, data in (
        ("/credits", {"pack": "10"}),
        ("/membership", {"member_class": "listener"}),
        (f"/governance/proposals/{proposal.id}/vote", {"choice": "yes"}),
    ):
        r = client.post(path, data=data)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_every_entry_point_asks_the_one_check(app_ctx):
    """Should a session ever outlive the suspension (or a new door skip the loaders), each
    service refuses on its own: the same ``require_not_suspended``."""
    user = make_member()
    artist_user = make_user(role=Role.ARTIST)
    release = make_release(artist=make_artist(manager=artist_user))
    track = make_streamable_track()
    proposal = make_proposal()
    for u in (user, artist_user):
        u.suspended_at = db.func.now()
        u.suspension_reason = "testing"
    db.session.commit()
    calls = [
        lambda: streaming.start_play(Caller.of(user), track.id),
        lambda: streaming.record_progress(Caller.of(user), "x" * 32, 1000),
        lambda: uploads.add_tracks(release, artist_user, []),
        lambda: wallet.buy_now(user, track.id, "key"),
        lambda: checkout.create_pack_order(user, 10),
        lambda: checkout.create_share_order(user, "listener"),
        lambda: voting.cast_vote(proposal, user, "yes"),
    ]
    for call in calls:
        with pytest.raises(AccountSuspended):
            call()


def test_suspension_needs_a_reason_and_an_admin_with_two_factor(client, app_ctx):
    admin = make_admin()
    user = make_user()
    h = admin_headers(admin)
    r = client.post(f"/api/v1/admin/users/{user.id}/suspend", json={"reason": "  "}, headers=h)
    assert r.status_code == 422 and r.json["error"]["field"] == "reason"
    r = client.post(f"/api/v1/admin/users/{admin.id}/suspend", json={"reason": "oops"}, headers=h)
    assert r.status_code == 409
    r = client.post(f"/api/v1/admin/users/{user.id}/unsuspend", json={}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "not_suspended"
    listener = make_user()
    r = client.post(f"/api/v1/admin/users/{user.id}/suspend", json={"reason": "x"}, headers=bearer(token_for(listener)))
    assert r.status_code == 403
    no_factor = make_user(role=Role.ADMIN)
    r = client.post(
        f"/api/v1/admin/users/{user.id}/suspend", json={"reason": "x"}, headers=bearer(token_for(no_factor))
    )
    assert r.status_code == 403 and r.json["error"]["code"] == "two_factor_required"
    assert refresh(user).suspended_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
