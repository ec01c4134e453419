"""Who is asking: session cookies for pages, personal Bearer tokens for JSON clients.

Core knows no user model: ``app.accounts.login`` gives flask-login its loaders (a session's
user id, a Bearer token) when the factory calls ``app.core.domains.init_app``."""

from __future__ import annotations

from functools import wraps

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_login import current_user

from app.core.errors import Forbidden, Unauthorized
from app.core.extensions import login_manager


def init_app(app: Flask) -> None:
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please log in to see that page."

    @login_manager.unauthorized_handler
    def unauthorized():
        if is_api_request():
            raise Unauthorized("Log in or send a valid API token (Authorization: Bearer ...).")
        flash(login_manager.login_message, "info")
        return redirect(url_for("web.login", next=request.full_path))


# Where Flask-Login keeps the logged-in user's id in the session.
SESSION_USER_KEY = "_user_id"


def session_names_a_user() -> bool:
    """Whether this request's session (its cookie) says who is logged in; read without loading them."""
    return session.get(SESSION_USER_KEY) is not None


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


def note_token_user(user: object | None, refusal: Exception | None = None) -> None:
    """The request loader says whether a Bearer token named a user (``authenticated_by_token``),
    or why a valid token's user is refused (a suspended account): ``api_login_required``
    answers with that error instead of "not valid"."""
    g.authenticated_by_token = user is not None
    g.token_refusal = refusal


def raise_token_refusal() -> None:
    """For a request nobody is logged in to: raise why a valid token's user was refused, if so."""
    refusal = g.get("token_refusal")
    if refusal is not None:
        raise refusal


def api_login_required(view):
    """Like flask_login's ``login_required`` but always answers JSON 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            raise_token_refusal()
            if bearer_token() is not None:
                raise Unauthorized("This API token is not valid (it may have been revoked).", code="bad_token")
            raise Unauthorized("Log in or send a valid API token (Authorization: Bearer ...).")
        return view(*args, **kwargs)

    wrapper.login_required = True  # read by the OpenAPI builder: 401 and 403 are possible
    return wrapper


def require_admin() -> None:
    if not (current_user.is_authenticated and current_user.is_admin):
        raise Forbidden("Only admins can do that.")


def require_manager(artist) -> None:
    """Only the artist's own managers (or an admin) may change it."""
    if not (current_user.is_authenticated and current_user.can_manage(artist)):
        raise Forbidden(f"You don't manage {artist.name}.")
