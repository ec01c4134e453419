"""Suspended accounts: an admin's decision, with a reason, that shuts every door at once.

Invariants:

- ``require_not_suspended`` is the one check. Every entry point that plays, uploads, buys or
  votes calls it in its service (so the page and the JSON API, which share the service, are
  both covered), and so do the doors themselves: the password login (which tells the person
  why), the session loader and the API token loader (``app.accounts.login``).
- Suspending logs the account out everywhere (every server-side session row is deleted). Its
  API tokens are kept but refused while the suspension lasts; they work again after it.
- Nothing is deleted or moved: the account's data, wallet and earnings stay as they were.
"""

from __future__ import annotations

from datetime import datetime

from app.accounts import sessions
from app.accounts.models import User
from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow

REASON_MAX = 2000


class AccountSuspended(Forbidden):
    code = "account_suspended"


def require_not_suspended(user: User, action: str = "do that") -> None:
    """Raise a 403 that says why, when ``user``'s account is suspended."""
    refuse_if_suspended(user.suspended_at, user.suspension_reason, action)


def refuse_if_suspended(suspended_at: datetime | None, reason: str | None, action: str) -> None:
    """``require_not_suspended`` for an account read as columns (``app.accounts.callers``)."""
    if suspended_at is not None:
        raise AccountSuspended(
            f"Your account is suspended, so you cannot {action}. Reason: {reason or 'none given'}. "
            "Write to the co-op if you think this is a mistake.",
            reason=reason,
        )


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= REASON_MAX:
        raise ValidationFailed(f"Give a reason (1 to {REASON_MAX} characters).", field="reason")
    return reason


def suspend(user: User, *, reason: str, by: User) -> int:
    """Suspend ``user`` and log them out everywhere; returns how many sessions ended."""
    reason = _reason(reason)
    if user.id == by.id:
        raise Conflict("You cannot suspend your own account.", code="own_account")
    if user.deleted_at is not None:
        raise Conflict("This account was deleted.", code="account_deleted")
    if user.suspended_at is not None:
        raise Conflict("This account is already suspended.", code="already_suspended")
    user.suspended_at = utcnow()
    user.suspension_reason = reason
    ended = sessions.end_all(user)
    db.session.flush()
    return ended


def unsuspend(user: User) -> None:
    if user.suspended_at is None:
        raise Conflict("This account is not suspended.", code="not_suspended")
    user.suspended_at = None
    user.suspension_reason = None
    db.session.flush()
