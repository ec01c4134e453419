import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.extensions import db
from tests.factories import PASSWORD, make_artist, make_release, make_track, make_user


def test_register_verify_login_logout(client, app_ctx):
    r = client.post(
        "/register",
        data={"email": "web@example.test", "password": PASSWORD, "display_name": "Web", "country": "it"},
    )
    assert r.status_code == 200 and b"Check your mail" in r.data
    assert client.get("/account").status_code == 302  # registering does not log in
    link = re.search(r"http://\S+/verify-email/\S+", last_mail_to("web@example.test").body).group(0)
    r = client.get(link.split("127.0.0.1:8000", 1)[1])
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    r = client.post("/login?next=/artists", data={"email": "web@example.test", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/artists"
    assert client.get("/account").status_code == 200
    client.post("/logout")
    assert client.get("/account").status_code == 302


def last_mail_to(address):
    from app.core.models import OutboxMessage

    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id.desc())
    ).first()


def test_login_ignores_offsite_next(client, app_ctx):
    make_user(email="n@example.test")
    r = client.post("/login?next=//evil.example/x", data={"email": "n@example.test", "password": PASSWORD})
    assert r.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/\\evil.example/x", "/\t/evil.example/x", "/\\/evil.example"])
def test_login_ignores_next_that_browsers_read_as_offsite(client, app_ctx, target):
    # Browsers read a backslash as a slash and drop tabs and newlines from URLs, so
    # "/\\evil.example" and "/<TAB>/evil.example" both take them to //evil.example.
    make_user(email="b@example.test")
    r = client.post("/login", query_string={"next": target}, data={"email": "b@example.test", "password": PASSWORD})
    assert r.headers["Location"] == "/"


def test_register_errors_show_on_the_page(client, app_ctx):
    r = client.post("/register", data={"email": "bad", "password": PASSWORD, "display_name": "X"})
    assert r.status_code == 422
    assert b"valid email address" in r.data
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_pages_render(client, app_ctx):
    release = make_release(title="Paper Moons")
    track = make_track(release=release, title="Crescent")
    for path in ("/", "/artists", f"/artists/{release.artist_id}", f"/releases/{release.id}", "/search?q=cresc"):
        r = client.get(path)
        assert r.status_code == 200, path
    assert b"Crescent" in client.get("/search?q=cresc").data
    assert track.title.encode() in client.get(f"/releases/{release.id}").data


def test_artist_page_leads_its_managers_to_their_money(client, app_ctx):
    manager, listener = make_user(), make_user()
    artist = make_artist(manager=manager)
    money = f'href="/artists/{artist.id}/money"'
    assert money not in client.get(f"/artists/{artist.id}").text  # visitors
    client.post("/login", data={"email": listener.email, "password": PASSWORD})
    assert money not in client.get(f"/artists/{artist.id}").text
    client.post("/logout")
    client.post("/login", data={"email": manager.email, "password": PASSWORD})
    assert money in client.get(f"/artists/{artist.id}").text


@pytest.fixture
def csrf_client(database_url, tmp_path):
    from tests.conftest import make_test_app

    return make_test_app(database_url, tmp_path, WTF_CSRF_ENABLED=True).test_client()


def _csrf_token(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def test_forms_require_csrf(csrf_client, app_ctx):
    r = csrf_client.post("/register", data={"email": "c@example.test", "password": PASSWORD, "display_name": "C"})
    assert r.status_code == 403  # csrf_failed, the same status as the API's
    assert db.session.scalar(select(func.count(User.id))) == 0
    token = _csrf_token(csrf_client.get("/register").data)
    r = csrf_client.post(
        "/register",
        data={"email": "c@example.test", "password": PASSWORD, "display_name": "C", "csrf_token": token},
    )
    assert r.status_code == 200


def test_cookie_session_api_writes_require_csrf_header(csrf_client, app_ctx):
    make_user(email="k@example.test")
    token = _csrf_token(csrf_client.get("/login").data)
    csrf_client.post("/login", data={"email": "k@example.test", "password": PASSWORD, "csrf_token": token})
    r = csrf_client.patch("/api/v1/me", json={"display_name": "K"}, headers={"X-CSRFToken": token})
    assert r.status_code == 403, "the login gave the session a new CSRF token"
    token = _csrf_token(csrf_client.get("/account").data)
    r = csrf_client.patch("/api/v1/me", json={"display_name": "K"})
    assert r.status_code == 403 and r.json["error"]["code"] == "csrf_failed"
    r = csrf_client.patch("/api/v1/me", json={"display_name": "K"}, headers={"X-CSRFToken": token})
    assert r.status_code == 200


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
@pytest.mark.parametrize("page", ["/wallet?before={}", "/history?page={}"])
def test_paging_numbers_too_large_for_the_database_still_render(client, app_ctx, page, huge):
    user = make_user()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get(page.format(huge)).status_code == 200


@pytest.mark.parametrize("token_id", ["abc", str(2**70), "-1"])
def test_revoking_a_token_with_a_bad_id_is_not_found(client, app_ctx, token_id):
    user = make_user()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.post("/account", data={"action": "revoke_token", "token_id": token_id}).status_code == 404
