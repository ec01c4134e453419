"""Listening: play sessions (what the player streams and reports on) and preview plays.

A ``Play`` is one listening session of one track by one logged-in listener. Its id is a
random, unguessable token: it names the stream URLs (only its listener may use them) and it
is the ledger's idempotency key when the play is counted, so a play is charged at most once
whatever the player reports. The ledger keeps what a counted play cost (``ledger_plays``);
this table keeps the session around it, including the plays that were never counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Track
from app.core.extensions import db
from app.core.types import UTCDateTime, utcnow

PLAY_ID_LENGTH = 32  # secrets.token_urlsafe(24): 192 random bits in 32 characters
START_KEY_LENGTH = 255  # an Idempotency-Key header's value, at most (as Stripe's)


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
        # A start retried with its Idempotency-Key finds its play (NULLs never collide).
        UniqueConstraint("listener_id", "start_key", name="uq_plays_listener_id_start_key"),
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
    # Metered plays (they will cost something): the audio handed out before the play counts
    # (its count point + the margin, ``app.streaming.metering``). NULL: the whole track at once
    # (owned, free, the listener's own, or started before metering).
    metered_until_ms: Mapped[int | None] = mapped_column(Integer)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ledger_plays.id of the counted play (no foreign key: the ledger owns its tables).
    ledger_play_id: Mapped[int | None] = mapped_column(BigInteger)
    # The start's Idempotency-Key, when the client sent one: a retry answers this play.
    start_key: Mapped[str | None] = mapped_column(String(START_KEY_LENGTH))
    # The start, then each progress report that moved the position: a play whose player has
    # not reported for ENCORE_STREAM_IDLE_SECONDS is idle, and is closed to make room.
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

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


# The advisory lock class of play starts (two-int key space: class, listener id).
START_LOCK_CLASS = 0x506C6179  # "Play"


def start_guard_statements() -> list[str]:
    """DDL (PostgreSQL) of ``streaming_start_guard``, the part of a play start that must read
    after the listener's lock: the listener's open plays, the idlest one that may be closed to
    make room, and the play an Idempotency-Key already started.

    Why a function: a statement's snapshot is taken before any lock it waits for, so a lock
    taken inside the start statement itself would still count the plays of a start that
    committed while it waited. A VOLATILE function takes a fresh snapshot for each query it
    runs, so its count, made after the lock, includes them. The migration runs a frozen copy
    (a test checks they agree).
    """
    return [
        "CREATE OR REPLACE FUNCTION streaming_start_guard(p_listener integer, p_key text, p_now timestamptz,\n"
        "                                                 p_idle_before timestamptz)\n"
        "RETURNS TABLE(open_plays integer, idle_play text, replay_id text, replay_track_id integer,\n"
        "              replay_started_at timestamptz, replay_expires_at timestamptz, replay_count_after_ms integer)\n"
        "LANGUAGE plpgsql VOLATILE AS $$\n"
        "BEGIN\n"
        "  -- One start of a listener at a time, until its transaction ends.\n"
        f"  PERFORM pg_advisory_xact_lock({START_LOCK_CLASS}, p_listener);\n"
        "  RETURN QUERY\n"
        "  SELECT (SELECT count(*)::integer FROM plays p\n"
        "          WHERE p.listener_id = p_listener AND p.ended_at IS NULL AND p.expires_at > p_now),\n"
        "         (SELECT p.id::text FROM plays p\n"
        "          WHERE p.listener_id = p_listener AND p.ended_at IS NULL AND p.expires_at > p_now\n"
        "            AND p.reported_at < p_idle_before\n"
        "          ORDER BY p.reported_at, p.id LIMIT 1),\n"
        "         k.id::text, k.track_id, k.started_at, k.expires_at, k.count_after_ms\n"
        "  FROM (SELECT 1) one LEFT JOIN plays k ON k.listener_id = p_listener AND k.start_key = p_key;\n"
        "END $$",
    ]
