"""Who is asking: session cookies for pages, personal Bearer tokens for JSON clients."""

from __future__ import annotations

from functools import wraps

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.extensions import db, login_manager
from app.models import User
from app.services.accounts import user_for_token
from app.services.errors import Forbidden, Unauthorized


def init_app(app: Flask) -> None:
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please log in to see that page."

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

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


def complete_login(user: User, remember: bool = False) -> None:
    """The last step of every login, after every check of the person has passed.

    A second factor goes *before* this call: whoever adds one keeps the half-authenticated
    user out of the session until it is answered, then calls this. The session gets a new id
    (the old one is deleted, see ``app.sessions``), a new CSRF token, and, when asked, a
    remember-me token for this device.
    """
    session.pop("csrf_token", None)
    login_user(user, remember=False, fresh=True)  # Flask-Login's own remember cookie stays off
    session.remember_device = bool(remember)


def end_login() -> None:
    """Log this browser out: its session row is deleted when the response is saved."""
    logout_user()


def current_session_id() -> int | None:
    """The ``account_sessions`` row of this request's browser (None for token clients)."""
    return getattr(session, "row_id", None)


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


def require_manager(artist) -> None:
    """Only the artist's own managers (or an admin) may change it."""
    if not (current_user.is_authenticated and current_user.can_manage(artist)):
        raise Forbidden(f"You don't manage {artist.name}.")
