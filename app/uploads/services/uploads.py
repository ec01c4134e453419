"""Accepting audio uploads into a release: check each file, store its original, queue it.

Either every file of an upload is accepted or none is: a refused file leaves no track row
and no object in the store behind (objects already stored for the upload are deleted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.accounts.suspension import require_not_suspended
from app.catalog import services as catalog
from app.catalog.models import Release, Track, TrackStatus
from app.core import jobs
from app.core.errors import Conflict, PayloadTooLarge, Unavailable, UnsupportedMediaType, ValidationFailed
from app.core.extensions import db
from app.core.storage import get_store
from app.uploads.models import TrackAudio
from app.uploads.services import processing
from audio import probe
from audio.errors import AudioTooLong, CorruptAudio, UnsupportedAudio
from audio.storage import StorageError, StorageUnavailable

MAX_FILES_PER_UPLOAD = 50


@dataclass
class ReceivedFile:
    """An uploaded file spooled to a local temporary file, hashed as it arrived."""

    path: Path
    filename: str
    size: int
    sha256: str


@dataclass
class AcceptedUpload:
    tracks: list[Track]
    stored_keys: list[str]  # for the caller to delete should its commit fail


def original_key(track_id: int) -> str:
    return f"tracks/{track_id}/original"


def title_from_filename(filename: str) -> str:
    stem = Path(filename or "").stem
    title = re.sub(r"[_]+", " ", stem).strip()
    title = re.sub(r"^\d{1,3}\s*[-.]\s*", "", title)  # "01 - Song" -> "Song"
    return title[:200] or "Untitled"


def _describe(file: ReceivedFile) -> str:
    return f"“{file.filename}”" if file.filename else "The file"


def upload_limit_bytes() -> int:
    """The largest upload accepted (``MAX_UPLOAD_MB``), in bytes."""
    return int(current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024)


def check_file(file: ReceivedFile) -> probe.AudioFormat:
    """Decide whether one file is acceptable audio; raise the ServiceError that says why not."""
    if file.size > upload_limit_bytes():
        raise PayloadTooLarge(
            f"{_describe(file)} is larger than the upload limit of {current_app.config['MAX_UPLOAD_MB']} MB.",
            field="file",
        )
    max_seconds = current_app.config["MAX_AUDIO_MINUTES"] * 60
    try:
        return probe.identify(str(file.path), max_seconds=max_seconds)
    except UnsupportedAudio as exc:
        raise UnsupportedMediaType(f"{_describe(file)}: {exc}", code="unsupported_audio", field="file") from None
    except AudioTooLong as exc:
        raise ValidationFailed(f"{_describe(file)}: {exc}", code="audio_too_long", field="file") from None
    except CorruptAudio as exc:
        raise ValidationFailed(f"{_describe(file)}: {exc}", code="corrupt_audio", field="file") from None


def _check_not_duplicate(release: Release, file: ReceivedFile, seen: dict[str, str]) -> None:
    if file.sha256 in seen:
        raise Conflict(
            f"{_describe(file)} is the same file as “{seen[file.sha256]}” in this upload.",
            code="duplicate_upload",
            field="file",
        )
    existing = db.session.scalar(
        select(Track)
        .join(TrackAudio, TrackAudio.track_id == Track.id)
        .where(TrackAudio.artist_id == release.artist_id, TrackAudio.sha256 == file.sha256)
    )
    if existing is not None:
        raise Conflict(
            f"{_describe(file)} was already uploaded to {release.artist.name} as “{existing.title}” "
            f"on “{existing.release.title}”.",
            code="duplicate_upload",
            field="file",
            track_id=existing.id,
        )


def add_tracks(release: Release, uploader: User, files: list[ReceivedFile]) -> AcceptedUpload:
    """Check every file, then create a processing track per file and store its original.

    Raises a ServiceError (413, 415, 422, 409, 503) and leaves nothing stored if any file is
    refused. Each track's processing job is recorded with it (``app.core.jobs``); the caller
    commits, then queues ``process_track`` for each track.
    """
    require_not_suspended(uploader, "upload")
    if not files:
        raise ValidationFailed("Choose at least one audio file to upload.", field="file")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise ValidationFailed(f"Upload at most {MAX_FILES_PER_UPLOAD} files at a time.", field="file")

    seen: dict[str, str] = {}
    checked = []
    for file in files:
        _check_not_duplicate(release, file, seen)
        seen[file.sha256] = file.filename
        checked.append((file, check_file(file)))

    store = get_store()
    stored: list[str] = []
    tracks: list[Track] = []
    try:
        for file, fmt in checked:
            tags = probe.read_tags(str(file.path))
            track = catalog.create_track(
                release,
                title=(tags.title or title_from_filename(file.filename))[:200],
                duration_ms=fmt.duration_ms,
                status=TrackStatus.PROCESSING,
            )
            key = original_key(track.id)
            db.session.add(
                TrackAudio(
                    track=track,
                    artist_id=release.artist_id,
                    uploaded_by_id=uploader.id,
                    sha256=file.sha256,
                    original_key=key,
                    original_name=(file.filename or "original")[:255],
                    original_size=file.size,
                    original_format=fmt.kind,
                    original_mime=fmt.mime_type,
                    source_duration_ms=fmt.duration_ms,
                )
            )
            db.session.flush()
            stored.append(key)  # before the put: a put that fails half-way is cleaned up too
            store.put_file(key, file.path, fmt.mime_type)
            # The job commits with the track: a lost queue message is swept up later.
            jobs.record(processing.PROCESS_TASK, track.id)
            tracks.append(track)
    except BaseException as exc:
        discard(stored)
        if isinstance(exc, IntegrityError):  # the same file, uploaded at the same moment
            raise Conflict("This file is being uploaded to this artist already.", code="duplicate_upload") from exc
        if isinstance(exc, StorageUnavailable):
            raise Unavailable("The file store is unreachable right now; please try again shortly.") from exc
        if isinstance(exc, StorageError):
            raise Unavailable("The file could not be stored; please try again later.") from exc
        raise
    return AcceptedUpload(tracks=tracks, stored_keys=stored)


def discard(keys: list[str]) -> None:
    """Delete objects an upload stored, when the upload as a whole did not go through."""
    store = get_store()
    for key in keys:
        try:
            store.delete(key)
        except StorageError:
            current_app.logger.warning("could not delete %s after a failed upload", key)
