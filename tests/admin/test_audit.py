"""The audit log: written with every admin action, append-only in the database itself,
filtered on the page and the API, exported as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.admin.models import AUDIT_GUARDS, AuditEntry
from app.admin.services import audit
from app.core.extensions import db
from tests.admin.admin_helpers import admin_headers, login_admin, make_admin
from tests.factories import bearer, make_user, token_for
from tests.resources import migration_module


def test_the_database_refuses_to_change_or_delete_an_entry(app_ctx):
    admin = make_admin()
    entry = audit.record(admin, "user.suspend", "user", admin.id, reason="original")
    db.session.commit()
    for statement in (
        f"UPDATE admin_audit_log SET reason = 'rewritten' WHERE id = {entry.id}",
        f"DELETE FROM admin_audit_log WHERE id = {entry.id}",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement))
    db.session.expire_all()
    assert db.session.get(AuditEntry, entry.id).reason == "original"


def test_the_migration_installs_the_models_guards():
    assert migration_module("0021_admin.py").AUDIT_GUARDS == AUDIT_GUARDS


def test_role_changes_are_logged_and_the_log_is_filtered_and_exported(client, app, app_ctx):
    admin = make_admin()
    h = admin_headers(admin)
    users = [make_user(email=f"member{i}@example.test") for i in range(2)]
    r = client.post(f"/api/v1/admin/users/{users[0].id}/role", json={"role": "artist", "reason": "=1+2"}, headers=h)
    assert r.status_code == 200 and r.json["user"]["role"] == "artist"
    assert client.post(f"/api/v1/admin/users/{users[0].id}/role", json={"role": "artist"}, headers=h).status_code == 409
    assert client.post(f"/api/v1/admin/users/{users[0].id}/role", json={"role": "king"}, headers=h).status_code == 422
    assert client.post(f"/api/v1/admin/users/{admin.id}/role", json={"role": "listener"}, headers=h).status_code == 409
    client.post(f"/api/v1/admin/users/{users[1].id}/suspend", json={"reason": "spam"}, headers=h)

    entries = client.get("/api/v1/admin/audit", headers=h).json["entries"]
    assert [e["action"] for e in entries] == ["user.suspend", "user.role"]
    assert entries[1]["details"] == {"old": "listener", "new": "artist"} and entries[1]["actor_id"] == admin.id
    only = client.get(f"/api/v1/admin/audit?action=user.role&target_id={users[0].id}", headers=h).json["entries"]
    assert [e["target_id"] for e in only] == [users[0].id]
    assert client.get("/api/v1/admin/audit?action=user.delete", headers=h).status_code == 422
    assert client.get("/api/v1/admin/audit?since=yesterday", headers=h).status_code == 422
    assert client.get("/api/v1/admin/audit?until=2000-01-01", headers=h).json["entries"] == []
    assert len(client.get("/api/v1/admin/audit?since=0001-01-01&until=9999-12-31", headers=h).json["entries"]) == 2
    assert client.get("/api/v1/admin/audit", headers=bearer(token_for(users[0]))).status_code == 403

    login_admin(client, admin)
    page = client.get("/admin/audit?action=user.role").text
    assert "role changed</td>" in page and "account suspended</td>" not in page  # actions by name
    r = client.get("/admin/audit.csv?action=user.role")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == list(audit.CSV_HEADER)
    assert len(rows) == 2 and rows[1][4] == "user.role" and rows[1][3] == admin.email
    assert rows[1][7] == "'=1+2"  # a formula is neutralised


def test_payout_runs_started_by_an_admin_are_logged(client, app_ctx):
    from app.payments.services import payouts

    admin = login_admin(client)
    period = payouts.last_month()
    r = client.post("/admin/payouts/runs", data={"period": period})
    assert r.status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payout_run.start"))
    assert entry.actor_id == admin.id and period in entry.details
