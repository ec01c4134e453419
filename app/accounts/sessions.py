"""Server-side sessions and "keep me logged in" tokens: the rows behind the cookies.

Invariants:

- A cookie holds a random secret; the table holds only its SHA-256. A stolen copy of the
  table (or of a backup) opens no session.
- A session id is good while its row exists and it was seen within the idle window
  (``SESSION_IDLE_HOURS``). Deleting the row is logging out: its cookie is then a stranger's.
- A remember-me cookie is ``<selector>.<validator>``: the selector finds the row, the
  validator's hash must match. Each use replaces the validator (the previous one is accepted
  for ``REMEMBER_GRACE_SECONDS`` more, for requests already in flight) and the session id.
  A validator matching neither is a stolen, already-used copy: the device is logged out.
  The token never outlives ``remember_expires_at`` (``REMEMBER_DAYS`` after the login).
- ``last_seen_at`` moves at most once per ``SESSION_TOUCH_SECONDS``, so a playing browser
  (progress reports every few seconds) costs one indexed read per request, not a write.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update

from app.accounts.models import AccountSession, ApiToken, User
from app.core.errors import NotFound
from app.core.extensions import db
from app.core.types import utcnow

log = logging.getLogger(__name__)


def _setting(name: str) -> float:
    """One of the session settings (declared in ``app.core.config.SETTINGS``)."""
    return current_app.config[name]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class Issued:
    """A row with the secrets just issued for it (sent in cookies once, never stored)."""

    row: AccountSession
    session_id: str
    remember: str | None = None  # the new remember-me cookie value, when one was issued


def find(session_id: str) -> tuple[AccountSession, User | None] | None:
    """The live row for a session cookie and its user, in one indexed read (the user lands in
    the identity map, so Flask-Login's loader costs nothing more)."""
    found = db.session.execute(
        select(AccountSession, User)
        .outerjoin(User, User.id == AccountSession.user_id)
        .where(AccountSession.id_hash == digest(session_id))
    ).first()
    if found is None or not is_alive(found[0]):
        return None
    return found[0], found[1]


def is_alive(row: AccountSession, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return now - row.last_seen_at < timedelta(hours=_setting("SESSION_IDLE_HOURS"))


def needs_touch(row_last_seen: datetime, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row_last_seen >= timedelta(seconds=_setting("SESSION_TOUCH_SECONDS"))


def create(
    *, user_id: int | None, data: str, user_agent: str | None, ip_address: str | None, remember: bool = False
) -> Issued:
    """A new row with a new session id (and a remember-me token when asked)."""
    now = utcnow()
    session_id = new_secret()
    row = AccountSession(
        id_hash=digest(session_id),
        user_id=user_id,
        data=data,
        created_at=now,
        last_seen_at=now,
        user_agent=(user_agent or "")[:300] or None,
        ip_address=(ip_address or "")[:45] or None,
    )
    issued = Issued(row, session_id)
    if remember and user_id is not None:
        selector, validator = secrets.token_urlsafe(12), new_secret()
        row.remember_selector = selector
        row.remember_hash = digest(validator)
        row.remember_rotated_at = now
        row.remember_expires_at = now + timedelta(days=_setting("REMEMBER_DAYS"))
        issued.remember = f"{selector}.{validator}"
    db.session.add(row)
    db.session.flush()
    return issued


def resume(cookie: str, *, user_agent: str | None, ip_address: str | None) -> Issued | None:
    """Log a remembered device back in: a new session id, and a new validator unless this is
    a late request carrying the one replaced moments ago. None when the cookie is refused."""
    selector, _, validator = cookie.partition(".")
    if not selector or not validator or len(selector) > 32:
        return None
    row = db.session.scalar(
        select(AccountSession).where(AccountSession.remember_selector == selector).with_for_update()
    )
    now = utcnow()
    if row is None or row.user_id is None or row.remember_expires_at is None or row.remember_expires_at <= now:
        return None
    presented = digest(validator)
    current = hmac.compare_digest(presented, row.remember_hash or "")
    in_grace = (
        row.remember_previous_hash is not None
        and hmac.compare_digest(presented, row.remember_previous_hash)
        and now - row.remember_rotated_at < timedelta(seconds=_setting("REMEMBER_GRACE_SECONDS"))
    )
    if not (current or in_grace):
        # Someone used this token before: one of the two copies is a thief's. End the device.
        log.warning("remember-me token replayed for user %s: device %s logged out", row.user_id, row.id)
        db.session.delete(row)
        db.session.flush()
        return None
    session_id = new_secret()
    row.id_hash = digest(session_id)
    row.last_seen_at = now
    row.user_agent = (user_agent or "")[:300] or row.user_agent
    row.ip_address = (ip_address or "")[:45] or row.ip_address
    issued = Issued(row, session_id)
    if current:
        new_validator = new_secret()
        row.remember_previous_hash = row.remember_hash
        row.remember_hash = digest(new_validator)
        row.remember_rotated_at = now
        issued.remember = f"{selector}.{new_validator}"
    db.session.flush()
    return issued


def save(row_id: int, *, data: str | None = None, touch: bool = False) -> None:
    """Write what changed: the session's data and/or its last-seen time. A row deleted
    meanwhile (logged out from another device) stays deleted."""
    values: dict = {}
    if data is not None:
        values["data"] = data
    if touch:
        values["last_seen_at"] = utcnow()
    if values:
        db.session.execute(update(AccountSession).where(AccountSession.id == row_id).values(**values))


def end(row_id: int) -> None:
    db.session.execute(delete(AccountSession).where(AccountSession.id == row_id))


def active_for(user: User) -> list[AccountSession]:
    """The user's devices: sessions still alive or remembered, most recently seen first."""
    now = utcnow()
    idle_since = now - timedelta(hours=_setting("SESSION_IDLE_HOURS"))
    return list(
        db.session.scalars(
            select(AccountSession)
            .where(
                AccountSession.user_id == user.id,
                or_(AccountSession.last_seen_at > idle_since, AccountSession.remember_expires_at > now),
            )
            .order_by(AccountSession.last_seen_at.desc(), AccountSession.id.desc())
        )
    )


def end_for_user(user: User, row_id: int) -> None:
    """Log one of the user's devices out (its session and its remember-me token)."""
    row = db.session.get(AccountSession, row_id)
    if row is None or row.user_id != user.id:
        raise NotFound("No such session.")
    db.session.delete(row)
    db.session.flush()


def end_all(user: User, *, keep_row_id: int | None = None, api_tokens: bool = False) -> int:
    """Log the user out everywhere (but the device ``keep_row_id``), and revoke their API
    tokens too when asked. Returns how many sessions ended."""
    condition = AccountSession.user_id == user.id
    if keep_row_id is not None:
        condition = and_(condition, AccountSession.id != keep_row_id)
    ended = db.session.execute(delete(AccountSession).where(condition)).rowcount or 0
    if api_tokens:
        db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        db.session.expire(user, ["tokens"])
    return ended


def purge_expired() -> int:
    """Delete rows neither alive nor remembered (the periodic housekeeping calls this)."""
    now = utcnow()
    idle_since = now - timedelta(hours=_setting("SESSION_IDLE_HOURS"))
    result = db.session.execute(
        delete(AccountSession).where(
            AccountSession.last_seen_at <= idle_since,
            or_(AccountSession.remember_expires_at.is_(None), AccountSession.remember_expires_at <= now),
        )
    )
    return result.rowcount or 0
