"""Accepting audio uploads into a release: check each file, store its original, queue it;
and accepting new audio for a track that has some (a replacement, processed into the next
version while the current one keeps serving).

Either every file of an upload is accepted or none is: a refused file leaves no track row
and no object in the store behind (objects already stored for the upload are deleted).

Titles and order come from the files' tags (title, disc and track number); without a title
tag, from the file name made readable (``title_from_filename``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.accounts.suspension import require_not_suspended
from app.catalog import services as catalog
from app.catalog.models import Release, Track, TrackStatus
from app.core import jobs
from app.core.errors import Conflict, PayloadTooLarge, Unavailable, UnsupportedMediaType, ValidationFailed
from app.core.extensions import db
from app.core.storage import get_store
from app.uploads.models import AudioReplacement, ReplacementStatus, TrackAudio
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


@dataclass
class AcceptedReplacement:
    replacement: AudioReplacement
    stored_keys: list[str]  # for the caller to delete should its commit fail


def original_key(track_id: int, version: int = 1) -> str:
    return processing.rendition_key(track_id, "original", version)


# A leading track number: "01 - ", "1. ", "01_", "3) " ... or a zero-padded "01 " ("99 Luftballons" keeps its 99).
_LEADING_NUMBER = re.compile(r"^(?:\d{1,3}\s*[-._)]+|0\d{0,2}\s)\s*")


def title_from_filename(filename: str) -> str:
    """A title a person would write, from a file name: no extension, no leading track number,
    underscores as spaces (and hyphens and dots too in a name without spaces, like
    "probe-tone"), the first letter upper case: "01 - probe_tone.wav" -> "Probe tone"."""
    stem = Path((filename or "").replace("\\", "/")).stem
    title = re.sub(r"_+", " ", stem).strip()
    if " " not in title:
        title = re.sub(r"[-.]+", " ", title).strip()
    stripped = _LEADING_NUMBER.sub("", title).strip()
    title = re.sub(r"\s+", " ", stripped or title)
    title = title[:1].upper() + title[1:]
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

    # One upload at a time per release: positions are read, then shifted and taken.
    db.session.execute(select(Release.id).where(Release.id == release.id).with_for_update())
    store = get_store()
    stored: list[str] = []
    tracks: list[Track] = []
    try:
        for file, fmt in checked:
            tags = probe.read_tags(str(file.path))
            track = catalog.create_track(
                release,
                title=(tags.title or title_from_filename(file.filename))[:200],
                position=_place(release, tags),
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
                    tag_track_number=tags.track_number,
                    tag_disc_number=tags.disc_number,
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


def _order(disc: int | None, number: int | None) -> tuple[int, int] | None:
    return (disc or 1, number) if number else None


def _place(release: Release, tags: probe.Tags) -> int | None:
    """Where a new track goes: a tagged one before the first track of the release whose
    (disc, track number) tags come after its own, moving the tracks from there down one
    place (their order among themselves never changes); None (the end) otherwise. So files
    uploaded in any order, one request each, end up in the order of their tags."""
    key = _order(tags.disc_number, tags.track_number)
    if key is None:
        return None
    rows = db.session.execute(
        select(Track.position, TrackAudio.tag_disc_number, TrackAudio.tag_track_number)
        .join(TrackAudio, TrackAudio.track_id == Track.id)
        .where(Track.release_id == release.id, TrackAudio.tag_track_number.is_not(None))
        .order_by(Track.position)
    ).all()
    position = next((row.position for row in rows if (_order(row[1], row[2]) or key) > key), None)
    if position is not None:
        _make_room(release, position)
    return position


def _make_room(release: Release, position: int) -> None:
    """Move the release's tracks at ``position`` and after down one place. In two steps
    (through negative positions), because (release, position) is unique at every row."""
    db.session.flush()
    moved = (Track.release_id == release.id) & (Track.position >= position)
    db.session.execute(
        update(Track).where(moved).values(position=-Track.position - 1),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        update(Track).where(Track.release_id == release.id, Track.position < 0).values(position=-Track.position),
        execution_options={"synchronize_session": False},
    )
    for track in release.tracks:
        db.session.expire(track, ["position"])
    db.session.expire(release, ["tracks"])


def replace_audio(track: Track, uploader: User, file: ReceivedFile) -> AcceptedReplacement:
    """Accept new audio for ``track``: check it like an upload, store it as the next
    version's original, and record its processing job (the caller commits, then queues
    ``process_replacement``). The track keeps its current audio until the new one is ready.

    Refused (409) while the track's first processing or another replacement runs, and for a
    file that is already this artist's (this track's current audio included).
    """
    audio = track.audio
    if audio is None:
        raise Conflict(
            "This track has no uploaded audio to replace; upload files to its release instead.", code="no_audio"
        )
    if track.status is TrackStatus.PROCESSING:
        raise Conflict("This track is still being processed; replace its audio once it is ready.", code="processing")
    # One replacement at a time per track: a second request waits here, then sees the first.
    db.session.execute(select(Track.id).where(Track.id == track.id).with_for_update())
    db.session.expire(track, ["replacement"])
    pending = track.replacement
    if pending is not None and pending.status is ReplacementStatus.PROCESSING:
        raise Conflict("New audio for this track is being processed already.", code="already_processing")
    if file.sha256 == audio.sha256:
        raise Conflict(f"{_describe(file)} is the audio this track has already.", code="duplicate_upload", field="file")
    _check_not_duplicate(track.release, file, {})
    waiting = db.session.scalar(
        select(AudioReplacement).where(
            AudioReplacement.artist_id == audio.artist_id,
            AudioReplacement.sha256 == file.sha256,
            AudioReplacement.status == ReplacementStatus.PROCESSING,
        )
    )
    if waiting is not None:
        raise Conflict(
            f"{_describe(file)} is being processed as the new audio of “{waiting.track.title}”.",
            code="duplicate_upload",
            field="file",
        )
    fmt = check_file(file)
    # Versions are never reused (a failed replacement's number stays taken), so the objects of
    # one version are never another's.
    version = max(audio.version, pending.version if pending is not None else 0) + 1
    if pending is not None:
        db.session.delete(pending)
        db.session.flush()
    key = original_key(track.id, version)
    replacement = AudioReplacement(
        track=track,
        artist_id=audio.artist_id,
        uploaded_by_id=uploader.id,
        version=version,
        status=ReplacementStatus.PROCESSING,
        sha256=file.sha256,
        original_key=key,
        original_name=(file.filename or "original")[:255],
        original_size=file.size,
        original_format=fmt.kind,
        original_mime=fmt.mime_type,
        source_duration_ms=fmt.duration_ms,
    )
    db.session.add(replacement)
    db.session.flush()
    try:
        get_store().put_file(key, file.path, fmt.mime_type)
    except StorageUnavailable as exc:
        discard([key])
        raise Unavailable("The file store is unreachable right now; please try again shortly.") from exc
    except StorageError as exc:
        discard([key])
        raise Unavailable("The file could not be stored; please try again later.") from exc
    jobs.record(processing.REPLACE_TASK, track.id)
    return AcceptedReplacement(replacement=replacement, stored_keys=[key])


def is_processing(track: Track) -> bool:
    """Something of the track is being processed: its upload, or new audio for it."""
    replacement = track.replacement
    return track.status is TrackStatus.PROCESSING or (
        replacement is not None and replacement.status is ReplacementStatus.PROCESSING
    )


def discard(keys: list[str]) -> None:
    """Delete objects an upload stored, when the upload as a whole did not go through."""
    store = get_store()
    for key in keys:
        try:
            store.delete(key)
        except StorageError:
            current_app.logger.warning("could not delete %s after a failed upload", key)
