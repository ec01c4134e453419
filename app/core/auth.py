"""Who is asking: session cookies for pages, personal Bearer tokens for JSON clients."""

from __future__ import annotations

from contextlib import contextmanager
from functools import wraps

from flask import Flask, flash, g, redirect, request, url_for
from flask_login import current_user

from app.core.extensions import db, login_manager
from app.accounts.models import User
from app.accounts.services import user_for_token
from app.core.errors import Forbidden, Unauthorized
from app.core.transactions import commit_now


def init_app(app: Flask) -> None:
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please log in to see that page."

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        # A deleted account's session (or remember-me cookie) logs nobody in.
        return user if user is not None and user.is_active else None

    @login_manager.request_loader
    def load_user_from_bearer(req) -> User | None:
        token = bearer_token()
        if token is None:
            return None
        user = user_for_token(token)
        g.authenticated_by_token = user is not None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        if is_api_request():
            raise Unauthorized("Log in or send a valid API token (Authorization: Bearer ...).")
        flash(login_manager.login_message, "info")
        return redirect(url_for("web.login", next=request.full_path))


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def authenticated_by_token() -> bool:
    return bool(g.get("authenticated_by_token"))


def api_login_required(view):
    """Like flask_login's ``login_required`` but always answers JSON 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            if bearer_token() is not None:
                raise Unauthorized("This API token is not valid (it may have been revoked).", code="bad_token")
            raise Unauthorized("Log in or send a valid API token (Authorization: Bearer ...).")
        return view(*args, **kwargs)

    return wrapper


def require_admin() -> None:
    if not (current_user.is_authenticated and current_user.is_admin):
        raise Forbidden("Only admins can do that.")


@contextmanager
def counting_wrong_codes():
    """Let a refused second-factor code still count: commit the failed attempt (and nothing
    else was changed by then) before the refusal is answered."""
    from app.accounts.two_factor import WrongCode

    try:
        yield
    except WrongCode:
        commit_now("a refused code still counts against the login")
        raise


def require_manager(artist) -> None:
    """Only the artist's own managers (or an admin) may change it."""
    if not (current_user.is_authenticated and current_user.can_manage(artist)):
        raise Forbidden(f"You don't manage {artist.name}.")
