"""Server-side sessions and the remember-me token: what a copied cookie can and cannot do."""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.accounts.models import AccountSession
from app.accounts.session_interface import REMEMBER_COOKIE
from app.accounts.sessions import digest
from app.core.extensions import db
from tests.factories import PASSWORD, make_user


def login(client, user, remember=False):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "1"
    r = client.post("/login", data=data)
    assert r.status_code == 302, r.data
    return r


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found else None


def set_cookies(r) -> dict[str, str]:
    return {line.split("=", 1)[0]: line for line in r.headers.getlist("Set-Cookie")}


def api_login(client, user, **extra) -> dict:
    """Log in over the API; returns the headers a browser sends with its writes (CSRF)."""
    r = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD, **extra})
    assert r.status_code == 200, r.json
    return {"X-CSRFToken": r.json["csrf_token"]}


def logged_in(client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def test_the_cookie_holds_a_random_id_and_the_table_only_its_hash(client, app_ctx):
    user = make_user()
    login(client, user)
    sid = cookie(client, "session")
    assert len(sid) >= 40 and "." not in sid  # not a signed payload: nothing to decode
    row = db.session.scalar(select(AccountSession).where(AccountSession.user_id == user.id))
    assert row.id_hash == digest(sid) and sid not in row.data
    assert logged_in(client)


def test_a_replayed_session_cookie_is_a_visitor_after_logout(client, app, app_ctx):
    user = make_user()
    login(client, user)
    stolen = cookie(client, "session")
    client.post("/logout")
    assert not logged_in(client)

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/api/v1/me").status_code == 401
    assert thief.get("/account").status_code == 302


def test_a_replayed_remember_me_cookie_is_refused_after_logout(client, app, app_ctx):
    user = make_user()
    login(client, user, remember=True)
    stolen = cookie(client, REMEMBER_COOKIE)
    assert stolen
    client.post("/logout")
    assert cookie(client, REMEMBER_COOKIE) is None  # the browser is told to forget it

    thief = app.test_client()
    thief.set_cookie(REMEMBER_COOKIE, stolen)
    assert thief.get("/api/v1/me").status_code == 401
    assert db.session.scalar(select(func.count(AccountSession.id)).where(AccountSession.user_id == user.id)) == 0


def test_login_replaces_the_visitors_session_id(client, app_ctx):
    client.get("/login")  # a visitor's session (the CSRF token of the form)
    before = cookie(client, "session")
    assert before
    login(client, make_user())
    assert cookie(client, "session") != before
    assert db.session.scalar(select(AccountSession).where(AccountSession.id_hash == digest(before))) is None


def test_remember_me_restores_the_login_and_rotates_its_token(client, app, app_ctx):
    user = make_user()
    login(client, user, remember=True)
    first = cookie(client, REMEMBER_COOKIE)
    client.delete_cookie("session")  # the browser was closed
    r = client.get("/api/v1/me")
    assert r.status_code == 200 and r.json["user"]["id"] == user.id
    second = cookie(client, REMEMBER_COOKIE)
    assert second and second != first and second.split(".")[0] == first.split(".")[0]
    row = db.session.scalar(select(AccountSession).where(AccountSession.user_id == user.id))
    assert row.remember_hash == digest(second.split(".")[1])  # only hashes are stored
    assert second.split(".")[1] not in (row.remember_hash, row.remember_previous_hash)


def test_a_used_remember_token_replayed_after_the_grace_logs_the_device_out(client, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "REMEMBER_GRACE_SECONDS", 0)
    user = make_user()
    login(client, user, remember=True)
    copied = cookie(client, REMEMBER_COOKIE)
    client.delete_cookie("session")
    assert logged_in(client)  # the owner's browser uses it (and gets a new one)

    thief = app.test_client()
    thief.set_cookie(REMEMBER_COOKIE, copied)
    assert thief.get("/api/v1/me").status_code == 401
    # Someone used a spent token: the device is logged out, for the owner too.
    assert not logged_in(client)


def test_remember_me_expires(client, app_ctx):
    user = make_user()
    login(client, user, remember=True)
    row = db.session.scalar(select(AccountSession).where(AccountSession.user_id == user.id))
    row.remember_expires_at = row.remember_expires_at - timedelta(days=31)
    db.session.commit()
    client.delete_cookie("session")
    assert not logged_in(client)


def test_an_idle_session_ends(client, app_ctx):
    user = make_user()
    login(client, user)
    row = db.session.scalar(select(AccountSession).where(AccountSession.user_id == user.id))
    row.last_seen_at = row.last_seen_at - timedelta(hours=13)
    db.session.commit()
    assert not logged_in(client)


@pytest.mark.parametrize("secure", [False, True])
def test_the_remember_cookie_has_the_session_cookies_flags(database_url, tmp_path, app_ctx, secure):
    from tests.conftest import make_test_app

    app = make_test_app(database_url, tmp_path, SESSION_COOKIE_SECURE=secure)
    client = app.test_client()
    user = make_user()
    r = login(client, user, remember=True)
    cookies = set_cookies(r)
    for name in ("session", REMEMBER_COOKIE):
        flags = cookies[name].lower()
        assert "httponly" in flags and "samesite=lax" in flags and ("secure" in flags) == secure, flags
    assert "max-age=2592000" in cookies[REMEMBER_COOKIE].lower()  # 30 days
    assert "max-age" not in cookies["session"].lower()  # the session cookie ends with the browser


def test_flask_logins_old_remember_cookie_is_not_accepted(client, app, app_ctx):
    from flask_login.utils import encode_cookie

    user = make_user()
    with app.test_request_context():
        legacy = encode_cookie(str(user.id))  # `<user id>|HMAC`: what was issued before
    client.set_cookie("remember_token", legacy)
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert "remember_token=;" in set_cookies(r)["remember_token"]  # and the browser is told to drop it


def test_a_logged_in_request_costs_one_read_and_no_write(client, app, app_ctx):
    user = make_user()
    login(client, user)
    client.get("/api/v1/me")
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/api/v1/me").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    reads = [s for s in statements if "account_sessions" in s or " FROM users" in s]
    assert len(reads) == 1 and "JOIN users" in reads[0], statements  # session and user in one query
    writes = [s for s in statements if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == [], statements  # last_seen_at is not written on every request


def test_last_seen_moves_at_most_every_touch_interval(client, app, app_ctx, monkeypatch):
    user = make_user()
    login(client, user)

    def last_seen():
        return db.session.scalar(select(AccountSession.last_seen_at).where(AccountSession.user_id == user.id))

    seen = last_seen()
    client.get("/api/v1/me")
    assert last_seen() == seen
    monkeypatch.setitem(app.config, "SESSION_TOUCH_SECONDS", 0)
    client.get("/api/v1/me")
    assert last_seen() > seen


def test_static_files_never_read_create_or_drop_sessions(client, app_ctx):
    r = client.get("/static/style.css")
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    assert db.session.scalar(select(func.count(AccountSession.id))) == 0
    login(client, make_user())
    r = client.get("/static/style.css")
    assert "Set-Cookie" not in r.headers  # the session cookie is left alone
    assert logged_in(client)


def test_the_account_page_lists_devices_and_logs_one_out(client, app, app_ctx):
    user = make_user()
    phone = app.test_client()
    phone.post("/login", data={"email": user.email, "password": PASSWORD}, headers={"User-Agent": "Phone Browser/1.0"})
    login(client, user)
    page = client.get("/account", headers={"User-Agent": "Desk Browser/2.0"}).data.decode()
    assert "Phone Browser/1.0" in page and "(this device)" in page
    phone_row = db.session.scalar(select(AccountSession).where(AccountSession.user_agent == "Phone Browser/1.0"))
    r = client.post("/account", data={"action": "end_session", "session_id": phone_row.id})
    assert r.status_code == 200
    assert not logged_in(phone) and logged_in(client)


def test_log_out_everywhere(client, app, app_ctx):
    user = make_user()
    other = app.test_client()
    login(other, user, remember=True)
    login(client, user)
    r = client.post("/account", data={"action": "end_all_sessions"})
    assert r.status_code == 302
    assert not logged_in(client)
    other.delete_cookie("session")
    assert not logged_in(other)  # its remember-me token ended too


def test_someone_elses_session_cannot_be_ended(client, app, app_ctx):
    owner, stranger = make_user(), make_user()
    login(app.test_client(), owner)
    row = db.session.scalar(select(AccountSession).where(AccountSession.user_id == owner.id))
    headers = api_login(client, stranger)
    assert client.delete(f"/api/v1/me/sessions/{row.id}", headers=headers).status_code == 404
    assert db.session.get(AccountSession, row.id) is not None


def test_sessions_over_the_api(client, app, app_ctx):
    user = make_user()
    headers = api_login(client, user, remember=True)
    listed = client.get("/api/v1/me/sessions").json["sessions"]
    assert len(listed) == 1 and listed[0]["current"] and listed[0]["remembered_until"]
    assert "id_hash" not in listed[0]
    other = app.test_client()
    api_login(other, user)
    other_id = next(s["id"] for s in client.get("/api/v1/me/sessions").json["sessions"] if not s["current"])
    assert client.delete(f"/api/v1/me/sessions/{other_id}").status_code == 403  # no CSRF header
    assert client.delete(f"/api/v1/me/sessions/{other_id}", headers=headers).status_code == 204
    assert not logged_in(other)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert not logged_in(client)


def test_api_logout_everywhere(client, app, app_ctx):
    user = make_user()
    other = app.test_client()
    api_login(other, user)
    headers = api_login(client, user)
    assert client.delete("/api/v1/me/sessions", headers=headers).status_code == 204
    assert not logged_in(client) and not logged_in(other)


def test_api_login_refuses_a_wrong_password(client, app_ctx):
    user = make_user()
    r = client.post("/api/v1/auth/login", json={"email": user.email, "password": "not it at all"})
    assert r.status_code == 401 and r.json["error"]["code"] == "bad_credentials"
    assert db.session.scalar(select(func.count(AccountSession.id)).where(AccountSession.user_id == user.id)) == 0


def test_expired_rows_are_purged(client, app_ctx):
    from app.accounts import sessions

    user = make_user()
    login(client, user)
    login(client.application.test_client(), user, remember=True)
    for row in db.session.scalars(select(AccountSession)):
        row.last_seen_at = row.last_seen_at - timedelta(days=2)
    db.session.commit()
    assert sessions.purge_expired() == 1  # the remembered one stays
    assert db.session.scalar(select(func.count(AccountSession.id))) == 1
