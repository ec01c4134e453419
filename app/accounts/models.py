"""Users, their roles, the artists they manage, and their personal API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, String, false, text
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
    role: Mapped[Role] = mapped_column(
        str_enum(Role, "role"), default=Role.LISTENER
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Whether the artists this user listens to may see their display name and plays on their
    # dashboards. Anonymous unless the user chooses otherwise.
    visible_to_artists: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    artists: Mapped[list["Artist"]] = relationship(  # noqa: F821 (catalog module)
        secondary="artist_members", back_populates="members", order_by="Artist.name"
    )
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

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
