"""Calling /rest/ from tests: credentials, both formats, the envelope."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

from app.core.extensions import db
from app.subsonic import app_passwords
from tests.factories import make_user, token_for

NS = "{http://subsonic.org/restapi}"


def listener(**kwargs):
    """A listener and their API key (an Encore personal API token)."""
    user = make_user(**kwargs)
    return user, token_for(user)


def app_password_for(user, name="Test app") -> str:
    _, plaintext = app_passwords.create(user, name)
    db.session.commit()
    return plaintext


def token_auth(user, password: str, salt: str = "c19b2d") -> dict:
    return {"u": user.email, "t": hashlib.md5((password + salt).encode()).hexdigest(), "s": salt}


def call(client, method: str, key: str | None = None, *, post: bool = False, **params):
    """A JSON call; returns the ``subsonic-response`` object."""
    params = {"v": "1.16.1", "c": "tests", "f": "json", **params}
    if key is not None:
        params["apiKey"] = key
    r = client.post(f"/rest/{method}", data=params) if post else client.get(f"/rest/{method}", query_string=params)
    assert r.status_code == 200, r.data[:500]
    assert r.mimetype == "application/json", r.data[:500]
    return r.json["subsonic-response"]


def ok(client, method: str, key: str | None = None, **params) -> dict:
    body = call(client, method, key, **params)
    assert body["status"] == "ok", body
    return body


def error(client, method: str, key: str | None = None, **params) -> dict:
    body = call(client, method, key, **params)
    assert body["status"] == "failed", body
    return body["error"]


def xml(client, method: str, key: str | None = None, **params) -> ET.Element:
    params = {"v": "1.16.1", "c": "tests", **params}
    if key is not None:
        params["apiKey"] = key
    r = client.get(f"/rest/{method}.view", query_string=params)
    assert r.status_code == 200 and r.mimetype == "text/xml", r.data[:500]
    root = ET.fromstring(r.data)
    assert root.tag == NS + "subsonic-response"
    return root
