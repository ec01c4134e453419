"""Users as admins see them: search, a user's file (wallet, plays, orders, sessions), role
changes and suspensions, each written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from app.accounts import sessions, suspension
from app.accounts.models import AccountSession, Role, User
from app.admin.services import audit
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.extensions import db
from app.payments.models import Order
from app.payments.services import refunds, wallet


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    return user


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search(
    text: str | None, *, role: str | None = None, suspended: bool | None = None, limit: int = 50, offset: int = 0
) -> list[User]:
    """Users whose email or display name contains ``text`` (case-insensitive), newest first."""
    query = select(User).order_by(User.id.desc()).limit(limit).offset(offset)
    text = (text or "").strip()[:254]
    if text:
        pattern = _like(text)
        query = query.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    if role:
        query = query.where(User.role == parse_role(role))
    if suspended is not None:
        query = query.where(User.suspended_at.is_not(None) if suspended else User.suspended_at.is_(None))
    return list(db.session.scalars(query))


def parse_role(value) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed("role is listener, artist or admin.", field="role") from None


@dataclass
class UserFile:
    user: User
    balance: int
    plays: list  # (ledger play record, Track | None), newest first
    orders: list[Order]
    sessions: list[AccountSession]


def user_file(user: User, *, plays: int = 20) -> UserFile:
    return UserFile(
        user=user,
        balance=wallet.balance(user),
        plays=wallet.play_history(user, limit=plays),
        orders=refunds.list_orders(user_id=user.id, limit=50),
        sessions=sessions.active_for(user),
    )


def change_role(user: User, role, *, by: User, reason: str | None = None) -> None:
    new = parse_role(role)
    if user.id == by.id:
        raise Conflict("You cannot change your own role (ask another admin).", code="own_account")
    old = user.role
    if new is old:
        raise Conflict("The user already has this role.", code="unchanged")
    user.role = new
    db.session.flush()
    audit.record(by, "user.role", "user", user.id, reason=(reason or "").strip() or None, old=old.value, new=new.value)


def suspend(user: User, *, reason: str, by: User) -> int:
    ended = suspension.suspend(user, reason=reason, by=by)
    audit.record(by, "user.suspend", "user", user.id, reason=user.suspension_reason, sessions_ended=ended)
    return ended


def unsuspend(user: User, *, by: User, reason: str | None = None) -> None:
    suspension.unsuspend(user)
    audit.record(by, "user.unsuspend", "user", user.id, reason=(reason or "").strip() or None)
