"""Email verification: a mailed link proves the address. Until then an account can listen to
previews and free tracks, but gets no starter credits and cannot buy credits or shares, vote,
or receive payouts (``require_verified``)."""

from __future__ import annotations

import secrets

from app.accounts import account_tokens, starter_grants
from app.accounts.models import AccountTokenPurpose, User
from app.core.errors import Forbidden
from app.core.extensions import db
from app.core.mail import queue_mail
from app.core.types import utcnow

# What registering answers, for a new address and a taken one alike.
CHECK_MAIL = "Check your mail: we sent a link to {email} to confirm the address."


class EmailUnverified(Forbidden):
    code = "email_unverified"


def require_verified(user: User, action: str) -> None:
    """Raise a 403 that says what to do, unless the user's email is verified."""
    if not user.email_verified:
        raise EmailUnverified(
            f"Verify your email to {action}: follow the link we mailed to {user.email}, "
            "or ask for a new one on your account page."
        )


def send_verification(user: User) -> bool:
    """Mail a verification link (at most one a minute). True when a mail was queued."""
    if user.email_verified:
        return False
    token = account_tokens.issue(user, AccountTokenPurpose.VERIFY_EMAIL)
    if token is None:
        return False
    queue_mail(
        to=user.email,
        subject="Confirm your email for Encore",
        body=(
            f"Hello {user.display_name},\n\n"
            "please confirm that this address is yours by opening this link (valid for two days):\n\n"
            f"{account_tokens.link('/verify-email/' + token)}\n\n"
            "Once it is confirmed you get the co-op's starter credits and can top up, vote and be paid.\n"
            "If you did not sign up for Encore, ignore this mail.\n"
        ),
        dedupe_key=f"verify-email:{user.id}:{secrets.token_hex(8)}",
    )
    return True


def mark_verified(user: User) -> None:
    """The address is proven: record it and grant the starter credits, once per distinct
    person (``starter_grants``: an address that had them, under any spelling of it, or on an
    account since deleted, gets none)."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    starter_grants.claim(user)
    db.session.flush()


def verify_email(token: str) -> User:
    """Spend a verification token; returns the verified user."""
    row, user = account_tokens.peek(token, AccountTokenPurpose.VERIFY_EMAIL)
    account_tokens.spend(row)
    mark_verified(user)
    return user
