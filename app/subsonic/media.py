"""Streaming with Encore's rules: ``stream``, ``scrobble``, ``download``, ``getCoverArt``.

How a Subsonic app's listening becomes counted plays (docs/SUBSONIC.md has the long form):

1. ``stream`` of a song continues this listener's open play of that track (not ended, not
   expired: start + duration + ``STREAM_GRACE_SECONDS``), or starts one through
   ``app.streaming.services.start_play``: the same refusals (402 as error 50 with the price
   and the balance, too many open plays, no pricing) and the same terms as the web player.
   Starting is serialised on the listener's start lock, so parallel requests of one stream
   start one play.
2. A Subsonic app reports no position. It says it has listened with ``scrobble``
   (``submission=true``, the default): that is recorded as a progress report at the play's
   count point, and the server's clock decides, as for the web player (counted only once
   ``count_after`` has passed since the start). A scrobble that comes too early leaves the
   position recorded; the play then counts at the listener's next ``stream`` or ``scrobble``
   once it is due (``settle_due_plays``), while it is still open.
3. A ``stream`` request that continues an open, uncounted play with a Range not starting at 0
   once the play's count-after time has passed on the server is the app fetching more of a
   track it has been playing that long: it counts the play the same way.
4. The play's id is the ledger's idempotency key: however many scrobbles and requests, one
   charge. A scrobble of a track with no open play (played from an offline cache, or from
   another server) counts nothing.
"""

from __future__ import annotations

from datetime import timedelta

from flask import request
from sqlalchemy import select, text

from app.accounts.callers import Caller
from app.catalog.models import Release
from app.core.errors import Conflict, NotFound, PaymentRequired, PlayExpired, ServiceError, TooManyRequests
from app.core.extensions import db
from app.core.ratelimit import count_hit, key_for
from app.core.types import utcnow
from app.streaming import services as streaming
from app.streaming.models import START_LOCK_CLASS, Play
from app.subsonic import browsing, serving
from app.subsonic.entries import OPUS_BITRATE, parse_id
from app.subsonic.protocol import GENERIC, NOT_AUTHORIZED, NOT_FOUND, Call, SubsonicError, method
from app.uploads.services import processing

_LOCK = text("SELECT pg_advisory_xact_lock(:lock_class, :listener)")


def _open_play(user, track_id: int) -> Play | None:
    now = utcnow()
    return db.session.scalar(
        select(Play)
        .where(Play.listener_id == user.id, Play.track_id == track_id, Play.ended_at.is_(None), Play.expires_at > now)
        .order_by(Play.started_at.desc(), Play.id)
        .limit(1)
    )


def settle_due_plays(user) -> None:
    """Count the listener's open plays an app said were listened to (position at the count
    point) once their server time is due; see the module docstring, step 2."""
    now = utcnow()
    due = db.session.execute(
        select(Play.id, Play.position_ms).where(
            Play.listener_id == user.id,
            Play.counted_at.is_(None),
            Play.ended_at.is_(None),
            Play.expires_at > now,
            Play.position_ms >= Play.count_after_ms,
        )
    ).all()
    for play_id, position in due:
        _report(user, play_id, position)


def _report(user, play_id: str, position_ms: int) -> None:
    """A progress report that may not count (too early, expired, a refused charge): in a
    savepoint, so a refusal leaves the request's other work alone."""
    try:
        with db.session.begin_nested():
            streaming.record_progress(Caller.of(user), play_id, position_ms)
    except (PlayExpired, NotFound, ServiceError):
        pass


def _count_start(user) -> None:
    """Plays started from apps are limited like the web player's (``STREAM_START_LIMIT`` per
    listener, counted apart from the web's); continuing a play is not a start."""
    try:
        count_hit("STREAM_START_LIMIT", "subsonic-stream-start", key_for(user.id))
    except TooManyRequests:
        raise SubsonicError(GENERIC, "Too many plays started in a short time; wait a minute and try again.") from None


def _start_or_continue(user, track_id: int) -> Play | streaming.StartedPlay:
    db.session.execute(_LOCK, {"lock_class": START_LOCK_CLASS, "listener": user.id})
    play = _open_play(user, track_id)
    if play is not None:
        return play
    _count_start(user)
    try:
        return streaming.start_play(Caller.of(user), track_id)
    except PaymentRequired as exc:
        raise SubsonicError(NOT_AUTHORIZED, exc.message) from None
    except NotFound as exc:
        raise SubsonicError(NOT_FOUND, exc.message) from None
    except (Conflict, ServiceError) as exc:
        raise SubsonicError(GENERIC, exc.message) from None


def _wants_opus(call: Call) -> bool:
    fmt = (call.get("format") or "").lower()
    if fmt in ("opus", "ogg", "oga"):
        return True
    if fmt in ("mp3",):
        return False
    bitrate = call.integer("maxBitRate", 0)
    return bool(bitrate) and bitrate <= OPUS_BITRATE


@method("stream")
def stream(call: Call):
    _, track_id = parse_id(call.required("id"), "song")
    user = call.user
    settle_due_plays(user)
    play = _start_or_continue(user, track_id)
    play_id = play.id if isinstance(play, Play) else play.play_id
    if isinstance(play, Play) and play.counted_at is None:
        started = request.range is not None and any(start > 0 for start, _ in request.range.ranges)
        due = play.started_at + timedelta(milliseconds=play.count_after_ms - streaming.SERVER_TIME_TOLERANCE_MS)
        if started and utcnow() >= due:
            _report(user, play_id, max(play.position_ms, play.count_after_ms))
    fmt = "opus" if _wants_opus(call) else "mp3"
    try:
        return serving.serve_play_audio(user, play_id, fmt, request.range)
    except NotFound:
        if fmt == "mp3":
            raise
        return serving.serve_play_audio(user, play_id, "mp3", request.range)


@method("scrobble")
def scrobble(call: Call) -> dict:
    values = call.all("id")
    if not values:
        call.required("id")
    user = call.user
    submission = call.boolean("submission", True)
    settle_due_plays(user)
    if submission:
        for value in values:
            _, track_id = parse_id(value, "song")
            play = _open_play(user, track_id)
            if play is not None and play.counted_at is None:
                _report(user, play.id, max(play.position_ms, play.count_after_ms))
    return {}


@method("download")
def download(call: Call):
    track = browsing.track(call, call.required("id"))
    if not streaming.can_download_original(call.user, track):
        raise SubsonicError(NOT_AUTHORIZED, "Only the track's owners and its artist can download it.")
    audio = track.audio
    if audio is None:
        raise SubsonicError(NOT_FOUND, "This track has no uploaded audio.")
    return serving.serve_object(
        audio.original_key, audio.original_mime, download_name=audio.original_name, private=True
    )


_COVER_PIXELS = {"small": 300, "medium": 600, "large": 1200}


def _cover_size(pixels: int | None) -> str:
    """The smallest stored rendition at least ``pixels`` wide (the largest when none is)."""
    for name, width in sorted(_COVER_PIXELS.items(), key=lambda item: item[1]):
        if name in processing.COVER_SIZES and pixels is not None and width >= pixels:
            return name
    return "large" if pixels is not None else "medium"


@method("getCoverArt")
def get_cover_art(call: Call):
    value = call.required("id")
    kind, _ = parse_id(value, "album", "song", "artist")
    if kind == "artist":
        raise SubsonicError(NOT_FOUND, "Artists have no images in Encore.")
    release: Release = browsing.track(call, value).release if kind == "song" else browsing.album_release(call, value)
    key = processing.cover_key(release, _cover_size(call.integer("size", minimum=1)))
    if key is None:
        raise SubsonicError(NOT_FOUND, "This album has no cover art.")
    return serving.serve_object(key, "image/jpeg", max_age=86400)
