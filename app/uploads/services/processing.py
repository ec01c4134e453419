"""Processing an uploaded track in the background, and the files it produces.

``process_track`` fetches the original, runs ``audio.pipeline`` on it in a temporary folder,
stores the renditions and records loudness, gain, peaks, tags and duration. The track ends
``ready``, or ``failed`` with a reason the artist reads on the upload page. A store that is
unreachable is a transient failure: the task raises so the queue retries it, and only the
last attempt marks the track failed.

Replacing a track's audio runs the same job on an ``AudioReplacement``, into the objects of
the next version (``version_prefix``): the current version keeps serving meanwhile, and
``record_replacement`` switches the track to the new one in one transaction, or records why
it failed and leaves the track as it was. Every outcome names the version it was made for; an
outcome whose version is no longer the one in the database (the audio was replaced while a
reprocess ran) is dropped and its objects deleted.

No database transaction stays open while ffmpeg runs (``load_job`` / ``run_job`` /
``record_outcome``): a long transcode must not pin a PostgreSQL snapshot (which holds back
vacuum) nor keep a pooled connection busy.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.catalog.models import Release, Track, TrackStatus
from app.core import jobs
from app.core.errors import Conflict
from app.core.extensions import db
from app.core.storage import get_store
from app.core.types import utcnow
from app.core.worker import work_folder_prefix
from app.uploads.models import ReplacementStatus, TrackAudio
from app.uploads.services import packaging
from audio import pipeline
from audio.artwork import SIZES, cover_renditions
from audio.errors import AudioError, FFmpegError, ImageRejected
from audio.packaging import PackagingError
from audio.storage import ObjectNotFound, StorageError, StorageUnavailable
from audio.transcode import PREVIEW_MP3, RENDITIONS, STREAM_MP3, STREAM_OPUS

PROCESS_TASK = "process_track"
REPLACE_TASK = "process_replacement"


def version_prefix(track_id: int, version: int = 1) -> str:
    """Where a version's objects live: the first at ``tracks/<id>/`` (as always), later ones
    at ``tracks/<id>/v<n>/``, so a new version never overwrites the one serving."""
    return f"tracks/{track_id}" if version == 1 else f"tracks/{track_id}/v{version}"


def rendition_key(track_id: int, name: str, version: int = 1) -> str:
    return f"{version_prefix(track_id, version)}/{name}"


def version_keys(track_id: int, version: int) -> list[str]:
    """Every object a version may have: its original and its renditions."""
    return [rendition_key(track_id, name, version) for name in ("original", *(r.name for r in RENDITIONS))]


def work_dir() -> str | None:
    return current_app.config["UPLOAD_TMP_DIR"]


@dataclass(frozen=True)
class Job:
    """What processing needs to know about a track, read in one short transaction."""

    track_id: int
    release_id: int
    original_key: str
    duration_ms: int
    release_has_cover: bool
    version: int = 1


@dataclass
class Outcome:
    """What processing produced: a result to record, or the reason it failed."""

    result: pipeline.ProcessedAudio | None = None
    cover_prefix: str | None = None  # an embedded cover stored for a release that had none
    failure: str | None = None
    version: int = 1  # the version it was made for
    stream_cuts: dict | None = None  # where the stream renditions can be cut (metering)


def load_job(track_id: int) -> Job | None:
    """Read what ``run_job`` needs; None when the track (or its audio) is gone."""
    track = db.session.get(Track, track_id)
    if track is None or track.audio is None:
        return None
    return Job(
        track.id,
        track.release_id,
        track.audio.original_key,
        track.audio.source_duration_ms,
        track.release.cover_key is not None,
        track.audio.version,
    )


def load_replacement_job(track_id: int) -> Job | None:
    """What ``run_job`` needs to process a track's replacement; None when there is none
    waiting (it was switched to already, failed, or the track is gone)."""
    track = db.session.get(Track, track_id)
    replacement = track.replacement if track is not None else None
    if replacement is None or replacement.status is not ReplacementStatus.PROCESSING:
        return None
    return Job(
        track.id,
        track.release_id,
        replacement.original_key,
        replacement.source_duration_ms,
        track.release.cover_key is not None,
        replacement.version,
    )


def run_job(job: Job, *, retries_left: int = 0) -> Outcome:
    """Fetch the original, run the pipeline, store the renditions. Touches no database, so
    the caller holds no transaction open for the minutes a long track may take.

    Raises ``StorageUnavailable`` while ``retries_left`` (the queue retries); afterwards, and
    for every other failure, returns an ``Outcome`` with the reason.
    """
    try:
        return _run(job)
    except StorageUnavailable:
        if retries_left > 0:
            raise  # the queue retries later; the track stays "processing"
        return Outcome(
            failure="The file store was unreachable while processing. Use “Reprocess” to try again.",
            version=job.version,
        )
    except ObjectNotFound:
        return Outcome(
            failure="The original file is missing from the store; please upload it again.", version=job.version
        )
    except FFmpegError as exc:
        last = (exc.detail.strip().splitlines() or [""])[-1][:300]
        current_app.logger.warning("track %s: ffmpeg failed: %s %s", job.track_id, exc, last)
        return Outcome(
            failure=f"The file looks damaged: we could not transcode its audio ({exc}{f': {last}' if last else ''}).",
            version=job.version,
        )
    except (AudioError, StorageError, PackagingError) as exc:
        return Outcome(failure=f"Processing failed: {exc}", version=job.version)


def record_outcome(track_id: int, outcome: Outcome) -> Track | None:
    """Write the outcome to the track (flushes; the caller commits)."""
    track = db.session.get(Track, track_id)
    if track is None or track.audio is None or track.audio.version != outcome.version:
        # The track is gone, or its audio was replaced while this ran: nothing to record.
        delete_cover(outcome.cover_prefix)
        if track is not None and track.audio is not None and outcome.result is not None:
            delete_objects([rendition_key(track_id, r.name, outcome.version) for r in RENDITIONS])
        return None
    if outcome.failure:
        return _fail(track, outcome.failure)
    if outcome.cover_prefix:
        if track.release.cover_key is None:
            track.release.cover_key = outcome.cover_prefix
        else:  # someone set a cover meanwhile; theirs wins
            delete_cover(outcome.cover_prefix)
    _apply(track, outcome.result)
    track.audio.stream_cuts = outcome.stream_cuts
    db.session.flush()
    return track


@dataclass(frozen=True)
class Unused:
    """Objects nobody uses any more, and the length of the audio they served to plays (0 for
    a version that never served: a failed or superseded replacement)."""

    keys: list[str]
    played_length_ms: int = 0


def record_replacement(track_id: int, outcome: Outcome) -> Unused:
    """Switch the track to its processed replacement, or record why the replacement failed
    (flushes; the caller commits). Returns the objects nobody uses any more (the old
    version's after a switch, the failed version's after a failure), for the caller to
    retire (``app.uploads.services.retirement``: deleted after a grace period, since a player
    may still hold a link to the old version) in the same transaction.

    The switch is one UPDATE of the track's audio row: a listener gets the old version or the
    new one, never a mix. A failure leaves the track, and what it serves, untouched.
    """
    track = db.session.get(Track, track_id)
    replacement = track.replacement if track is not None else None
    if (
        track is None
        or track.audio is None
        or replacement is None
        or replacement.version != outcome.version
        or replacement.status is not ReplacementStatus.PROCESSING
    ):
        # Gone, superseded by a newer upload, or switched to already (a job runs at least
        # once): this outcome's objects are in use only if they are the track's audio now.
        delete_cover(outcome.cover_prefix)
        in_use = track is not None and track.audio is not None and track.audio.version == outcome.version
        return Unused([] if in_use else version_keys(track_id, outcome.version))
    failure = outcome.failure or _duplicate_of(track, replacement.sha256)
    if failure:
        current_app.logger.warning("track %s: new audio v%s failed: %s", track.id, replacement.version, failure)
        replacement.status = ReplacementStatus.FAILED
        replacement.status_reason = failure
        db.session.flush()
        delete_cover(outcome.cover_prefix)
        return Unused(version_keys(track.id, replacement.version))  # the row keeps only the reason
    audio = track.audio
    played_length_ms = track.duration_ms or audio.source_duration_ms or 0  # what a play of it was given
    old = [k for k in (audio.original_key, audio.stream_mp3_key, audio.stream_opus_key, audio.preview_key) if k]
    # the old version's heads (metering: ``packaging.head_key``) go with it
    old += get_store().list_keys(rendition_key(track.id, "heads", audio.version))
    audio.version = replacement.version
    audio.uploaded_by_id = replacement.uploaded_by_id
    audio.sha256 = replacement.sha256
    audio.original_key = replacement.original_key
    audio.original_name = replacement.original_name
    audio.original_size = replacement.original_size
    audio.original_format = replacement.original_format
    audio.original_mime = replacement.original_mime
    audio.source_duration_ms = replacement.source_duration_ms
    if outcome.cover_prefix:
        if track.release.cover_key is None:
            track.release.cover_key = outcome.cover_prefix
        else:
            delete_cover(outcome.cover_prefix)
    status = track.status
    db.session.delete(replacement)
    _apply(track, outcome.result)
    audio.stream_cuts = outcome.stream_cuts
    if status is not TrackStatus.FAILED:
        track.status = status  # a hidden track stays hidden; only a failed one comes to life
    db.session.flush()
    db.session.expire(track, ["replacement"])  # the deleted row is not the track's any more
    return Unused(old, played_length_ms)


def _duplicate_of(track: Track, sha256: str) -> str | None:
    """Why a replacement cannot become the track's audio: the same file became another
    track's meanwhile (one file, one track per artist)."""
    other = db.session.scalar(
        select(Track)
        .join(TrackAudio, TrackAudio.track_id == Track.id)
        .where(TrackAudio.artist_id == track.audio.artist_id, TrackAudio.sha256 == sha256, Track.id != track.id)
    )
    return f"This file was uploaded as “{other.title}” meanwhile; a file can be only one track." if other else None


def delete_objects(keys: list[str]) -> None:
    """Delete objects no committed row points at any more (best effort: a leftover costs
    storage, never correctness)."""
    store = get_store()
    for key in keys:
        try:
            store.delete(key)
        except StorageError:
            current_app.logger.warning("could not delete %s", key)


def process_track(track_id: int, *, retries_left: int = 0) -> Track | None:
    """Process one track start to end in the current session (the demo seed, tests).
    The queue task does the same in three steps, committing between them."""
    job = load_job(track_id)
    if job is None:
        return None
    return record_outcome(track_id, run_job(job, retries_left=retries_left))


def _run(job: Job) -> Outcome:
    store = get_store()
    # The folder names this process, so a worker starting later can remove it if we die.
    with tempfile.TemporaryDirectory(prefix=work_folder_prefix(), dir=work_dir()) as tmp:
        work = Path(tmp)
        source = store.local_path(job.original_key)
        if source is None:
            source = work / "original"
            store.download(job.original_key, source)
        result = pipeline.process_original(source, work, duration_ms=job.duration_ms)
        # Metering's cut points, read from the files just made (no other ffmpeg pass).
        cuts = packaging.cuts_of_files({"mp3": result.files[STREAM_MP3], "opus": result.files[STREAM_OPUS]})
        for rendition, path in result.files.items():
            store.put_file(rendition_key(job.track_id, rendition.name, job.version), path, rendition.content_type)
        store.delete_prefix(rendition_key(job.track_id, "heads", job.version))  # cut from the files replaced
        cover = None
        if result.tags.cover and not job.release_has_cover:
            try:
                cover = store_cover(job.release_id, result.tags.cover)
            except ImageRejected:
                pass  # a broken embedded picture is no reason to fail the track
        result.files = {}  # the files are gone with the folder; the keys are what counts
        return Outcome(result=result, cover_prefix=cover, version=job.version, stream_cuts=cuts)


def _apply(track: Track, result: pipeline.ProcessedAudio) -> None:
    audio = track.audio
    audio.stream_mp3_key = rendition_key(track.id, STREAM_MP3.name, audio.version)
    audio.stream_opus_key = rendition_key(track.id, STREAM_OPUS.name, audio.version)
    audio.preview_key = rendition_key(track.id, PREVIEW_MP3.name, audio.version)
    audio.preview_start_ms = result.preview_start_ms
    audio.loudness_lufs = result.loudness.integrated_lufs
    audio.true_peak_dbtp = result.loudness.true_peak_dbtp
    audio.gain_db = result.gain_db
    audio.peaks = result.peaks
    tags = result.tags
    audio.tag_title, audio.tag_artist, audio.tag_album = tags.title, tags.artist, tags.album
    audio.tag_track_number, audio.tag_disc_number, audio.isrc = tags.track_number, tags.disc_number, tags.isrc
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
    """Put a track back in the queue (the caller commits, then enqueues): a ready or failed
    one, or one left "processing" by a job that is gone (its worker died, its message was
    lost). Refused while its job waits or runs."""
    if track.audio is None:
        raise Conflict("This track has no uploaded audio to process.", code="no_audio")
    if track.status is TrackStatus.PROCESSING and (
        current_app.config["QUEUE_IMMEDIATE"] or jobs.pending(PROCESS_TASK, track.id)
    ):
        raise Conflict("This track is being processed already.", code="already_processing")
    track.status = TrackStatus.PROCESSING
    track.status_reason = None
    jobs.record(PROCESS_TASK, track.id)
    db.session.flush()
    return track


def cover_prefix(release_id: int, data: bytes) -> str:
    return f"releases/{release_id}/cover-{hashlib.sha256(data).hexdigest()[:12]}"


def cover_key(release: Release, size: str) -> str | None:
    return f"{release.cover_key}/{size}.jpg" if release.cover_key else None


def set_release_cover(release: Release, data: bytes) -> str | None:
    """Store ``data`` as the release's cover in every size; returns the previous cover's
    prefix, for the caller to delete (``delete_cover``) once its commit went through.

    Raises ``ImageRejected`` for data that is not an acceptable image (nothing is stored).
    """
    prefix = store_cover(release.id, data)
    old = release.cover_key
    release.cover_key = prefix
    db.session.flush()
    return old if old != prefix else None


def store_cover(release_id: int, data: bytes) -> str:
    """Store the cover sizes of ``data``; return their prefix. Nothing stays on failure."""
    images = cover_renditions(data)
    store = get_store()
    prefix = cover_prefix(release_id, data)
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
    return prefix


def delete_cover(prefix: str | None) -> None:
    """Remove a cover's objects (a replaced cover, or one whose release row was not saved)."""
    if prefix:
        try:
            get_store().delete_prefix(prefix)
        except StorageError:
            current_app.logger.warning("could not delete the cover %s", prefix)


COVER_SIZES = tuple(SIZES)
