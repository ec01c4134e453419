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
from sqlalchemy import bindparam, exists, func, select

import ledger
from app.core.extensions import db
from app.accounts.models import ArtistMember, User
from app.streaming.models import Play, PreviewPlay
from app.catalog.models import Release, Track, TrackStatus
from app.uploads.models import TrackAudio
from app.core.types import utcnow
from app.core.errors import (Conflict, Forbidden, NotFound, PaymentRequired, PlayExpired, ValidationFailed,
                             service_error_for)
from app.payments.services.wallet import tracks_by_id
from ledger import reads
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
    play_id: str
    track_id: int
    started_at: datetime
    expires_at: datetime
    count_after_ms: int
    duration_ms: int
    formats: tuple[str, ...]
    gain_db: float | None
    has_waveform: bool
    costs_nothing: str | None  # "owned", "free" or "own_artist"
    play_number: int | None  # the number this play gets if counted (None when it costs nothing)
    price: int  # micro-credits it will cost if counted
    quote: reads.PlayQuote


_plays = Play.__table__
_INSERT_PLAY = _plays.insert()
_LOCK_PLAY = select(_plays).where(_plays.c.id == bindparam("play_id")).with_for_update(key_share=True)
_UPDATE_PLAY = _plays.update().where(_plays.c.id == bindparam("play_id"))

# Everything a start needs from the web layer's tables, in one round trip: the track (with
# its artist and renditions), how many plays the listener has open, and whether they manage
# the track's artist. It locks the listener's row (NO KEY: plays' foreign keys still share
# it), so two starts at once cannot both slip under the open-plays limit.
_START_STATE = (
    select(
        Track.id, Track.status, Track.free, Track.duration_ms, Release.artist_id,
        TrackAudio.stream_mp3_key, TrackAudio.stream_opus_key, TrackAudio.gain_db, TrackAudio.source_duration_ms,
        TrackAudio.peaks.is_not(None).label("has_waveform"),
        select(func.count())
        .select_from(Play)
        .where(Play.listener_id == bindparam("listener_id"), Play.ended_at.is_(None),
               Play.expires_at > bindparam("now"))
        .scalar_subquery()
        .label("open_plays"),
        exists()
        .where(ArtistMember.user_id == bindparam("listener_id"), ArtistMember.artist_id == Release.artist_id)
        .label("is_artist"),
    )
    .select_from(User)
    .join(Track, Track.id == bindparam("track_id"))
    .join(Release, Release.id == Track.release_id)
    .outerjoin(TrackAudio, TrackAudio.track_id == Track.id)
    .where(User.id == bindparam("listener_id"))
    .with_for_update(key_share=True, of=User.__table__)
)


def preview_url(track_id: int) -> str:
    return url_for("api.record_preview", track_id=track_id)


def start_play(user: User, track_id: int) -> StartedPlay:
    """Open a play of a ready track for ``user``. Nothing is charged now: the quote says what
    the play will cost if it is counted. 402 when the wallet cannot pay that (the track is
    not owned, not free, not the listener's own); 409 with too many plays open."""
    now = utcnow()
    cfg = current_app.config
    track = db.session.execute(_START_STATE, {"listener_id": user.id, "track_id": track_id, "now": now}).first()
    if track is None or track.status is not TrackStatus.READY:
        raise NotFound(f"There is no track {track_id}.")
    if not track.stream_mp3_key:
        raise NotFound("This track has no stream yet.", code="no_stream")
    limit = int(cfg["STREAM_MAX_OPEN_PLAYS"])
    if track.open_plays >= limit:
        raise Conflict(
            f"You already have {track.open_plays} plays open; stop one first (at most {limit}).",
            code="too_many_open_plays", open_plays=track.open_plays, limit=limit,
        )
    try:
        quote = reads.play_quote(db.session, user.id, track.id, now)
    except ledger.LedgerError as exc:
        raise service_error_for(exc) from None

    is_artist = bool(track.is_artist)
    costs_nothing = "own_artist" if is_artist else "owned" if quote.owned else "free" if track.free else None
    price = 0 if costs_nothing else quote.next_price
    if price and quote.balance < price:
        raise PaymentRequired(
            f"Not enough credits: this play costs {format_credits(price)} and your balance is "
            f"{format_credits(quote.balance)}. The 30-second preview is free.",
            balance=quote.balance, price=price, preview_url=preview_url(track.id),
        )

    duration_ms = track.duration_ms or track.source_duration_ms or 0
    threshold = min(quote.count_after_seconds * 1000, max(duration_ms - END_TOLERANCE_MS, 1))
    play_id = new_play_id()
    expires_at = now + timedelta(milliseconds=duration_ms, seconds=int(cfg["STREAM_GRACE_SECONDS"]))
    # Core, not the unit of work: this is the hot path, and nothing here needs the ORM object.
    db.session.connection().execute(_INSERT_PLAY, dict(
        id=play_id, listener_id=user.id, track_id=track.id, artist_id=track.artist_id, track_free=track.free,
        listener_is_artist=is_artist, started_at=now, expires_at=expires_at, count_after_ms=threshold, position_ms=0,
    ))
    return StartedPlay(
        play_id=play_id, track_id=track.id, started_at=now, expires_at=expires_at, count_after_ms=threshold,
        duration_ms=duration_ms,
        formats=tuple(f for f, key in (("mp3", track.stream_mp3_key), ("opus", track.stream_opus_key)) if key),
        gain_db=track.gain_db, has_waveform=bool(track.has_waveform), costs_nothing=costs_nothing,
        play_number=None if costs_nothing else quote.plays_counted + 1, price=price, quote=quote,
    )


# --- progress reports -------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """What a progress report did. ``result`` is the ledger's record once counted."""

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


def record_progress(user: User, play_id: str, position_ms: int) -> Progress:
    """Record the player's position; count (and charge) the play once it qualifies.

    The hot path: Core statements on the play's row (locked, which serialises reports of one
    play), then the ledger's charge; no ORM unit of work.
    """
    if isinstance(position_ms, bool) or not isinstance(position_ms, int) or position_ms < 0:
        raise ValidationFailed("'position_ms' must be a whole number of milliseconds, 0 or more.", field="position_ms")
    connection = db.session.connection()
    play = connection.execute(_LOCK_PLAY, {"play_id": _checked_id(play_id)}).first()
    if play is None or play.listener_id != user.id:
        raise NotFound("There is no such play.")
    position = max(play.position_ms, min(position_ms, 24 * 3600 * 1000))
    if play.counted_at is not None:
        if position != play.position_ms:  # how far the listener got, for the history
            connection.execute(_UPDATE_PLAY, {"play_id": play.id, "position_ms": position})
        return _counted_already(user, play, position)
    now = utcnow()
    if play.ended_at is not None or now >= play.expires_at:
        raise PlayExpired("This play has ended; start a new one.")
    elapsed_ms = (now - play.started_at) // timedelta(milliseconds=1)
    wait_ms = max(0, play.count_after_ms - SERVER_TIME_TOLERANCE_MS - elapsed_ms)
    if position < play.count_after_ms or wait_ms > 0:
        if position != play.position_ms:
            connection.execute(_UPDATE_PLAY, {"play_id": play.id, "position_ms": position})
        return Progress(play_id=play.id, position_ms=position, count_after_ms=play.count_after_ms, counted=False,
                        wait_ms=wait_ms)

    try:
        result = ledger.charge_play(
            db.session, key=play.id, listener_id=play.listener_id, track_id=play.track_id, artist_id=play.artist_id,
            track_is_free=play.track_free, listener_is_artist=play.listener_is_artist, at=play.started_at,
        )
    except ledger.LedgerError as exc:
        raise service_error_for(exc) from None
    connection.execute(_UPDATE_PLAY, {"play_id": play.id, "position_ms": position, "counted_at": now,
                                      "ledger_play_id": result.play_id})
    if result.replayed:  # the ledger saw this key before (cannot happen under the row lock)
        return _counted_already(user, play, position, ledger_play_id=result.play_id)
    return Progress(
        play_id=play.id, position_ms=position, count_after_ms=play.count_after_ms, counted=True, result=result,
        balance=result.balance_after, plays_counted=result.play_number, plays_to_own=result.plays_to_own,
        credits_to_own=result.credits_to_own, owned=result.owned_after or result.kind is ledger.PlayKind.OWNED,
    )


def _counted_already(user: User, play, position: int, ledger_play_id: int | None = None) -> Progress:
    """The answer to a report about a play that was counted before: its first result."""
    record = db.session.get(LedgerPlay, ledger_play_id or play.ledger_play_id)
    result = ledger.PlayResult(
        play_id=record.id, kind=record.kind, play_number=record.play_number, price=record.price,
        artist_part=record.artist_part, coop_part=record.coop_part, pricing_version_id=record.pricing_version_id,
        transfer_id=record.transfer_id, owned_after=False, replayed=True,
    )
    progress = reads.track_progress(db.session, user.id, play.track_id)
    return Progress(
        play_id=play.id, position_ms=position, count_after_ms=play.count_after_ms, counted=True, result=result,
        balance=reads.wallet_balance(db.session, user.id), plays_counted=progress.plays_counted,
        plays_to_own=progress.plays_to_own,
        credits_to_own=0 if record.kind is not ledger.PlayKind.CHARGED else progress.credits_to_own,
        owned=progress.owned,
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
    key: str
    mimetype: str
    seconds_left: int  # until the play expires


def stream_target(user: User, play_id: str, fmt: str) -> StreamTarget:
    """The object behind a play's stream URL, for its own listener while the play is open."""
    if fmt not in FORMATS:
        raise NotFound("There is no stream in that format.")
    column, mimetype = FORMATS[fmt]
    row = db.session.execute(
        select(Play.listener_id, Play.expires_at, Play.ended_at, getattr(TrackAudio, column).label("key"))
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
    return StreamTarget(row.key, mimetype, int((row.expires_at - now).total_seconds()))


# --- previews ---------------------------------------------------------------------------------


def record_preview(user: User | None, track_id: int) -> tuple[PreviewPlay, TrackAudio]:
    """Note that a preview is being played (by a visitor when ``user`` is None)."""
    track = db.session.get(Track, track_id)
    if track is None or not track.is_public:
        raise NotFound(f"There is no track {track_id}.")
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
            plays_counted=s.plays_counted, plays_to_own=version.plays_to_own, owned=owned,
            costs_nothing=costs_nothing,
            next_price=None if owned or costs_nothing else ledger.play_price(version, s.plays_counted + 1),
            credits_to_own=0 if owned or costs_nothing else ledger.remaining_cost(version, s.plays_counted),
        )
    return out


@dataclass(frozen=True)
class HistoryItem:
    play: Play
    track: Track | None
    kind: ledger.PlayKind | None  # None: not counted
    play_number: int | None
    price: int


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
        HistoryItem(row.Play, tracks.get(row.Play.track_id), row.kind, row.play_number, row.price or 0)
        for row in rows
    ]
