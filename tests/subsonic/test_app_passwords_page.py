"""The app passwords page: create (shown once), use, revoke; never the site's own password."""

from __future__ import annotations

import re

from tests.factories import login, make_user
from tests.subsonic.subsonic_helpers import error, ok, token_auth


def test_app_passwords_page(client, app_ctx):
    r = client.get("/account/app-passwords")
    assert r.status_code == 302 and "/login" in r.location
    user = make_user()
    login(client, user)
    html = client.get("/account/app-passwords").get_data(as_text=True)
    assert "No app passwords." in html and user.email in html
    r = client.post("/account/app-passwords", data={"action": "create", "name": "Symfonium"})
    html = r.get_data(as_text=True)
    password = re.search(r'<code id="new-app-password">([^<]+)</code>', html).group(1)
    assert re.fullmatch(r"[a-z2-9]{5}(-[a-z2-9]{5}){3}", password)
    assert ok(client, "ping", **token_auth(user, password))
    # shown once: the list names the app, never the password again
    html = client.get("/account/app-passwords").get_data(as_text=True)
    assert "Symfonium" in html and password not in html and "last used" in html
    # the app password does not log in to the site
    r = client.post("/logout")
    r = client.post("/login", data={"email": user.email, "password": password})
    assert r.status_code != 302
    login(client, user)
    password_id = re.search(r'name="password_id" value="(\d+)"', client.get("/account/app-passwords").text).group(1)
    r = client.post("/account/app-passwords", data={"action": "revoke", "password_id": password_id})
    assert r.status_code == 302
    assert error(client, "ping", **token_auth(user, password))["code"] == 40
    r = client.post("/account/app-passwords", data={"action": "create", "name": ""})
    assert r.status_code == 422 and "Name the app" in r.get_data(as_text=True)


def test_account_page_links_to_app_passwords(client, app_ctx):
    user = make_user()
    login(client, user)
    assert "/account/app-passwords" in client.get("/account").get_data(as_text=True)


def test_a_french_browser_gets_the_page_in_french(client, app_ctx):
    login(client, make_user())
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}
    html = client.get("/account/app-passwords", headers=french).get_data(as_text=True)
    assert "Applications musicales" in html and "Aucun mot de passe d’application." in html
    assert "No app passwords." not in html
    client.post("/account/app-passwords", data={"action": "create", "name": "DSub"}, headers=french)
    html = client.get("/account/app-passwords", headers=french).get_data(as_text=True)
    assert "créé le" in html and "Révoquer" in html
    r = client.post("/account/app-passwords", data={"action": "create", "name": ""}, headers=french)
    assert r.status_code == 422 and "Nommez l’application" in r.get_data(as_text=True)
