"""Processing an uploaded track in the background, and the files it produces.

``process_track`` fetches the original, runs ``audio.pipeline`` on it in a temporary folder,
stores the renditions and records loudness, gain, peaks, tags and duration. The track ends
``ready``, or ``failed`` with a reason the artist reads on the release page. A store that is
unreachable is a transient failure: the task raises so the queue retries it, and only the
last attempt marks the track failed.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from flask import current_app

from app.extensions import db
from app.models import Release, Track, TrackStatus
from app.models.types import utcnow
from app.services.errors import Conflict
from app.storage import get_store
from audio import pipeline
from audio.artwork import SIZES, cover_renditions
from audio.errors import AudioError, FFmpegError, ImageRejected
from audio.storage import ObjectNotFound, StorageError, StorageUnavailable
from audio.transcode import PREVIEW_MP3, STREAM_MP3, STREAM_OPUS


def rendition_key(track_id: int, name: str) -> str:
    return f"tracks/{track_id}/{name}"


def work_dir() -> str | None:
    return current_app.config.get("UPLOAD_TMP_DIR") or None


def process_track(track_id: int, *, retries_left: int = 0) -> Track | None:
    """Process one track now (the queue calls this); flushes, the caller commits."""
    track = db.session.get(Track, track_id)
    if track is None or track.audio is None:
        return None  # deleted since it was queued
    try:
        result = _run(track)
    except StorageUnavailable:
        if retries_left > 0:
            raise  # the queue retries later; the track stays "processing"
        return _fail(track, "The file store was unreachable while processing. Use “Reprocess” to try again.")
    except ObjectNotFound:
        return _fail(track, "The original file is missing from the store; please upload it again.")
    except FFmpegError as exc:
        last = (exc.detail.strip().splitlines() or [""])[-1][:300]
        return _fail(track, f"We could not transcode this file: {exc}{f' ({last})' if last else ''}.")
    except (AudioError, StorageError) as exc:
        return _fail(track, f"Processing failed: {exc}")
    _apply(track, result)
    return track


def _run(track: Track) -> pipeline.ProcessedAudio:
    audio = track.audio
    store = get_store()
    with tempfile.TemporaryDirectory(prefix="encore-process-", dir=work_dir()) as tmp:
        work = Path(tmp)
        source = store.local_path(audio.original_key)
        if source is None:
            source = work / "original"
            store.download(audio.original_key, source)
        result = pipeline.process_original(source, work, duration_ms=audio.source_duration_ms)
        for rendition, path in result.files.items():
            store.put_file(rendition_key(track.id, rendition.name), path, rendition.content_type)
        if result.tags.cover and track.release.cover_key is None:
            try:
                set_release_cover(track.release, result.tags.cover)  # no previous cover to delete
            except ImageRejected:
                pass  # a broken embedded picture is no reason to fail the track
        result.files = {}  # the files are gone with the folder; the keys are what counts
        return result


def _apply(track: Track, result: pipeline.ProcessedAudio) -> None:
    audio = track.audio
    audio.stream_mp3_key = rendition_key(track.id, STREAM_MP3.name)
    audio.stream_opus_key = rendition_key(track.id, STREAM_OPUS.name)
    audio.preview_key = rendition_key(track.id, PREVIEW_MP3.name)
    audio.preview_start_ms = result.preview_start_ms
    audio.loudness_lufs = result.loudness.integrated_lufs
    audio.true_peak_dbtp = result.loudness.true_peak_dbtp
    audio.gain_db = result.gain_db
    audio.peaks = result.peaks
    tags = result.tags
    audio.tag_title, audio.tag_artist, audio.tag_album = tags.title, tags.artist, tags.album
    audio.tag_track_number, audio.isrc = tags.track_number, tags.isrc
    audio.processed_at = utcnow()
    track.duration_ms = result.duration_ms
    track.status = TrackStatus.READY
    track.status_reason = None
    db.session.flush()


def _fail(track: Track, reason: str) -> Track:
    current_app.logger.warning("track %s failed processing: %s", track.id, reason)
    track.status = TrackStatus.FAILED
    track.status_reason = reason
    db.session.flush()
    return track


def request_reprocess(track: Track) -> Track:
    """Put a ready or failed track back in the queue (the caller commits, then enqueues)."""
    if track.audio is None:
        raise Conflict("This track has no uploaded audio to process.", code="no_audio")
    if track.status is TrackStatus.PROCESSING:
        raise Conflict("This track is being processed already.", code="already_processing")
    track.status = TrackStatus.PROCESSING
    track.status_reason = None
    db.session.flush()
    return track


def cover_prefix(release: Release, data: bytes) -> str:
    return f"releases/{release.id}/cover-{hashlib.sha256(data).hexdigest()[:12]}"


def cover_key(release: Release, size: str) -> str | None:
    return f"{release.cover_key}/{size}.jpg" if release.cover_key else None


def set_release_cover(release: Release, data: bytes) -> str | None:
    """Store ``data`` as the release's cover in every size; returns the previous cover's
    prefix, for the caller to delete (``delete_cover``) once its commit went through.

    Raises ``ImageRejected`` for data that is not an acceptable image (nothing is stored).
    """
    images = cover_renditions(data)
    store = get_store()
    prefix = cover_prefix(release, data)
    written = []
    try:
        for size, jpeg in images.items():
            key = f"{prefix}/{size}.jpg"
            written.append(key)
            store.put_bytes(key, jpeg, "image/jpeg")
    except BaseException:
        for key in written:
            try:
                store.delete(key)
            except StorageError:
                pass
        raise
    old = release.cover_key
    release.cover_key = prefix
    db.session.flush()
    return old if old != prefix else None


def delete_cover(prefix: str | None) -> None:
    """Remove a cover's objects (a replaced cover, or one whose release row was not saved)."""
    if prefix:
        try:
            get_store().delete_prefix(prefix)
        except StorageError:
            current_app.logger.warning("could not delete the cover %s", prefix)


COVER_SIZES = tuple(SIZES)
