"""Sending bytes to Subsonic apps: play audio through ONE function, covers and downloads.

``serve_play_audio`` is the only way ``/rest/stream`` hands out a play's audio. Today it sends
the whole rendition exactly as the web player's stream URL does (``streaming.stream_target``
and the uploads' object serving: a presigned redirect with S3, X-Accel-Redirect, or Range
requests served here). When streams become metered (only audio up to the count point plus a
margin before a play counts, decided by a function of ``app.streaming.services``), switch this
one function to that rule and every Subsonic stream follows.
"""

from __future__ import annotations

from app.accounts.models import User
from app.streaming import services as streaming

# The uploads API's object serving (presigned redirect, X-Accel-Redirect or Range); the
# streaming API uses it the same way (see the import-linter contract's ignore list).
from app.uploads.api import _serve


def serve_play_audio(user: User, play_id: str, fmt: str, byte_range=None):
    """The audio of ``user``'s open play ``play_id`` in ``fmt`` (``mp3`` or ``opus``), for the
    request's ``byte_range`` (werkzeug's parsed Range header, or None: the whole object)."""
    target = streaming.stream_target(user, play_id, fmt)
    return _serve(target.key, target.mimetype, expires=max(60, target.seconds_left), private=True)


def serve_object(key: str, mimetype: str, **options):
    """A stored object that is not play audio: cover art, an owned track's original."""
    return _serve(key, mimetype, **options)
