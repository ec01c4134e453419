"""Streaming over the API: start a play, stream it, report progress, end it; previews.

The player's loop: ``POST /tracks/<id>/plays`` (a play id, stream URLs, this play's number
and price), GET a stream URL (Range requests, or a redirect to a presigned URL), ``POST
/plays/<id>/progress`` every few seconds until the answer says ``counted``, and ``POST
/plays/<id>/end`` when moving to another track. When the wallet cannot pay, the 402 answer
carries ``preview_url``: ``POST`` there and play the 30-second preview.

Starts are retryable: send an ``Idempotency-Key`` header (a new UUID per start, the same one
on each retry of it, as with Stripe's API). The first start answers 201; a retry answers 200
with the same play (same id, URLs and terms; balance and progress as they are now) and the
header ``Idempotent-Replayed: true``; the key with another track is a 422. ``GET
/me/plays/open`` lists the plays that count against the open-plays limit; ``POST
/plays/<id>/end`` ends one. At the limit, a play idle for ``ENCORE_STREAM_IDLE_SECONDS`` (no
progress report) is closed to make room rather than the start refused.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, jsonify, request, url_for
from flask_login import current_user

from app.accounts import callers
from app.core import metrics
from app.core.api import bp
from app.core.auth import api_login_required
from app.core.errors import Unauthorized
from app.core.inputs import Field, accepts, documented
from app.core.links import link
from app.core.ratelimit import configured, count_hit, counted_by_the_route, key_for, limiter
from app.core.representations import money
from app.streaming import services as streaming
from app.uploads.api import _serve
from audio.transcode import PREVIEW_SECONDS

# The two busiest routes find their caller in their own statement (``app.accounts.callers``)
# and count their rate limits after it, under their endpoints' names.
_START_SCOPE = "api.start_play"
_PROGRESS_SCOPE = "api.report_progress"
counted_by_the_route(_START_SCOPE, _PROGRESS_SCOPE)


def _progress_json(plays_counted, plays_to_own, credits_to_own, owned) -> dict:
    return {
        "plays_counted": plays_counted,
        "plays_to_own": plays_to_own,
        "credits_to_own": money(credits_to_own) if credits_to_own is not None else None,
        "owned": owned,
    }


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "a new unique string (a UUID) per start, the same on its retries: a retry answers the same play",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _play_json(play_id: str, track_id: int, started_at, expires_at, count_after_ms: int, counted: bool) -> dict:
    return {
        "id": play_id,
        "track_id": track_id,
        "started_at": started_at.isoformat(),
        "expires_at": expires_at.isoformat(),
        "count_after_ms": count_after_ms,
        "counted": counted,
        "progress_url": link("api.report_progress", "play_id", play_id),
        "end_url": link("api.end_play", "play_id", play_id),
    }


@bp.post("/tracks/<int:track_id>/plays")
@documented(
    status=201,
    errors=(401, 402, 409),
    headers=(_IDEMPOTENCY_KEY,),
    more_responses={"200": {"description": "A retry with the same Idempotency-Key: the play it started"}},
)
def start_play(track_id: int):
    """Start a play: stream URLs, this play's number and price, your balance. Charged only once counted."""
    caller = callers.from_request()
    if caller is None:
        count_hit("STREAM_START_LIMIT", _START_SCOPE, key_for(None))
        raise Unauthorized(
            "Log in to play whole tracks; the 30-second preview is free.", preview_url=streaming.preview_url(track_id)
        )
    try:
        started = streaming.start_play(caller, track_id, request.headers.get("Idempotency-Key"))
    except Unauthorized:  # an unknown token: counted per address, as the limiter counts nobody
        count_hit("STREAM_START_LIMIT", _START_SCOPE, key_for(None))
        raise
    # Counted once the statement has named the listener; a 429 rolls the start back.
    count_hit("STREAM_START_LIMIT", _START_SCOPE, key_for(started.listener_id))
    quote, play_id = started.quote, started.play_id
    out = dict(
        play={
            "id": play_id,
            "track_id": track_id,
            "started_at": started.started_at.isoformat(),
            "expires_at": started.expires_at.isoformat(),
            "duration_ms": started.duration_ms,
            "count_after_ms": started.count_after_ms,
            # null: the streams are whole; else they hold this much audio until the play counts
            "metered_until_ms": started.metered_until_ms,
            "streams": {fmt: link("api.play_stream", "play_id", play_id, fmt=fmt) for fmt in started.formats},
            "progress_url": link("api.report_progress", "play_id", play_id),
            "end_url": link("api.end_play", "play_id", play_id),
            "waveform_url": url_for("api.track_waveform", track_id=track_id) if started.has_waveform else None,
            "gain_db": started.gain_db,
            "play_number": started.play_number,
            "price": money(started.price),
            "costs_nothing": started.costs_nothing,
        },
        owned=quote.owned,
        progress=_progress_json(
            quote.plays_counted, quote.plays_to_own, 0 if started.costs_nothing else quote.credits_to_own, quote.owned
        ),
        balance=money(quote.balance),
    )
    if started.replayed:
        return jsonify(out), 200, {"Idempotent-Replayed": "true"}
    metrics.record_play_started()
    return jsonify(out), 201


def _with_caller(view):
    """A report names its caller before its body is read: none at all is a 401 (counted per
    address, as the limiter counts nobody), as ``api_login_required`` answers."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        caller = callers.from_request()
        if caller is None:
            count_hit("STREAM_PROGRESS_LIMIT", _PROGRESS_SCOPE, key_for(None))
            raise Unauthorized("Log in or send a valid API token (Authorization: Bearer ...).")
        return view(*args, caller=caller, **kwargs)

    return wrapper


@bp.post("/plays/<play_id>/progress")
@documented(errors=(401, 409, 410))
@_with_caller
@accepts(Field("position_ms", int, description="the player's position in the track, in milliseconds"))
def report_progress(play_id: str, body, caller: callers.Caller):
    """Report the player's position; the play is counted and charged once it passes the threshold."""
    try:
        report = streaming.record_progress(caller, play_id, body["position_ms"])
    except Unauthorized:
        count_hit("STREAM_PROGRESS_LIMIT", _PROGRESS_SCOPE, key_for(None))
        raise
    count_hit("STREAM_PROGRESS_LIMIT", _PROGRESS_SCOPE, key_for(report.listener_id))
    out = {
        "play": {
            "id": report.play_id,
            "position_ms": report.position_ms,
            "count_after_ms": report.count_after_ms,
            "wait_ms": report.wait_ms,
            "counted": report.counted,
        },
        "counted": report.counted,
        "charge": None,
        "balance": None,
        "progress": None,
    }
    if report.counted:
        r = report.result
        out["charge"] = {
            "kind": r.kind.value,
            "play_number": r.play_number,
            "price": money(r.price),
            "replayed": r.replayed,
        }
        out["balance"] = money(report.balance)
        out["progress"] = _progress_json(report.plays_counted, report.plays_to_own, report.credits_to_own, report.owned)
    if report.counted and not report.result.replayed:
        metrics.record_play_counted(report.result.kind.value, report.result.price)
    return jsonify(out)


@bp.post("/plays/<play_id>/end")
@documented(errors=(410,))
@api_login_required
def end_play(play_id: str):
    """End a play (the player moved on): its stream URLs stop working and it no longer counts as open."""
    play = streaming.end_play(current_user, play_id)
    out = {"id": play.id, "ended_at": play.ended_at.isoformat(), "counted": play.counted_at is not None}
    return jsonify(play=out)


@bp.get("/me/plays/open")
@api_login_required
def open_plays():
    """Your open plays (they count against the open-plays limit), oldest first, each with its end URL."""
    plays = streaming.open_plays(current_user)
    return jsonify(
        plays=[
            _play_json(p.id, p.track_id, p.started_at, p.expires_at, p.count_after_ms, p.counted_at is not None)
            | {"position_ms": p.position_ms, "reported_at": p.reported_at.isoformat()}
            for p in plays
        ],
        limit=current_app.config["STREAM_MAX_OPEN_PLAYS"],
    )


_RANGE = {
    "name": "Range",
    "in": "header",
    "required": False,
    "description": "bytes=first-[last]; a first byte at or past a metered head's end asks for the rest (and counts the play)",
    "schema": {"type": "string"},
}


@bp.get("/plays/<play_id>/stream.<fmt>")
@documented(errors=(206, 304, 402, 409, 410, 416), redirects=True, headers=(_RANGE,))
@api_login_required
def play_stream(play_id: str, fmt: str):
    """The audio of your open play (``mp3`` or ``opus``): Range requests, or a redirect to a short-lived URL.

    Metered: until the play counts, this is the head of the track (up to the count point plus
    a margin; its length is the answer's). A Range request starting at or past the head's end
    asks for the rest: the play counts then (when the server's clock allows) and the answer is
    the whole track's bytes; 409 ``not_counted_yet`` (with ``wait_ms`` and Retry-After) when too early.
    """
    target = streaming.stream_target(
        current_user, play_id, fmt, asks_from=_range_start(), may_count=request.method == "GET"
    )
    response = _serve(target.key, target.mimetype, expires=max(60, target.seconds_left), private=True)
    if target.head_bytes is not None:
        response.headers["Encore-Head-Bytes"] = str(target.head_bytes)
        response.headers["Encore-Metered-Until-Ms"] = str(target.until_ms)
    return response


def _range_start() -> int | None:
    # request.range is None when absent or malformed (then the whole of what is served)
    return streaming.range_start(request.range)


@bp.post("/tracks/<int:track_id>/previews")
@documented(status=201)
@limiter.limit(configured("STREAM_PREVIEW_LIMIT"))
def record_preview(track_id: int):
    """Play the free 30-second preview of a track (visitors too): its URL and where it starts."""
    preview, audio = streaming.record_preview(current_user if current_user.is_authenticated else None, track_id)
    out = {
        "id": preview.id,
        "track_id": track_id,
        "url": url_for("api.track_preview", track_id=track_id),
        "start_ms": audio.preview_start_ms,
        "duration_ms": min(int(PREVIEW_SECONDS * 1000), audio.source_duration_ms),
    }
    return jsonify(preview=out), 201
