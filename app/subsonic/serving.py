"""Sending bytes to Subsonic apps: play audio through ONE function, covers and downloads.

``serve_play_audio`` is the only way ``/rest/stream`` hands out a play's audio, under the same
metering rule as the web player's stream URL (``streaming.stream_target``): until the play
counts, only its head (the audio up to the count point plus a margin); a Range request that
starts past the head asks for the rest, which counts the play when the server's clock allows
(else a 409 ``not_counted_yet``). The bytes go out through the uploads' object serving (a
presigned redirect with S3, X-Accel-Redirect, or Range requests served here).
"""

from __future__ import annotations

from flask import request

from app.accounts.models import User
from app.streaming import services as streaming

# The uploads API's object serving (presigned redirect, X-Accel-Redirect or Range); the
# streaming API uses it the same way (see the import-linter contract's ignore list).
from app.uploads.api import _serve


def serve_play_audio(user: User, play_id: str, fmt: str, byte_range=None):
    """The audio of ``user``'s open play ``play_id`` in ``fmt`` (``mp3`` or ``opus``), for the
    request's ``byte_range`` (werkzeug's parsed Range header, or None: the whole object)."""
    target = streaming.stream_target(
        user, play_id, fmt, asks_from=streaming.range_start(byte_range), may_count=request.method == "GET"
    )
    response = _serve(target.key, target.mimetype, expires=max(60, target.seconds_left), private=True)
    if target.head_bytes is not None:
        response.headers["Encore-Head-Bytes"] = str(target.head_bytes)
        response.headers["Encore-Metered-Until-Ms"] = str(target.until_ms)
    return response


def serve_object(key: str, mimetype: str, **options):
    """A stored object that is not play audio: cover art, an owned track's original."""
    return _serve(key, mimetype, **options)
