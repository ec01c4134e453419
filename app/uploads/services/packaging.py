"""Packaging the stream renditions for metered plays: their cut points, and their heads.

``track_audio.stream_cuts`` holds, per stream format, where the rendition can be cut at each
whole second (``audio.packaging``), and a token naming this packaging. Processing writes it
from the files it just made (no extra ffmpeg pass: the files are read once, in Python).
Tracks processed before metering are packaged by the ``package_streams`` task (queued by the
migration that added the column; idempotent: it only fills what is missing, and resumable:
it commits track by track), or on their first metered play, whichever comes first.

A head (the first ``n`` bytes of a rendition: ``app.streaming.metering``) is stored as its
own object the first time a play needs it, and kept: every metered play of the track under
the same pricing needs the same one.
"""

from __future__ import annotations

import posixpath
import secrets
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from app.core.errors import NotFound
from app.core.extensions import db
from app.core.storage import get_store
from app.uploads.models import TrackAudio
from audio.packaging import STEP_MS, PackagingError, cut_points
from audio.storage import ObjectNotFound

PACKAGE_TASK = "package_streams"
KIND_COLUMNS = {"mp3": "stream_mp3_key", "opus": "stream_opus_key"}


def cuts_of_files(files: dict[str, Path]) -> dict:
    """The ``stream_cuts`` value for rendition files ``{"mp3": path, "opus": path}``."""
    cuts: dict = {"step_ms": STEP_MS, "token": secrets.token_hex(6)}
    for kind, path in files.items():
        cuts[kind] = cut_points(path, kind)
    return cuts


def cuts_from_store(audio: TrackAudio) -> dict:
    """Package a processed track from its stored renditions (downloaded when the store is S3)."""
    store = get_store()
    with tempfile.TemporaryDirectory(dir=current_app.config["UPLOAD_TMP_DIR"]) as tmp:
        files = {}
        for kind, column in KIND_COLUMNS.items():
            key = getattr(audio, column)
            if not key:
                continue
            path = store.local_path(key)
            if path is None:
                path = Path(tmp) / kind
                store.download(key, path)
            files[kind] = path
        return cuts_of_files(files)


def package_track(track_id: int) -> dict | None:
    """Fill in a processed track's ``stream_cuts`` if missing; return them (None: no renditions).
    Written only if still missing and the renditions are still the ones read (a reprocessing
    in between wins)."""
    audio = db.session.get(TrackAudio, track_id)
    if audio is None or not audio.stream_mp3_key:
        return None
    if audio.stream_cuts:
        return audio.stream_cuts
    cuts = cuts_from_store(audio)
    db.session.execute(
        update(TrackAudio)
        .where(
            TrackAudio.track_id == track_id,
            TrackAudio.stream_cuts.is_(None),
            TrackAudio.stream_mp3_key == audio.stream_mp3_key,
            TrackAudio.processed_at == audio.processed_at,
        )
        .values(stream_cuts=cuts)
    )
    db.session.refresh(audio)
    return audio.stream_cuts or cuts


def stream_cuts(track_id: int) -> dict:
    """The track's cut points, packaging it now if it was processed before metering."""
    cuts = db.session.scalar(select(TrackAudio.stream_cuts).where(TrackAudio.track_id == track_id))
    if cuts:
        return cuts
    try:
        packaged = package_track(track_id)
    except (PackagingError, ObjectNotFound):
        packaged = None
    if packaged is None:
        current_app.logger.error("the stream renditions of track %s cannot be packaged", track_id)
        raise NotFound("This track's stream is missing; its artist can reprocess it.")
    return packaged


def head_key(full_key: str, token: str, n: int) -> str:
    """Where the ``n``-byte head of the rendition at ``full_key`` lives: ``tracks/12/heads/
    <token>/stream.mp3-1272000`` (every head of a track is under ``tracks/12/heads``)."""
    folder, name = posixpath.split(full_key)
    return f"{folder}/heads/{token}/{name}-{n}"


def ensure_head(full_key: str, token: str, n: int, content_type: str) -> str:
    """The key of the ``n``-byte head of ``full_key``, stored first if it is not there yet.
    Two requests storing it at once write the same bytes: harmless."""
    key = head_key(full_key, token, n)
    store = get_store()
    if not store.exists(key):
        store.put_bytes(key, store.get_range(full_key, 0, n - 1), content_type)
    return key


def unpackaged_tracks(after_id: int, limit: int) -> list[int]:
    """Processed tracks without cut points after ``after_id``, in id order (``package_streams``)."""
    return list(
        db.session.scalars(
            select(TrackAudio.track_id)
            .where(
                TrackAudio.stream_cuts.is_(None),
                TrackAudio.stream_mp3_key.is_not(None),
                TrackAudio.track_id > after_id,
            )
            .order_by(TrackAudio.track_id)
            .limit(limit)
        )
    )
