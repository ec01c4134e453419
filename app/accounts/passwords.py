"""Changing and resetting a password. Either ends the user's other sessions and remember-me
tokens (and, when the user asks, their API tokens), and tells them by mail.

A reset request answers the same whether or not the address has an account; the reset
link is single-use, valid one hour, stored hashed (``app.accounts.account_tokens``).
"""

from __future__ import annotations

import secrets

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from app.accounts import account_tokens, sessions, verification
from app.accounts import services as accounts
from app.accounts.models import AccountTokenPurpose, User
from app.accounts.password_strength import require_strong_password
from app.core.errors import ValidationFailed
from app.core.extensions import db
from app.core.mail import queue_mail

# What a reset request answers, whether or not the address has an account.
RESET_SENT = "If an account has the address {email}, we sent it a link to choose a new password (valid for one hour)."


def _set_password(user: User, password: str) -> None:
    user.password_hash = accounts._hasher.hash(password)


def change_password(
    user: User, *, current_password: str, new_password: str, keep_session_id: int | None, end_api_tokens: bool = False
) -> int:
    """Change the password when ``current_password`` is right. Every other session ends;
    returns how many."""
    try:
        accounts._hasher.verify(user.password_hash, current_password or "")
    except (VerificationError, InvalidHashError):
        raise ValidationFailed(
            "The current password is not right.", code="wrong_password", field="current_password"
        ) from None
    if new_password == current_password:
        raise ValidationFailed("Choose a password different from the current one.", field="new_password")
    require_strong_password(new_password, user_inputs=(user.email, user.display_name), field="new_password")
    _set_password(user, new_password)
    ended = sessions.end_all(user, keep_row_id=keep_session_id, api_tokens=end_api_tokens)
    _notify_changed(user, "changed", end_api_tokens)
    db.session.flush()
    return ended


def request_reset(email: str) -> None:
    """Mail a reset link if ``email`` has an account; the caller answers the same either way."""
    user = db.session.scalar(select(User).where(User.email == accounts.normalize_email(email or "")))
    if user is None:
        return
    token = account_tokens.issue(user, AccountTokenPurpose.RESET_PASSWORD)
    if token is None:
        return
    queue_mail(
        to=user.email,
        subject="Reset your Encore password",
        body=(
            f"Hello {user.display_name},\n\n"
            "someone (you, we hope) asked to reset the password of your Encore account. Choose a new one here "
            "(the link works once, for one hour):\n\n"
            f"{account_tokens.link('/reset-password/' + token)}\n\n"
            "If it was not you, ignore this mail: your password stays as it is.\n"
        ),
        dedupe_key=f"reset-password:{user.id}:{secrets.token_hex(8)}",
    )


def check_reset_token(token: str) -> User:
    """The user a reset link belongs to (for the form), or ``ValidationFailed``."""
    return account_tokens.peek(token, AccountTokenPurpose.RESET_PASSWORD)[1]


def reset_password(token: str, new_password: str, *, end_api_tokens: bool = False) -> User:
    """Set a new password with a mailed reset token. Every session of the user ends. The
    link proved the address, so an unverified account becomes verified."""
    row, user = account_tokens.peek(token, AccountTokenPurpose.RESET_PASSWORD)
    require_strong_password(new_password, user_inputs=(user.email, user.display_name), field="new_password")
    account_tokens.spend(row)
    _set_password(user, new_password)
    sessions.end_all(user, api_tokens=end_api_tokens)
    verification.mark_verified(user)
    _notify_changed(user, "reset", end_api_tokens)
    db.session.flush()
    return user


def _notify_changed(user: User, how: str, api_tokens: bool) -> None:
    ended = "every other session and remembered device" + (" and your API tokens" if api_tokens else "")
    queue_mail(
        to=user.email,
        subject="Your Encore password was " + how,
        body=(
            f"Hello {user.display_name},\n\nyour Encore password was just {how}; {ended} "
            "were logged out.\nIf this was not you, reset your password now: "
            f"{account_tokens.link('/forgot-password')}\n"
        ),
        dedupe_key=f"password-{how}:{user.id}:{secrets.token_hex(8)}",
    )
