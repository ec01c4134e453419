"""Who calls ``/rest/``: an API key (OpenSubsonic ``apiKeyAuthentication``: an Encore personal
API token), or a username (the account's email) with an app password, as a salted MD5 token
(``t`` + ``s``) or in clear (``p``, also ``enc:``-hex). Never the account password, never a
session cookie (so CSRF does not apply here).

Wrong app passwords count towards the account's lockout like wrong passwords at login
(``app.accounts.lockout``); while locked every credential is refused unchecked. Every failure
also counts against the caller's address (``SUBSONIC_AUTH_FAILURE_LIMIT``, see ``api``).
Deleted accounts never authenticate.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from app.accounts import lockout
from app.accounts import services as accounts
from app.accounts.models import User
from app.core.errors import AccountLocked, BadCredentials
from app.core.extensions import db
from app.subsonic import app_passwords
from app.subsonic.protocol import (
    CONFLICTING_AUTH,
    INVALID_API_KEY,
    MISSING_PARAMETER,
    WRONG_CREDENTIALS,
    Call,
    SubsonicError,
)


def _refuse(code: int, message: str) -> SubsonicError:
    g.subsonic_auth_failed = True  # counted against the address by the rate limit
    return SubsonicError(code, message)


def authenticate(call: Call) -> User:
    """The user the call's credentials name, or a ``SubsonicError`` with the standard code."""
    api_key = call.get("apiKey")
    if api_key is not None:
        if any(call.get(name) is not None for name in ("u", "p", "t", "s")):
            raise _refuse(CONFLICTING_AUTH, "Send either apiKey or u with t and s (or p), not both.")
        user = accounts.user_for_token(api_key) if 0 < len(api_key) <= 200 else None
        if user is None or not user.is_active:
            raise _refuse(INVALID_API_KEY, "This API key is not valid (it may have been revoked).")
        return user
    username = call.get("u")
    if not username:
        raise SubsonicError(MISSING_PARAMETER, "Required parameter is missing: apiKey, or u with t and s")
    token, salt, password = call.get("t"), call.get("s"), call.get("p")
    if not ((token and salt) or password):
        raise SubsonicError(MISSING_PARAMETER, "Required parameter is missing: t and s (or p)")
    try:
        with lockout.counting_failed_logins():
            return _check_app_password(username, token, salt, password)
    except AccountLocked as exc:
        raise _refuse(WRONG_CREDENTIALS, exc.message) from None
    except BadCredentials:
        raise _refuse(
            WRONG_CREDENTIALS,
            "Wrong username or app password. Use your email and an app password from your account page "
            "(your account password does not work here).",
        ) from None


def _check_app_password(username: str, token: str | None, salt: str | None, password: str | None) -> User:
    user = db.session.scalar(
        select(User)
        .where(User.email == accounts.normalize_email(username[:254]), User.deleted_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)  # the locked row as it is now, not as first loaded
    )
    if user is None:
        raise BadCredentials("unknown user")
    lockout.check_not_locked(user)
    if token and salt:
        found = app_passwords.match_token(user, token[:64], salt[:200])
    else:
        found = app_passwords.match_password(user, _clear(password or ""))
    if found is None:
        lockout.record_failure(user)
        raise BadCredentials("wrong app password")
    lockout.record_success(user)
    return user


def _clear(password: str) -> str:
    """``p`` as sent: in clear, or ``enc:`` and the UTF-8 bytes in hex."""
    if password.startswith("enc:"):
        try:
            return bytes.fromhex(password[4:]).decode()
        except ValueError:
            return ""
    return password[:200]
