"""Invitations to manage an artist, mailed to a person by one of its managers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Artist
from app.core.extensions import db
from app.core.types import UTCDateTime, utcnow


class ArtistInvitation(db.Model):
    """A single-use link to become a manager of ``artist``, mailed to ``email``.

    Only the SHA-256 of the secret is stored. It is good once (``accepted_at``), until
    ``expires_at``, and only for a logged-in account with the address it was sent to.
    """

    __tablename__ = "artist_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    artist: Mapped[Artist] = relationship()

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > utcnow()
