"""Streaming: starting plays, serving their audio, counting them, previews, listening history.

A play is counted, and charged through the ledger, when the player reports a position past
the play's threshold (the pricing version's count-after, or the end of a shorter track) AND
at least that much time has passed on the server since the play started. Reports are
serialised on the play's row lock and the play's id is the ledger's idempotency key, so
repeated, late or concurrent reports charge once. The terms of a play (the pricing version
in force at its start, the artist, whether the track is free or the listener's own) are
fixed when it starts. Everything here flushes, never commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import column, select, text

import ledger
import ledger.operations
from app.accounts import callers
from app.accounts.callers import CALLER_COLUMNS, CALLER_SQL, Caller
from app.accounts.models import User
from app.catalog import moderation
from app.catalog.models import Track
from app.catalog.services import get_public_track
from app.core.driver_statements import DriverStatement
from app.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PaymentRequired,
    PlayExpired,
    ValidationFailed,
    service_error_for,
)
from app.core.extensions import db
from app.core.types import utcnow
from app.payments.services.wallet import tracks_by_id
from app.streaming import metering
from app.streaming.metering import metered_until_ms
from app.streaming.models import START_COLUMNS, START_KEY_LENGTH, Play, PreviewPlay
from app.uploads.models import TrackAudio
from app.uploads.services import packaging
from ledger import reads
from ledger.functions import PLAY_OUTCOME_NAMES
from ledger.schema import Play as LedgerPlay
from ledger.units import format_credits

# A report may arrive this much earlier in server time than the threshold (clock jitter of
# the player's timer, request latency) and still count.
SERVER_TIME_TOLERANCE_MS = 2_000
# A track shorter than count-after counts at its end; the player's last report lands a little
# before the exact duration.
END_TOLERANCE_MS = 1_000
FORMATS = {"mp3": ("stream_mp3_key", "audio/mpeg"), "opus": ("stream_opus_key", "audio/ogg")}


def new_play_id() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits, 32 URL-safe characters


# --- starting a play --------------------------------------------------------------------------


@dataclass(frozen=True)
class StartedPlay:
    listener_id: int
    play_id: str
    track_id: int
    started_at: datetime
    expires_at: datetime
    count_after_ms: int
    metered_until_ms: int | None  # audio handed out before the count (None: the whole track)
    duration_ms: int
    formats: tuple[str, ...]
    gain_db: float | None
    has_waveform: bool
    costs_nothing: str | None  # "owned", "free" or "own_artist"
    play_number: int | None  # the number this play gets if counted (None when it costs nothing)
    price: int  # micro-credits it will cost if counted
    quote: reads.PlayQuote
    replayed: bool = False  # a retried Idempotency-Key: the play it started before
    evicted: str | None = None  # the idle play closed to make room for this one


# A start in one statement (one round trip): the caller (``CALLER_SQL``: a session's user, or
# the user of a Bearer token), then, for a caller who is not suspended, the start itself
# (``streaming_start``, the only implementation of its rules: see
# ``app.streaming.models.start_function_statements``). Without a caller no row comes back; for
# a suspended one only its ``caller_*`` columns (the function does not run: nothing is locked
# or written).
_START = DriverStatement(
    text(
        """
WITH who AS ("""
        + CALLER_SQL
        + """),
started AS (
  -- the filter applies to ``who`` before the function is called (a condition beside the
  -- call, in a join's ON or a subquery's WHERE, would be checked after it had run)
  SELECT s.* FROM who CROSS JOIN LATERAL streaming_start(
    who.caller_id, who.caller_role, :track_id, :start_key, :now, :today, :play_id, :max_open, :grace,
    :end_tolerance, :margin_ms, :idle_before) s
  WHERE who.caller_suspended_at IS NULL
)
SELECT who.*, started.* FROM who LEFT JOIN started ON true
"""
        # Its columns named in order: the row is read by position (see DriverStatement).
    ).columns(*(column(name) for name in (*CALLER_COLUMNS, *(name for name, _ in START_COLUMNS))))
)


def _checked_start_key(key: str | None) -> str | None:
    """An Idempotency-Key: 1 to 255 visible ASCII characters (a UUID is the usual choice)."""
    if key is None:
        return None
    if not 0 < len(key) <= START_KEY_LENGTH or not all("!" <= c <= "~" for c in key):
        raise ValidationFailed(
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters.", field="Idempotency-Key"
        )
    return key


def preview_url(track_id: int) -> str:
    return url_for("api.record_preview", track_id=track_id)


def start_play(caller: Caller, track_id: int, start_key: str | None = None) -> StartedPlay:
    """Open a play of a ready track for ``caller`` (see ``app.accounts.callers``), in one
    statement. Nothing is charged now: the quote says what the play will cost if it is counted.
    401 without a user, 403 for a suspended account; 402 when the wallet cannot pay that (the
    track is not owned, not free, not the listener's own); 409 with too many plays open and none
    of them idle (an idle one is closed to make room).

    ``start_key`` (the request's Idempotency-Key) makes the start retryable: a start with a
    key this listener used before answers that play again (``replayed``: its id, times and
    terms; the quote as it is now), whatever its state; the key with another track is a 422
    ``idempotency_key_reused``."""
    now = utcnow()
    cfg = current_app.config
    limit = int(cfg["STREAM_MAX_OPEN_PLAYS"])
    play_id = new_play_id()
    row = _START.first(
        db.session,
        {
            **caller.params(),
            "track_id": track_id,
            "now": now,
            "today": now.date(),
            "play_id": play_id,
            "max_open": limit,
            "grace": int(cfg["STREAM_GRACE_SECONDS"]),
            "end_tolerance": END_TOLERANCE_MS,
            "margin_ms": int(cfg["STREAM_METERED_MARGIN_SECONDS"]) * 1000,
            "start_key": _checked_start_key(start_key),
            "idle_before": now - timedelta(seconds=int(cfg["STREAM_IDLE_SECONDS"])),
        },
    )
    callers.refused_unless_allowed(caller, row, "play")
    refusal = row.refusal if row.id is not None else "not_found"
    if refusal == "key_reused":
        raise ValidationFailed(
            "This Idempotency-Key started a play of another track; use a new key for each start.",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    if refusal == "not_found":
        raise NotFound(f"There is no track {track_id}.")
    if refusal == "taken_down":
        raise Forbidden("This track was taken down after a legal claim; it cannot be played.", code="taken_down")
    if refusal == "no_stream":
        raise NotFound("This track has no stream yet.", code="no_stream")
    if refusal == "too_many_open_plays":
        raise Conflict(
            f"You already have {row.open_plays} plays open; stop one first (at most {limit}).",
            code="too_many_open_plays",
            open_plays=row.open_plays,
            limit=limit,
            open_plays_url=url_for("api.open_plays"),
        )
    if refusal == "no_pricing":
        raise service_error_for(ledger.NoPricingVersion("no pricing version is in force")) from None
    quote = reads.quote_of(row)
    if refusal == "payment_required":
        raise PaymentRequired(
            f"Not enough credits: this play costs {format_credits(quote.next_price)} and your balance is "
            f"{format_credits(quote.balance)}. The 30-second preview is free.",
            balance=quote.balance,
            price=quote.next_price,
            preview_url=preview_url(track_id),
        )
    replayed = refusal == "replay"
    costs_nothing = row.costs_nothing
    count_after_ms = row.replay_count_after_ms if replayed else row.count_after_ms
    if replayed:  # the terms the play got at its start (the margin then, as a rule the same)
        until = None if costs_nothing else metered_until_ms(count_after_ms, cfg["STREAM_METERED_MARGIN_SECONDS"])
    else:
        until = row.metered_until_ms
    return StartedPlay(
        listener_id=row.caller_id,
        play_id=row.replay_id if replayed else play_id,
        track_id=row.id,
        started_at=row.replay_started_at if replayed else now,
        expires_at=row.replay_expires_at if replayed else row.expires_at,
        count_after_ms=count_after_ms,
        metered_until_ms=until,
        duration_ms=row.length_ms,
        formats=tuple(f for f, key in (("mp3", row.stream_mp3_key), ("opus", row.stream_opus_key)) if key),
        gain_db=row.gain_db,
        has_waveform=bool(row.has_waveform),
        costs_nothing=costs_nothing,
        play_number=None if costs_nothing else quote.plays_counted + 1,
        price=0 if costs_nothing else quote.next_price,
        quote=quote,
        replayed=replayed,
        evicted=row.evicted,
    )


# --- progress reports -------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """What a progress report did. ``result`` is the ledger's record once counted."""

    listener_id: int
    play_id: str
    position_ms: int
    count_after_ms: int
    counted: bool
    result: ledger.PlayResult | None = None
    balance: int | None = None
    wait_ms: int = 0  # server time still needed before the play can count
    plays_counted: int | None = None  # progress to owning the track, once counted
    plays_to_own: int | None = None
    credits_to_own: int | None = None
    owned: bool = False


def _checked_id(play_id: str) -> str:
    if len(play_id) > 64:  # ids are 32 characters; do not send longer strings to the database
        raise NotFound("There is no such play.")
    return play_id


def _own_play(user: User, play_id: str) -> Play:
    play = db.session.get(Play, _checked_id(play_id), with_for_update={"key_share": True})
    # Someone else's play is "not found": play ids are secrets, and we do not confirm them.
    if play is None or play.listener_id != user.id:
        raise NotFound("There is no such play.")
    return play


# A progress report in one statement (one round trip): find the caller (``CALLER_SQL``), lock
# their play's row (which serialises reports of one play), decide the step (counted before,
# expired, still waiting, or count now), charge through the ledger's function
# (``ledger_charge_play``, with the terms fixed at the start) when it is time, and record the
# position and the count. A refusal of the charge (not enough credits...) leaves the play row
# untouched. Without a caller no row comes back; for a suspended one, or a play that is not the
# caller's, only the ``caller_*`` columns (nothing is locked or written). Its columns, in order:
# the caller's, the report's (``_REPORT_COLUMNS``, as the last SELECT names them), the charge's.
_REPORT_COLUMNS = ("step", "the_play", "track_id", "new_position", "count_after_ms", "wait_ms", "counted_play_id")
_REPORT = DriverStatement(
    text(
        """
WITH who AS ("""
        + CALLER_SQL
        + """),
p AS (
  SELECT plays.* FROM plays JOIN who ON plays.listener_id = who.caller_id AND who.caller_suspended_at IS NULL
  WHERE plays.id = :play_id
  FOR NO KEY UPDATE OF plays
),
r AS (
  SELECT p.*, greatest(p.position_ms, :position) AS new_position,
         greatest(0, p.count_after_ms - :tolerance - e.elapsed_ms) AS wait_ms,
         CASE WHEN p.counted_at IS NOT NULL THEN 'counted_before'
              WHEN p.ended_at IS NOT NULL OR :now >= p.expires_at THEN 'expired'
              WHEN greatest(p.position_ms, :position) < p.count_after_ms
                OR p.count_after_ms - :tolerance - e.elapsed_ms > 0 THEN 'waiting'
              ELSE 'count' END AS step
  FROM p, LATERAL (SELECT floor(extract(epoch FROM :now - p.started_at) * 1000)::bigint AS elapsed_ms) e
),
c AS (
  SELECT ch.* FROM r CROSS JOIN LATERAL ledger_charge_play(
    r.id, r.listener_id, r.track_id, r.artist_id, r.track_free, r.listener_is_artist, r.started_at, :now) ch
  WHERE r.step = 'count'
),
u AS (
  UPDATE plays SET position_ms = r.new_position, reported_at = :now,
         counted_at = CASE WHEN c.outcome IN ('ok', 'replayed') THEN :now ELSE plays.counted_at END,
         ledger_play_id = CASE WHEN c.outcome IN ('ok', 'replayed') THEN c.play_id ELSE plays.ledger_play_id END
  FROM r LEFT JOIN c ON true
  WHERE plays.id = r.id AND r.step <> 'expired' AND (c.outcome IS NULL OR c.outcome IN ('ok', 'replayed'))
    AND (r.new_position <> r.position_ms OR c.outcome IS NOT NULL)
  RETURNING plays.id
)
SELECT who.*, r.step, r.id AS the_play, r.track_id, r.new_position, r.count_after_ms, r.wait_ms,
       r.ledger_play_id AS counted_play_id, c.*
FROM who LEFT JOIN r ON true LEFT JOIN c ON true
"""
    ).columns(*(column(name) for name in (*CALLER_COLUMNS, *_REPORT_COLUMNS, *PLAY_OUTCOME_NAMES)))
)


def record_progress(caller: Caller, play_id: str, position_ms: int) -> Progress:
    """Record the player's position; count (and charge) the play once it qualifies, in one
    database call (see ``_REPORT``). 401 without a user, 403 for a suspended account."""
    if isinstance(position_ms, bool) or not isinstance(position_ms, int) or position_ms < 0:
        raise ValidationFailed("'position_ms' must be a whole number of milliseconds, 0 or more.", field="position_ms")
    now = utcnow()
    row = _REPORT.first(
        db.session,
        {
            **caller.params(),
            "play_id": _checked_id(play_id),
            "now": now,
            "position": min(position_ms, 24 * 3600 * 1000),
            "tolerance": SERVER_TIME_TOLERANCE_MS,
        },
    )
    callers.refused_unless_allowed(caller, row, "play")
    listener_id = row.caller_id
    if row.step is None:  # someone else's play is "not found" too: play ids are secrets
        raise NotFound("There is no such play.")
    if row.step == "counted_before":
        return _counted_already(
            listener_id, row.the_play, row.track_id, row.count_after_ms, row.new_position, row.counted_play_id
        )
    if row.step == "expired":
        raise PlayExpired("This play has ended; start a new one.")
    if row.step == "waiting":
        return Progress(
            listener_id=listener_id,
            play_id=row.the_play,
            position_ms=row.new_position,
            count_after_ms=row.count_after_ms,
            counted=False,
            wait_ms=row.wait_ms,
        )
    try:
        result = ledger.operations.play_result(row, row.the_play)
    except ledger.LedgerError as exc:
        raise service_error_for(exc) from None
    if result.replayed:  # the ledger saw this key before (cannot happen under the row lock)
        return _counted_already(
            listener_id, row.the_play, row.track_id, row.count_after_ms, row.new_position, result.play_id
        )
    return Progress(
        listener_id=listener_id,
        play_id=row.the_play,
        position_ms=row.new_position,
        count_after_ms=row.count_after_ms,
        counted=True,
        result=result,
        balance=result.balance_after,
        plays_counted=result.play_number,
        plays_to_own=result.plays_to_own,
        credits_to_own=result.credits_to_own,
        owned=result.owned_after or result.kind is ledger.PlayKind.OWNED,
    )


def _counted_already(
    listener_id: int, play_id: str, track_id: int, count_after_ms: int, position: int, ledger_play_id: int
) -> Progress:
    """The answer to a report about a play that was counted before: its first result."""
    record = db.session.get(LedgerPlay, ledger_play_id)
    result = ledger.PlayResult(
        play_id=record.id,
        kind=record.kind,
        play_number=record.play_number,
        price=record.price,
        artist_part=record.artist_part,
        coop_part=record.coop_part,
        pricing_version_id=record.pricing_version_id,
        transfer_id=record.transfer_id,
        owned_after=False,
        replayed=True,
    )
    progress = reads.track_progress(db.session, listener_id, track_id)
    return Progress(
        listener_id=listener_id,
        play_id=play_id,
        position_ms=position,
        count_after_ms=count_after_ms,
        counted=True,
        result=result,
        balance=reads.wallet_balance(db.session, listener_id),
        plays_counted=progress.plays_counted,
        plays_to_own=progress.plays_to_own,
        credits_to_own=0 if record.kind is not ledger.PlayKind.CHARGED else progress.credits_to_own,
        owned=progress.owned,
    )


def open_plays(user: User) -> list[Play]:
    """The listener's open plays (not ended, not expired), oldest first: what counts against
    the open-plays limit, so a client that lost a start's answer can see and end them."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(Play)
            .where(Play.listener_id == user.id, Play.ended_at.is_(None), Play.expires_at > now)
            .order_by(Play.started_at, Play.id)
        )
    )


def end_play(user: User, play_id: str) -> Play:
    """The player moved on: the play closes (its stream URLs stop working; it can no longer
    count) and no longer counts against the open-plays limit. Ending twice is harmless."""
    play = _own_play(user, play_id)
    if play.ended_at is None:
        play.ended_at = utcnow()
    return play


# --- streams ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamTarget:
    key: str  # the object to send: the whole rendition, or the play's head of it
    mimetype: str
    seconds_left: int  # until the play expires
    head_bytes: int | None = None  # the key is a head of this many bytes (the play has not counted)
    until_ms: int | None = None  # ... holding at most this much audio


def stream_target(
    user: User, play_id: str, fmt: str, *, asks_from: int | None = None, may_count: bool = True
) -> StreamTarget:
    """The object behind a play's stream URL, for its own listener while the play is open:
    the whole rendition for an unmetered or counted play, else its head (``app.streaming.
    metering``). ``asks_from`` is the first byte the client asks for (a Range request's start):
    asking past the head is asking for the audio past the count point, which counts the play
    when the server's clock allows (and ``may_count``: a GET), else answers 409 ``not_counted_yet``
    with the wait. Any other entry point serving a play's audio (Subsonic) calls this too."""
    if fmt not in FORMATS:
        raise NotFound("There is no stream in that format.")
    column, mimetype = FORMATS[fmt]
    row = db.session.execute(
        select(
            Play.listener_id,
            Play.expires_at,
            Play.ended_at,
            Play.counted_at,
            Play.metered_until_ms,
            Play.count_after_ms,
            Play.track_id,
            getattr(TrackAudio, column).label("key"),
            TrackAudio.stream_cuts,
        )
        .join(TrackAudio, TrackAudio.track_id == Play.track_id)
        .where(Play.id == _checked_id(play_id))
    ).first()
    if row is None or row.listener_id != user.id:
        raise NotFound("There is no such play.")
    now = utcnow()
    if row.ended_at is not None or now >= row.expires_at:
        raise PlayExpired("This play has ended; start a new one.")
    if not row.key:
        raise NotFound("There is no stream in that format.")
    seconds_left = int((row.expires_at - now).total_seconds())
    whole = StreamTarget(row.key, mimetype, seconds_left)
    if row.metered_until_ms is None or row.counted_at is not None:
        return whole
    cuts = row.stream_cuts or packaging.stream_cuts(row.track_id)  # packaged now if it was not
    n = metering.allowed_bytes(cuts, fmt, row.metered_until_ms, counted=False)
    if n is None:  # the head would be the whole track (a short track)
        return whole
    if asks_from is not None and asks_from >= n:
        _count_for_the_rest(user, play_id, row.count_after_ms, may_count)
        return whole
    key = packaging.ensure_head(row.key, cuts["token"], n, mimetype)
    return StreamTarget(key, mimetype, seconds_left, head_bytes=n, until_ms=row.metered_until_ms)


def _count_for_the_rest(user: User, play_id: str, count_after_ms: int, may_count: bool) -> None:
    """The client asks for the audio past the count point: count the play now, as a progress
    report at the count point would, or say how long to wait."""
    progress = record_progress(Caller.of(user), play_id, count_after_ms) if may_count else None
    if progress is not None and progress.counted:
        return
    wait_ms = progress.wait_ms if progress is not None else 0
    raise Conflict(
        f"This play has not counted yet: the audio past the count point comes once it has (in {-(-wait_ms // 1000)} s)."
        if may_count
        else "Ask with GET: asking for the rest counts the play.",
        code="not_counted_yet",
        wait_ms=wait_ms,
        retry_after_seconds=max(1, -(-wait_ms // 1000)),
    )


def range_start(ranges) -> int | None:
    """The furthest first byte a parsed Range header (werkzeug's ``Range``, or None) asks for:
    the ``asks_from`` of ``stream_target``. Suffix ranges count from the end of what is
    served, so never past it; None without a byte range."""
    starts = (
        [start for start, _ in ranges.ranges if start >= 0] if ranges is not None and ranges.units == "bytes" else []
    )
    return max(starts) if starts else None


def stream_window(user: User, play_id: str, fmt: str) -> tuple[int | None, int | None]:
    """The byte range allowed for this play right now, without counting it: ``(n, until_ms)``
    when only bytes ``[0, n)`` (at most ``until_ms`` of audio) may be sent, ``(None, None)``
    for the whole rendition. For entry points that serve bytes themselves."""
    target = stream_target(user, play_id, fmt, may_count=False)
    return target.head_bytes, target.until_ms


# --- previews ---------------------------------------------------------------------------------


def record_preview(user: User | None, track_id: int) -> tuple[PreviewPlay, TrackAudio]:
    """Note that a preview is being played (by a visitor when ``user`` is None)."""
    track = get_public_track(track_id, user)
    if track.audio is None or not track.audio.preview_key:
        raise NotFound("This track has no preview.")
    preview = PreviewPlay(track_id=track.id, listener_id=user.id if user else None, at=utcnow())
    db.session.add(preview)
    db.session.flush()
    return preview, track.audio


# --- ownership --------------------------------------------------------------------------------


def can_download_original(user: User, track: Track) -> bool:
    """The original file is for the artist's managers (and admins) and for the track's owners."""
    if not user.is_authenticated:
        return False
    if moderation.is_taken_down(track):
        return user.is_admin
    return user.can_manage(track.artist) or reads.owns(db.session, user.id, track.id)


def require_original_access(user: User, track: Track) -> None:
    if not can_download_original(user, track):
        raise Forbidden("Only the track's owners and its artist can download the original.")


# --- what pages show --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackStanding:
    """A listener's standing on one track, as shown next to it."""

    plays_counted: int
    plays_to_own: int
    owned: bool
    costs_nothing: str | None  # "free" or "own_artist"
    next_price: int | None
    credits_to_own: int

    @property
    def label(self) -> str:
        if self.costs_nothing == "own_artist":
            return "your track"
        if self.costs_nothing == "free":
            return "free"
        if self.owned:
            return "owned"
        return f"{self.plays_counted} of {self.plays_to_own} plays"


def standings(user, tracks) -> dict[int, TrackStanding]:
    """Each track's standing for ``user`` (empty for visitors), in three queries."""
    tracks = list(tracks)
    if not tracks or not getattr(user, "is_authenticated", False):
        return {}
    version = ledger.pricing_in_force(db.session)
    summary = reads.progress_for_tracks(db.session, user.id, [t.id for t in tracks])
    managed = {a.id for a in user.artists}
    out = {}
    for track in tracks:
        s = summary.get(track.id, reads.ProgressSummary(0, False))
        owned = s.owned or s.plays_counted >= version.plays_to_own
        costs_nothing = "own_artist" if track.release.artist_id in managed else "free" if track.free else None
        out[track.id] = TrackStanding(
            plays_counted=s.plays_counted,
            plays_to_own=version.plays_to_own,
            owned=owned,
            costs_nothing=costs_nothing,
            next_price=None if owned or costs_nothing else ledger.play_price(version, s.plays_counted + 1),
            credits_to_own=0 if owned or costs_nothing else ledger.remaining_cost(version, s.plays_counted),
        )
    return out


def _clock(ms: int) -> str:
    """m:ss, rounded down: a play stopped at 44.9 s stopped before 0:45, and says so."""
    seconds = max(0, ms) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass(frozen=True)
class HistoryItem:
    play: Play
    track: Track | None
    kind: ledger.PlayKind | None  # None: not counted
    play_number: int | None
    price: int

    def not_counted(self, now: datetime) -> tuple[str, str, str] | None:
        """Why this play was not counted, against its own count point (the pricing version's
        count-after when it started, or the end of a shorter track), as (case, reached, count
        point): case "open" (still playing), "early" (stopped before the count point) or
        "unpaid"; None once counted. Pages word the case in their language."""
        play = self.play
        if self.kind is not None or play.counted_at is not None:
            return None
        at, point = _clock(play.position_ms), _clock(play.count_after_ms)
        if play.ended_at is None and play.expires_at > now:
            return "open", at, point
        if play.position_ms < play.count_after_ms:
            return "early", at, point
        # Past the position but not counted: the server's clock had not run to the count point
        # (skipped ahead), or the wallet could not pay when it was reached.
        return "unpaid", at, point

    def not_counted_reason(self, now: datetime) -> str | None:
        """The reason of ``not_counted`` in English (the JSON API's wording)."""
        found = self.not_counted(now)
        if found is None:
            return None
        case, at, point = found
        if case == "open":
            return f"still open: at {at}, counts at {point}"
        if case == "early":
            return f"stopped at {at}, before {point}"
        return f"reached {at} before {point} of listening time had passed, or the wallet could not pay"


def count_point_ms() -> int:
    """The count point of plays started now: the pricing version in force's count-after."""
    return ledger.pricing_in_force(db.session).count_after_seconds * 1000


def count_point_text() -> str:
    return _clock(count_point_ms())


def listening_history(user: User, *, limit: int = 50, offset: int = 0) -> list[HistoryItem]:
    """The listener's plays, newest first, each with what the ledger charged for it (nothing
    for plays that were never counted)."""
    rows = db.session.execute(
        select(Play, LedgerPlay.kind, LedgerPlay.play_number, LedgerPlay.price)
        .outerjoin(LedgerPlay, LedgerPlay.id == Play.ledger_play_id)
        .where(Play.listener_id == user.id)
        .order_by(Play.started_at.desc(), Play.id)
        .limit(limit)
        .offset(offset)
    ).all()
    tracks = tracks_by_id(row.Play.track_id for row in rows)
    return [
        HistoryItem(row.Play, tracks.get(row.Play.track_id), row.kind, row.play_number, row.price or 0) for row in rows
    ]
