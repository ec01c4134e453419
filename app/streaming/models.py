"""Listening: play sessions (what the player streams and reports on) and preview plays.

A ``Play`` is one listening session of one track by one logged-in listener. Its id is a
random, unguessable token: it names the stream URLs (only its listener may use them) and it
is the ledger's idempotency key when the play is counted, so a play is charged at most once
whatever the player reports. The ledger keeps what a counted play cost (``ledger_plays``);
this table keeps the session around it, including the plays that were never counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import db
from app.catalog.models import Track
from app.core.types import UTCDateTime, utcnow

PLAY_ID_LENGTH = 32  # secrets.token_urlsafe(24): 192 random bits in 32 characters


class Play(db.Model):
    """One listening session. Open while ``ended_at`` is unset and ``expires_at`` is ahead.

    The terms are fixed at start: the count-after threshold (of the pricing version in force
    then, or the track's end for shorter tracks) and who the artist is. ``counted_at`` and
    ``ledger_play_id`` are set once, when a progress report passes the threshold and the
    ledger records the play (charged, or free for owned/free/own tracks).
    """

    __tablename__ = "plays"
    __table_args__ = (
        # Counting a listener's open plays (expired ones drop out) and their history, newest first.
        Index("ix_plays_listener_id_expires_at", "listener_id", "expires_at"),
        Index("ix_plays_listener_id_started_at", "listener_id", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(PLAY_ID_LENGTH), primary_key=True)
    listener_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    artist_id: Mapped[int] = mapped_column(Integer)  # the track's artist at start (the ledger's terms)
    track_free: Mapped[bool] = mapped_column(Boolean)
    listener_is_artist: Mapped[bool] = mapped_column(Boolean)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # start + duration + grace
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the player moved on
    count_after_ms: Mapped[int] = mapped_column(Integer)  # reported position AND server time needed
    position_ms: Mapped[int] = mapped_column(Integer, default=0)  # furthest position reported
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ledger_plays.id of the counted play (no foreign key: the ledger owns its tables).
    ledger_play_id: Mapped[int | None] = mapped_column(BigInteger)

    track: Mapped[Track] = relationship()

    def is_open(self, now: datetime) -> bool:
        return self.ended_at is None and now < self.expires_at

    def __repr__(self) -> str:
        return f"<Play {self.id} track={self.track_id} listener={self.listener_id}>"


class PreviewPlay(db.Model):
    """A 30-second preview played: by a visitor (no listener) or a listener who could not pay."""

    __tablename__ = "preview_plays"
    __table_args__ = (Index("ix_preview_plays_track_id_at", "track_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"))
    listener_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
