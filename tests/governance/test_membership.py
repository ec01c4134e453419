"""Membership history: granted, ended, "is member at t", one member however many shares."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.errors import Conflict, ValidationFailed
from app.core.extensions import db
from app.governance.models import Membership, MembershipSource
from app.governance.services import membership
from tests.factories import bearer, make_member, make_user, token_for

T = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)


def test_member_between_start_and_end(app_ctx):
    user = make_user()
    m = membership.grant_membership(user, "worker", MembershipSource.ADMIN_RECORD, "cert-1", at=T)
    membership.end_membership(m, at=T + timedelta(days=10), reason="sold back")
    assert not membership.is_member(user, T - timedelta(seconds=1))
    assert membership.is_member(user, T)
    assert membership.is_member(user, T + timedelta(days=10) - timedelta(microseconds=1))
    assert not membership.is_member(user, T + timedelta(days=10))
    assert not membership.is_member(user)  # now
    assert [r.end_reason for r in membership.memberships_of(user)] == ["sold back"]


def test_several_shares_are_one_member(app_ctx):
    user = make_member(member_class="listener", at=T)
    make_member(user, member_class="artist", at=T)
    make_member(user, member_class="worker", at=T)
    other = make_member(at=T)
    assert membership.count_members(T + timedelta(hours=1)) == 2
    assert [uid for uid, _ in membership.member_emails(T + timedelta(hours=1))] == sorted([user.id, other.id])


def test_grant_is_idempotent_per_reference(app_ctx):
    user = make_user()
    first = membership.grant_membership(user, "listener", MembershipSource.SHARE_PURCHASE, "pay_123")
    again = membership.grant_membership(user, "listener", MembershipSource.SHARE_PURCHASE, "pay_123")
    assert again.id == first.id
    with pytest.raises(Conflict):
        membership.grant_membership(make_user(), "listener", MembershipSource.SHARE_PURCHASE, "pay_123")
    assert membership.find_membership(MembershipSource.SHARE_PURCHASE, "pay_123").id == first.id


def test_bad_class_and_double_end(app_ctx):
    user = make_user()
    with pytest.raises(ValidationFailed):
        membership.grant_membership(user, "investor", MembershipSource.ADMIN_RECORD)
    m = membership.grant_membership(user, "listener", MembershipSource.ADMIN_RECORD, at=T)
    with pytest.raises(ValidationFailed):
        membership.end_membership(m, at=T - timedelta(days=1))
    membership.end_membership(m, at=T + timedelta(days=1))
    with pytest.raises(Conflict):
        membership.end_membership(m)


def test_admin_records_and_ends_membership_over_the_api(client, app_ctx):
    admin = make_user(role=Role.ADMIN)
    ada = make_user(email="ada@example.test")
    headers = bearer(token_for(admin))
    r = client.post(
        "/api/v1/governance/memberships",
        headers=headers,
        json={"email": "ADA@example.test", "member_class": "artist", "reference": "cert-7"},
    )
    assert r.status_code == 201, r.json
    assert r.json["membership"]["source"] == "admin_record"
    mid = r.json["membership"]["id"]
    assert membership.is_member(ada)

    r = client.get("/api/v1/governance/me", headers=bearer(token_for(ada)))
    assert r.json["member"] is True and len(r.json["memberships"]) == 1

    r = client.post(f"/api/v1/governance/memberships/{mid}/end", headers=headers, json={"reason": "moved away"})
    assert r.status_code == 200 and r.json["membership"]["ended_at"]
    assert not membership.is_member(ada)
    r = client.post(f"/api/v1/governance/memberships/{mid}/end", headers=headers, json={})
    assert r.status_code == 409


def test_only_admins_record_memberships(client, app_ctx):
    user = make_user()
    r = client.post(
        "/api/v1/governance/memberships",
        headers=bearer(token_for(user)),
        json={"email": user.email, "member_class": "listener"},
    )
    assert r.status_code == 403
    r = client.post("/api/v1/governance/memberships", json={"email": user.email, "member_class": "listener"})
    assert r.status_code == 401
    assert db.session.scalar(select(func.count(Membership.id))) == 0


def test_record_membership_bad_input_writes_nothing(client, app_ctx):
    admin = make_user(role=Role.ADMIN)
    headers = bearer(token_for(admin))
    r = client.post(
        "/api/v1/governance/memberships",
        headers=headers,
        json={"email": "nobody@example.test", "member_class": "listener"},
    )
    assert r.status_code == 422 and r.json["error"]["field"] == "email"
    r = client.post(
        "/api/v1/governance/memberships", headers=headers, json={"email": admin.email, "member_class": "shareholder"}
    )
    assert r.status_code == 422 and r.json["error"]["field"] == "member_class"
    assert db.session.scalar(select(func.count(Membership.id))) == 0
