"""An admin with a second factor on (the admin pages and API need one), logged in or with a token."""

from __future__ import annotations

from app.accounts.models import Role
from app.core.extensions import db
from tests.factories import bearer, enable_two_factor, login, make_user, token_for


def make_admin():
    admin = make_user(role=Role.ADMIN)
    enable_two_factor(admin)
    return admin


def admin_headers(admin=None) -> dict:
    return bearer(token_for(admin or make_admin()))


def login_admin(client, admin=None):
    admin = admin or make_admin()
    login(client, admin)
    return admin


def csrf_headers(client) -> dict:
    """The page's CSRF token, for JSON calls made with the session cookie."""
    import re

    page = client.get("/").text
    return {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)}


def refresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)
