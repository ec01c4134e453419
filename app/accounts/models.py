"""Users, their roles, the artists they manage, their personal API tokens, their second factor
(a TOTP secret and one-time recovery codes), their sessions (one row per logged-in device) and
the single-use tokens mailed to them."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import db
from app.core.types import UTCDateTime, str_enum, utcnow


class Role(str, enum.Enum):
    LISTENER = "listener"
    ARTIST = "artist"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Artist dashboards look up the (few) listeners who chose to be visible.
        Index("ix_users_visible", "id", postgresql_where=text("visible_to_artists")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.LISTENER)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The client address the account was registered from (None: registered before it was
    # recorded, or by the CLI). The payout fraud check counts accounts sharing one.
    registered_from: Mapped[str | None] = mapped_column(String(45), index=True)
    # Whether the artists this user listens to may see their display name and plays on their
    # dashboards. Anonymous unless the user chooses otherwise.
    visible_to_artists: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set when the person left the co-op: the row stays (the ledger, orders and ballots point
    # at its id) but holds nothing personal any more, and nobody can log in as it.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner proved the address by following the mailed link; None: not yet (no
    # starter credits, no buying, voting or payouts until then).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Wrong passwords since the last right one, and until when logins are refused because of
    # them (``app.accounts.lockout``: after LOGIN_LOCKOUT_AFTER failures, doubling, capped).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by an admin (``app.accounts.suspension``): the account is logged out everywhere and
    # refused at every door (log in, API tokens, plays, uploads, buying, voting) until an admin
    # lifts it. Its data and money stay. The reason is shown to the person at login.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    # The language pages are shown in (a code of app.core.i18n.LANGUAGES); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(8))

    artists: Mapped[list["Artist"]] = relationship(  # noqa: F821 (catalog module)
        secondary="artist_members", back_populates="members", order_by="Artist.name"
    )
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses to log in an inactive user: a deleted account is one."""
        return self.deleted_at is None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def can_manage(self, artist) -> bool:
        """True for admins and for the users who manage this artist (a label's staff)."""
        return self.is_admin or any(a.id == artist.id for a in self.artists)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class ArtistMember(db.Model):
    """A user who manages an artist profile; a label is several users on several artists."""

    __tablename__ = "artist_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown in lists so a user can tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="tokens")


class TwoFactor(db.Model):
    """A user's TOTP second factor (RFC 6238: 6 digits, 30-second steps, SHA-1, the
    parameters every authenticator app reads from an ``otpauth://`` URI).

    A row with ``confirmed_at`` unset is an enrolment in progress: the secret was shown but
    no code from it was seen yet, so it does not guard anything. ``last_used_step`` is the
    time step of the last accepted code; a code of that step or an earlier one is refused,
    so an overheard code cannot be replayed. ``failed_attempts`` counts wrong codes since the
    last right one; ``login_generation`` is part of every half-login marker, and bumping it
    (after too many wrong codes, or a completed login) ends every half-login at once.
    """

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # The base32 secret sealed with Fernet (AES-128-CBC + HMAC-SHA256) under TWO_FACTOR_KEYS:
    # a copy of the database alone does not give anyone the codes.
    sealed_secret: Mapped[str] = mapped_column(String(255))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    login_generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(db.Model):
    """One single-use recovery code. Only its SHA-256 is stored (the codes are random, 50 bits
    each, so a fast hash is enough); the codes are shown once, when made."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountSession(db.Model):
    """A server-side session: one browser on one device.

    The cookie carries a random id; only its SHA-256 (``id_hash``) is stored, so a copy of the
    table logs nobody in. Deleting the row ends the session: its cookie is then a stranger's.
    Anonymous visitors have rows too (``user_id`` NULL: the CSRF token, flashed messages).

    "Keep me logged in" lives on the same row (a device is one row): ``remember_selector``
    finds it, ``remember_hash`` is the SHA-256 of the validator, replaced at each use (the
    previous one stays acceptable for a short grace, for requests already in flight), and
    ``remember_expires_at`` ends it whatever happens. Deleting the row revokes both.
    """

    __tablename__ = "account_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    data: Mapped[str] = mapped_column(Text, default="{}")  # Flask's tagged JSON of the session dict
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    remember_selector: Mapped[str | None] = mapped_column(String(32), unique=True)
    remember_hash: Mapped[str | None] = mapped_column(String(64))
    remember_previous_hash: Mapped[str | None] = mapped_column(String(64))
    remember_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remember_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountTokenPurpose(str, enum.Enum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


class AccountToken(db.Model):
    """A single-use secret mailed to a user (verify the address, reset the password).

    Only the SHA-256 is stored; ``used_at`` is set when it is spent, and it is refused after
    ``expires_at``. ``email`` is the address it was sent to: a token for an address the
    account no longer has proves nothing.
    """

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[AccountTokenPurpose] = mapped_column(str_enum(AccountTokenPurpose, "account_token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StarterGrantClaim(db.Model):
    """One starter grant per distinct person: the SHA-256 of the normalised email of every
    account that was granted starter credits (``app.accounts.starter_grants``). The row
    outlives the account (a deleted-and-re-registered address gets no second grant) and, being
    a digest, names nobody once the account is deleted."""

    __tablename__ = "starter_grant_claims"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
