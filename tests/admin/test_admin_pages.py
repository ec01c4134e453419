"""Every admin page: admins with a second factor only; the user search and file; the forms."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from tests.admin.admin_helpers import admin_headers, login_admin, make_admin, refresh
from tests.factories import login, make_user

PAGES = ("/admin", "/admin/users", "/admin/catalogue", "/admin/orders", "/admin/audit", "/admin/audit.csv")


@pytest.mark.parametrize("path", PAGES)
def test_admin_pages_need_an_admin_with_two_factor(client, app, app_ctx, path):
    assert client.get(path).status_code == 302  # to the login
    login(client, make_user())
    assert client.get(path).status_code == 403
    browser = app.test_client()
    login(browser, make_user(role=Role.ADMIN))
    r = browser.get(path)
    assert r.status_code == 403 and "two-factor" in r.text
    admin_browser = app.test_client()
    login_admin(admin_browser)
    assert admin_browser.get(path).status_code == 200


def test_search_view_and_act_on_a_user(client, app_ctx):
    target = make_user(email="findme@example.test", display_name="Findable Person")
    make_user(email="other@example.test")
    admin = login_admin(client)
    page = client.get("/admin/users?q=FINDABLE").text
    assert "findme@example.test" in page and "other@example.test" not in page
    assert "findme@example.test" in client.get("/admin/users?q=findme&role=listener").text
    assert "findme@example.test" not in client.get("/admin/users?q=findme&role=artist").text
    assert client.get("/admin/users?role=king").status_code == 200  # refused politely

    file = client.get(f"/admin/users/{target.id}").text
    assert "Findable Person" in file and "0.2" in file  # the starter credits
    client.post(f"/admin/users/{target.id}/role", data={"role": "artist", "reason": "new label"})
    assert refresh(target).role is Role.ARTIST
    client.post(f"/admin/users/{target.id}/suspend", data={"reason": "Spam uploads"})
    assert refresh(target).suspension_reason == "Spam uploads"
    assert "suspended since" in client.get(f"/admin/users/{target.id}").text
    client.post(f"/admin/users/{target.id}/unsuspend", data={"reason": ""})
    assert refresh(target).suspended_at is None
    r = client.post(f"/admin/users/{admin.id}/suspend", data={"reason": "me"})
    assert r.status_code == 302 and refresh(admin).suspended_at is None
    assert client.get("/admin/users/999999").status_code == 404


def test_the_user_api_searches_and_shows_the_file(client, app_ctx):
    target = make_user(email="api-find@example.test")
    h = admin_headers()
    found = client.get("/api/v1/admin/users?q=api-find", headers=h).json["users"]
    assert [u["id"] for u in found] == [target.id]
    assert client.get("/api/v1/admin/users?suspended=maybe", headers=h).status_code == 422
    assert client.get("/api/v1/admin/users?suspended=true", headers=h).json["users"] == []
    file = client.get(f"/api/v1/admin/users/{target.id}", headers=h).json
    assert file["balance"]["credits"] == "0.2" and file["plays"] == [] and file["orders"] == []
    assert file["user"]["suspended"] is False and file["sessions"] == []
    assert client.get("/api/v1/admin/orders?status=weird", headers=h).status_code == 422


def test_the_admin_link_shows_for_admins_only(client, app_ctx):
    admin = make_admin()
    login(client, admin)
    assert 'href="/admin"' in client.get("/").text
    other = client.application.test_client()
    login(other, make_user())
    assert 'href="/admin"' not in other.get("/").text


FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def test_a_french_browser_gets_the_admin_pages_in_french(client, app, app_ctx):
    target = make_user(email="francais@example.test")
    login_admin(client)
    home = client.get("/admin", headers=FRENCH).text
    assert "Signalements ouverts" in home and "Journal d’audit" in home and "Open reports" not in home
    r = client.post(f"/admin/users/{target.id}/suspend", data={"reason": "Spam"}, headers=FRENCH)
    page = client.get(r.location, headers=FRENCH).text
    assert "francais@example.test est suspendu et a été déconnecté de 0 session." in page  # the flash
    assert "suspendu depuis le" in page and "Lever la suspension" in page and "Portefeuille" in page
    audit_page = client.get("/admin/audit", headers=FRENCH).text
    assert "compte suspendu</td>" in audit_page and f"utilisateur n° {target.id}" in audit_page
    # An admin without a second factor is told, in French, where to turn it on.
    other = app.test_client()
    login(other, make_user(role=Role.ADMIN))
    refused = other.get("/admin", headers=FRENCH)
    assert refused.status_code == 403 and "Activez la double authentification" in refused.text
    assert "Activer la double authentification" in refused.text
