"""Single-use secrets mailed to a user: verify an address, reset a password.

The plaintext goes into the mail only; the table keeps its SHA-256. A token is good once,
until ``expires_at``, and only while the account still has the address it was sent to.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from app.accounts.models import AccountToken, AccountTokenPurpose, User
from app.accounts.sessions import digest
from app.core.errors import ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow

LIFETIMES = {
    AccountTokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    AccountTokenPurpose.VERIFY_EMAIL: timedelta(days=2),
}
# One mail of a kind per address and minute, whatever is asked: nobody can flood an inbox.
RESEND_AFTER = timedelta(minutes=1)


def issue(user: User, purpose: AccountTokenPurpose) -> str | None:
    """A new token for ``user`` (the plaintext), or None when one was issued less than a
    minute ago (the caller then sends nothing and answers the same)."""
    now = utcnow()
    recent = db.session.scalar(
        select(AccountToken.id)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.created_at > now - RESEND_AFTER,
        )
        .limit(1)
    )
    if recent is not None:
        return None
    plaintext = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=digest(plaintext),
            email=user.email,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    db.session.flush()
    return plaintext


def peek(plaintext: str, purpose: AccountTokenPurpose) -> tuple[AccountToken, User]:
    """The unspent token and its user, locked until the transaction ends; raises
    ``ValidationFailed`` for an unknown, spent, expired or outdated token."""
    found = None
    if isinstance(plaintext, str) and 0 < len(plaintext) <= 200:
        found = db.session.execute(
            select(AccountToken, User)
            .join(User, User.id == AccountToken.user_id)
            .where(AccountToken.token_hash == digest(plaintext), AccountToken.purpose == purpose)
            .with_for_update(of=AccountToken)
        ).first()
    if (
        found is None
        or found[0].used_at is not None
        or found[0].expires_at <= utcnow()
        or found[0].email != found[1].email
    ):
        what = "reset link" if purpose is AccountTokenPurpose.RESET_PASSWORD else "verification link"
        raise ValidationFailed(
            f"This {what} is not valid any more (it was used, it expired, or it was mistyped). Ask for a new one.",
            code="invalid_token",
            field="token",
        )
    return found[0], found[1]


def spend(token: AccountToken) -> None:
    """Use the token up, and every other unspent one of its kind for that user."""
    now = utcnow()
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == token.user_id, AccountToken.purpose == token.purpose, AccountToken.used_at.is_(None)
        )
        .values(used_at=now)
    )
    db.session.expire(token, ["used_at"])


def link(path: str) -> str:
    """An absolute link for a mail (mails are written outside any request)."""
    return current_app.config["BASE_URL"].rstrip("/") + path
