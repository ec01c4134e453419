"""The protocol: envelope in XML, JSON and JSONP, GET and POST, versions, error codes, auth."""

from __future__ import annotations

import json

import pytest

from app.accounts import deletion
from app.accounts.models import User
from app.core.extensions import db
from app.core.ratelimit import limiter
from app.library.models import Playlist
from app.subsonic.models import AppPassword
from tests.factories import PASSWORD, make_track
from tests.subsonic.subsonic_helpers import NS, app_password_for, call, error, listener, ok, token_auth, xml


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


def test_envelope_in_json_xml_and_jsonp(client, app_ctx):
    _, key = listener()
    body = ok(client, "ping", key)
    assert body == {
        "status": "ok",
        "version": "1.16.1",
        "type": "encore",
        "serverVersion": body["serverVersion"],
        "openSubsonic": True,
    }
    root = xml(client, "ping", key)
    assert root.attrib == {
        "status": "ok",
        "version": "1.16.1",
        "type": "encore",
        "serverVersion": body["serverVersion"],
        "openSubsonic": "true",
    }
    r = client.get("/rest/ping", query_string={"apiKey": key, "f": "jsonp", "callback": "cb_1"})
    assert r.mimetype == "application/javascript"
    text = r.get_data(as_text=True)
    assert text.startswith("cb_1(") and text.endswith(");")
    assert json.loads(text[5:-2])["subsonic-response"]["status"] == "ok"
    # Only a plain JavaScript name is echoed: anything else could inject script.
    r = client.get("/rest/ping", query_string={"apiKey": key, "f": "jsonp", "callback": "alert(1);x"})
    assert r.get_data(as_text=True).startswith("callback(")


def test_view_suffix_and_form_post(client, app_ctx):
    _, key = listener()
    assert (
        client.get("/rest/ping.view", query_string={"apiKey": key, "f": "json"}).json["subsonic-response"]["status"]
        == "ok"
    )
    assert call(client, "ping", key, post=True)["status"] == "ok"
    r = client.post("/rest/ping.view", data={"apiKey": key, "f": "json", "v": "1.16.1", "c": "x"})
    assert r.json["subsonic-response"]["status"] == "ok"


def test_extensions_are_public_and_declared(client, app_ctx):
    body = ok(client, "getOpenSubsonicExtensions")
    names = {e["name"]: e["versions"] for e in body["openSubsonicExtensions"]}
    assert names["apiKeyAuthentication"] == [1] and names["formPost"] == [1]
    root = xml(client, "getOpenSubsonicExtensions")
    ext = next(e for e in root if e.attrib.get("name") == "formPost")
    assert [v.text for v in ext.findall(NS + "versions")] == ["1"]


def test_unknown_method_and_versions(client, app_ctx):
    _, key = listener()
    assert error(client, "fooBar", key)["code"] == 70
    assert error(client, "ping", key, v="2.0.0")["code"] == 30
    assert error(client, "ping", key, v="0.9.0")["code"] == 20
    assert ok(client, "ping", key, v="1.2.0")


def test_errors_in_xml(client, app_ctx):
    root = xml(client, "ping", apiKey="enc_nope")
    assert root.attrib["status"] == "failed"
    err = root.find(NS + "error")
    assert err.attrib["code"] == "44" and "not valid" in err.attrib["message"]


# --- authentication ---------------------------------------------------------------------------


def test_missing_credentials_are_error_10(client, app_ctx):
    assert error(client, "ping")["code"] == 10
    user, _ = listener()
    assert error(client, "ping", u=user.email)["code"] == 10
    assert error(client, "ping", u=user.email, t="abc")["code"] == 10


def test_api_key_errors(client, app_ctx):
    user, key = listener()
    assert error(client, "ping", "enc_unknown")["code"] == 44
    assert error(client, "ping", key, u=user.email)["code"] == 43
    assert error(client, "ping", key, p="x")["code"] == 43


def test_token_auth_with_an_app_password(client, app_ctx):
    user, _ = listener()
    password = app_password_for(user)
    assert ok(client, "ping", **token_auth(user, password))
    assert ok(client, "ping", **token_auth(user, password, salt="another-salt"))
    # the email is the username, case aside
    params = token_auth(user, password) | {"u": user.email.upper()}
    assert ok(client, "ping", **params)
    assert db.session.get(
        AppPassword, db.session.query(AppPassword.id).filter_by(user_id=user.id).scalar()
    ).last_used_at


def test_clear_and_hex_passwords_are_app_passwords_only(client, app_ctx):
    user, _ = listener()
    password = app_password_for(user)
    assert ok(client, "ping", u=user.email, p=password)
    assert ok(client, "ping", u=user.email, p="enc:" + password.encode().hex())
    # the account password never works here, in any form
    assert error(client, "ping", u=user.email, p=PASSWORD)["code"] == 40
    assert error(client, "ping", u=user.email, p="enc:" + PASSWORD.encode().hex())["code"] == 40
    assert error(client, "ping", **token_auth(user, PASSWORD))["code"] == 40
    assert error(client, "ping", u=user.email, p="enc:zz")["code"] == 40


def test_wrong_and_revoked_app_passwords_are_error_40(client, app_ctx):
    user, _ = listener()
    password = app_password_for(user)
    assert error(client, "ping", **token_auth(user, password + "x"))["code"] == 40
    assert error(client, "ping", **token_auth(user, password) | {"u": "nobody@example.test"})["code"] == 40
    row = db.session.query(AppPassword).filter_by(user_id=user.id).one()
    from app.subsonic import app_passwords

    app_passwords.revoke(user, row.id)
    db.session.commit()
    assert error(client, "ping", **token_auth(user, password))["code"] == 40


def test_wrong_app_passwords_lock_the_account(client, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_AFTER", 3)
    user, _key = listener()
    password = app_password_for(user)
    for _ in range(3):
        assert error(client, "ping", **token_auth(user, "wrong"))["code"] == 40
    fresh = db.session.get(User, user.id)
    assert fresh.failed_logins == 3 and fresh.locked_until is not None
    locked = error(client, "ping", **token_auth(user, password))
    assert locked["code"] == 40 and "locked" in locked["message"]


def test_failures_are_rate_limited_per_address(client, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "SUBSONIC_AUTH_FAILURE_LIMIT", "3 per minute")
    _user, key = listener()
    for _ in range(5):
        assert ok(client, "ping", key)  # successes do not count
    for _ in range(3):
        assert error(client, "ping", "enc_wrong")["code"] == 44
    refused = error(client, "ping", key)
    assert refused["code"] == 40 and "Too many" in refused["message"]


def test_deleted_accounts_are_refused(client, app_ctx):
    user, key = listener()
    password = app_password_for(user)
    credentials, user_id = token_auth(user, password), user.id
    deletion.delete_account(user, password=PASSWORD)
    db.session.commit()
    assert error(client, "ping", key)["code"] == 44
    assert error(client, "ping", **credentials)["code"] == 40
    assert db.session.query(AppPassword).filter_by(user_id=user_id).count() == 0  # erased with the rest


def test_no_csrf_on_rest(client, app, app_ctx, monkeypatch):
    _, key = listener()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    r = client.post("/rest/ping", data={"apiKey": key, "f": "json"})
    assert r.json["subsonic-response"]["status"] == "ok"
    # while the site's own forms still need their token
    assert client.post("/login", data={"email": "a@example.test", "password": "x"}).status_code in (400, 403)


def test_a_refused_call_writes_nothing(client, app_ctx):
    user, key = listener()
    track = make_track()
    before = db.session.query(Playlist).filter_by(owner_id=user.id).count()
    err = error(client, "createPlaylist", key, name="Mix", songId=[f"tr-{track.id}", "tr-999999"])
    assert err["code"] == 70
    assert db.session.query(Playlist).filter_by(owner_id=user.id).count() == before


def test_cors_lets_web_players_read(client, app_ctx):
    _, key = listener()
    r = client.get("/rest/ping", query_string={"apiKey": key})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_token_info_and_the_methods_answered_empty(client, app_ctx):
    user, key = listener()
    make_track()
    assert ok(client, "tokenInfo", key)["tokenInfo"] == {"username": user.email}
    assert ok(client, "getScanStatus", key)["scanStatus"]["scanning"] is False
    assert ok(client, "getScanStatus", key)["scanStatus"]["count"] >= 1
    for method, member in (
        ("getBookmarks", "bookmarks"),
        ("getPodcasts", "podcasts"),
        ("getInternetRadioStations", "internetRadioStations"),
        ("getShares", "shares"),
        ("getNewestPodcasts", "newestPodcasts"),
    ):
        assert member in ok(client, method, key), method
    assert ok(client, "getTopSongs", key, artist="X")["topSongs"] == {"song": []}
    assert error(client, "getSimilarSongs2", key)["code"] == 10


def test_every_method_but_the_extensions_list_needs_credentials(client, app_ctx):
    from app.subsonic.api import PUBLIC_METHODS
    from app.subsonic.protocol import METHODS

    assert {"getopensubsonicextensions"} == PUBLIC_METHODS
    for name in sorted(set(METHODS) - PUBLIC_METHODS):
        assert error(client, name, id="tr-1")["code"] == 10, name
        assert error(client, name, "enc_bad", id="tr-1")["code"] == 44, name
