"""Logging in: flask-login's loaders (who a session cookie or a Bearer token names; registered on
the shared ``login_manager`` by ``app.core.domains.init_app``, so ``app.core.auth`` needs no user
model), the steps of a login (the second factor, where to go next) and how fresh it is (payout
details change only right after a login or a code)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.accounts import two_factor
from app.accounts.models import User
from app.accounts.services import user_for_token
from app.accounts.suspension import AccountSuspended, require_not_suspended
from app.accounts.two_factor import counting_wrong_codes
from app.core.auth import bearer_token, note_token_user
from app.core.errors import Unauthorized
from app.core.extensions import db, login_manager

# Session keys: the pending half-login, and when the password or a code was last checked.
HALF_LOGIN = "half_login"
VERIFIED_AT = "verified_at"


def init_app(app: Flask) -> None:
    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        # A deleted or suspended account's session (or remember-me cookie) logs nobody in.
        return user if user is not None and user.is_active and not user.is_suspended else None

    @login_manager.request_loader
    def load_user_from_bearer(req) -> User | None:
        token = bearer_token()
        if token is None:
            return None
        user = user_for_token(token)
        if user is not None:
            try:
                require_not_suspended(user, "use the API")
            except AccountSuspended as refusal:
                note_token_user(None, refusal)  # refused: the answer says why
                return None
        note_token_user(user)
        return user


def safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site (no open redirects)."""
    # Browsers read "\\" as "/" (so "/\\evil.example" is "//evil.example"): refuse backslashes.
    # They also drop tab, CR and LF from a URL ("/\n/evil.example" is "//evil.example"), and a
    # CR/LF cannot go in a Location header at all: refuse every control character.
    if (
        target
        and urlsplit(target).netloc == ""
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)
    ):
        return target
    return url_for("web.index")


def ask_for_code(user, *, remember: bool, next_url: str | None):
    """The password was right: remember the half-login and ask for the code."""
    session[HALF_LOGIN] = {"marker": two_factor.start_half_login(user), "remember": remember, "next": next_url}
    return redirect(url_for("web.login_code"))


def finish_login(user, *, remember: bool) -> None:
    """Log ``user`` in (after the password and, when on, the second factor were checked)."""
    complete_login(user, remember=remember)
    session[VERIFIED_AT] = time.time()  # a fresh login counts as a fresh code for a while


def require_payout_factor() -> None:
    """Admins and managers must have a second factor on to touch payouts (a 403 with a link)."""
    two_factor.require_for_payouts(current_user, url_for("web.two_factor_page"))


def require_fresh_code() -> None:
    """Payout destinations change only right after a login or a code: within
    ``two_factor.FRESH_FOR``, else the form's ``code`` field must hold a current code.
    A wrong code is counted (committed) before the refusal."""
    require_payout_factor()
    if two_factor.is_fresh(session.get(VERIFIED_AT)):
        return
    code = request.form.get("code", "")
    if not code.strip():
        raise Unauthorized(
            "Enter a code from your authenticator app to confirm this change.", code="fresh_code_required", field="code"
        )
    with counting_wrong_codes():
        two_factor.check(current_user, code)
    session[VERIFIED_AT] = time.time()


def complete_login(user: User, remember: bool = False) -> None:
    """The last step of every login, after every check of the person has passed.

    A second factor goes *before* this call: whoever adds one keeps the half-authenticated
    user out of the session until it is answered, then calls this. The session gets a new id
    (the old one is deleted, see ``app.accounts.session_interface``), a new CSRF token, and, when asked, a
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
