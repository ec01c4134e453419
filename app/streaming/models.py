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
from app.catalog.moderation import HIDDEN_SQL, TAKEDOWN_SQL
from app.catalog.visibility import PLAYABLE_SQL
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

# What ``streaming_start`` answers, in order (name, type): the columns ``app.streaming.services``
# reads. The track's (``id`` NULL when there is none), the refusal, the Idempotency-Key's play,
# the ledger's quote (``ledger_play_quote``'s columns), and the play inserted.
START_COLUMNS = (
    ("id", "integer"),
    ("refusal", "text"),
    ("costs_nothing", "text"),
    ("open_plays", "integer"),
    ("length_ms", "integer"),
    ("stream_mp3_key", "text"),
    ("stream_opus_key", "text"),
    ("gain_db", "double precision"),
    ("has_waveform", "boolean"),
    ("replay_id", "text"),
    ("replay_started_at", "timestamptz"),
    ("replay_expires_at", "timestamptz"),
    ("replay_count_after_ms", "integer"),
    ("pricing_version_id", "integer"),
    ("count_after_seconds", "integer"),
    ("plays_to_own", "integer"),
    ("plays_counted", "integer"),
    ("owned", "boolean"),
    ("balance", "bigint"),
    ("next_price", "numeric"),
    ("credits_to_own", "numeric"),
    ("expires_at", "timestamptz"),
    ("count_after_ms", "integer"),
    ("metered_until_ms", "integer"),
    ("evicted", "text"),
)


def start_function_statements() -> list[str]:
    """DDL (PostgreSQL) of ``streaming_start``: a play start, the only implementation of its rules.

    In order: the listener's advisory lock (one start of a listener at a time, until the
    transaction ends); the track, its release, audio and whether the listener manages its
    artist; the listener's open plays; the play this Idempotency-Key started; the ledger's
    quote (``ledger_play_quote``); then the first refusal that applies, and only when none
    does, the idlest open play closed to make room and the new play inserted. One row comes
    back: ``id`` is NULL when the track does not exist.

    Invariants:

    - The open plays are counted after the lock: a VOLATILE PL/pgSQL function takes a fresh
      snapshot for each statement, so a start that committed while this one waited is
      counted (a single statement's snapshot is older than any lock it waits for).
    - Nothing is written on a refusal.
    - The visibility rules are the catalog's (``PLAYABLE_SQL``, ``HIDDEN_SQL``,
      ``TAKEDOWN_SQL``) and the prices the ledger's: this function only combines them.
    - The migration that installs it runs a frozen copy (a test checks they agree).
    """
    playable = PLAYABLE_SQL.replace(":today", "p_today")
    answer = ",\n  ".join(f"{name} {kind}" for name, kind in START_COLUMNS)
    return [
        f"""CREATE OR REPLACE FUNCTION streaming_start(
  p_listener integer, p_role text, p_track integer, p_key text, p_now timestamptz, p_today date,
  p_play_id text, p_max_open integer, p_grace_seconds integer, p_end_tolerance_ms integer,
  p_margin_ms integer, p_idle_before timestamptz)
RETURNS TABLE({answer})
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  v_track record;
  v_quote record;
  v_replay_track integer;
  v_owned boolean;
  v_idle text;
BEGIN
  PERFORM pg_advisory_xact_lock({START_LOCK_CLASS}, p_listener);
  SELECT t.id, t.status, t.free, r.artist_id, ta.stream_mp3_key, ta.stream_opus_key, ta.gain_db,
         ta.peaks IS NOT NULL AS has_waveform,
         coalesce(nullif(t.duration_ms, 0), ta.source_duration_ms, 0) AS length_ms,
         m.user_id IS NOT NULL AS is_artist,
         -- a draft, unreleased or removed track: only its managers, admins and (below) its
         -- owners may play it (the catalog's visibility rule)
         ({playable} OR p_role = 'admin') AS may_see,
         -- hidden by a moderator: only owners (not after a takedown) and admins
         {HIDDEN_SQL} AS hidden, {TAKEDOWN_SQL} AS takedown
    INTO v_track
    FROM tracks t
    JOIN releases r ON r.id = t.release_id
    LEFT JOIN track_audio ta ON ta.track_id = t.id
    LEFT JOIN artist_members m ON m.user_id = p_listener AND m.artist_id = r.artist_id
   WHERE t.id = p_track;
  IF NOT FOUND THEN
    refusal := 'not_found';
    RETURN NEXT;
    RETURN;
  END IF;
  id := v_track.id;
  length_ms := v_track.length_ms;
  stream_mp3_key := v_track.stream_mp3_key;
  stream_opus_key := v_track.stream_opus_key;
  gain_db := v_track.gain_db;
  has_waveform := v_track.has_waveform;

  SELECT count(*) INTO open_plays FROM plays p
   WHERE p.listener_id = p_listener AND p.ended_at IS NULL AND p.expires_at > p_now;
  IF open_plays >= p_max_open THEN  -- at the limit, the idlest play makes room
    SELECT p.id INTO v_idle FROM plays p
     WHERE p.listener_id = p_listener AND p.ended_at IS NULL AND p.expires_at > p_now
       AND p.reported_at < p_idle_before
     ORDER BY p.reported_at, p.id LIMIT 1;
  END IF;
  IF p_key IS NOT NULL THEN
    SELECT k.id, k.track_id, k.started_at, k.expires_at, k.count_after_ms
      INTO replay_id, v_replay_track, replay_started_at, replay_expires_at, replay_count_after_ms
      FROM plays k WHERE k.listener_id = p_listener AND k.start_key = p_key;
  END IF;

  SELECT * INTO v_quote FROM ledger_play_quote(p_listener, p_track, p_now);
  pricing_version_id := v_quote.pricing_version_id;
  count_after_seconds := v_quote.count_after_seconds;
  plays_to_own := v_quote.plays_to_own;
  plays_counted := v_quote.plays_counted;
  owned := v_quote.owned;
  balance := v_quote.balance;
  next_price := v_quote.next_price;
  credits_to_own := v_quote.credits_to_own;
  v_owned := coalesce(v_quote.owned, false);

  refusal := CASE
    WHEN replay_id IS NOT NULL AND v_replay_track <> p_track THEN 'key_reused'
    WHEN replay_id IS NOT NULL THEN 'replay'
    WHEN v_track.status <> 'ready' OR NOT (v_track.may_see OR v_track.is_artist OR v_owned) THEN 'not_found'
    WHEN v_track.hidden AND p_role <> 'admin' AND (v_track.takedown OR NOT (v_track.is_artist OR v_owned))
      THEN CASE WHEN v_track.is_artist OR v_owned THEN 'taken_down' ELSE 'not_found' END
    WHEN coalesce(v_track.stream_mp3_key, '') = '' THEN 'no_stream'
    WHEN open_plays - (v_idle IS NOT NULL)::integer >= p_max_open THEN 'too_many_open_plays'
    WHEN v_quote.pricing_version_id IS NULL THEN 'no_pricing'
    WHEN NOT (v_track.is_artist OR v_owned OR v_track.free) AND v_quote.balance < v_quote.next_price
      THEN 'payment_required'
  END;
  costs_nothing := CASE WHEN v_track.is_artist THEN 'own_artist' WHEN v_owned THEN 'owned'
                        WHEN v_track.free THEN 'free' END;
  IF refusal IS NOT NULL THEN
    RETURN NEXT;
    RETURN;
  END IF;

  IF v_idle IS NOT NULL THEN
    UPDATE plays SET ended_at = p_now WHERE plays.id = v_idle AND plays.ended_at IS NULL
    RETURNING plays.id INTO evicted;
  END IF;
  -- a track shorter than count-after counts at its end (a little before: the player's last
  -- report lands just short of the exact duration)
  count_after_ms := least(v_quote.count_after_seconds * 1000, greatest(length_ms - p_end_tolerance_ms, 1));
  expires_at := p_now + length_ms * interval '1 millisecond' + p_grace_seconds * interval '1 second';
  -- a play that will cost something gets the audio up to its count point + the margin
  metered_until_ms := CASE WHEN costs_nothing IS NULL THEN count_after_ms + p_margin_ms END;
  INSERT INTO plays (id, listener_id, track_id, artist_id, track_free, listener_is_artist, started_at,
                     expires_at, count_after_ms, position_ms, start_key, reported_at, metered_until_ms)
  VALUES (p_play_id, p_listener, p_track, v_track.artist_id, v_track.free, v_track.is_artist, p_now,
          expires_at, count_after_ms, 0, p_key, p_now, metered_until_ms);
  RETURN NEXT;
END $$""",
    ]
