"""Audio processing in the background, and deleting the objects it retired once links to them
have expired."""

from __future__ import annotations

from flask import current_app
from huey import crontab

from app.core.extensions import db
from app.core.queue import periodic, task
from app.uploads.services import packaging, processing, retirement
from audio.packaging import PackagingError
from audio.storage import ObjectNotFound


@task("process_track", durable=True, retries=3, retry_delay=30, retry_backoff=2)
def process_track(track_id: int, retries_left: int = 0) -> None:
    """Transcode and analyse a newly uploaded (or reprocessed) track."""
    job = processing.load_job(track_id)
    db.session.commit()  # end the read transaction before minutes of ffmpeg
    if job is None:
        return
    outcome = processing.run_job(job, retries_left=retries_left)
    processing.record_outcome(track_id, outcome)


@task("process_replacement", durable=True, retries=3, retry_delay=30, retry_backoff=2)
def process_replacement(track_id: int, retries_left: int = 0) -> None:
    """Process the new audio of a track; switch the track to it once ready."""
    job = processing.load_replacement_job(track_id)
    db.session.commit()  # end the read transaction before minutes of ffmpeg
    if job is None:
        return
    outcome = processing.run_job(job, retries_left=retries_left)
    # The switch (or the failure) and the retirement of the objects nobody uses any more
    # commit together; the objects go once links to them have expired.
    unused = processing.record_replacement(track_id, outcome)
    retirement.retire(unused.keys, played_length_ms=unused.played_length_ms)
    db.session.commit()


@periodic("uploads.delete_retired_objects", crontab(minute="*"))
def delete_retired_objects() -> int:
    """Every minute: delete the retired objects whose grace period is over (idempotent: a
    run lost with its worker is made up by the next one)."""
    return retirement.delete_due()


@task(packaging.PACKAGE_TASK, durable=True, retries=3, retry_delay=60)
def package_streams() -> None:
    """Package the stream renditions of tracks processed before metering (queued by migration
    0023). Each track is committed on its own, so a worker that dies loses at most one; the
    next run starts with what is still missing. A rendition that cannot be packaged is logged
    and skipped (its metered plays answer 404 until the track is reprocessed)."""
    after = 0
    while batch := packaging.unpackaged_tracks(after, 20):
        db.session.commit()  # no transaction held open while files are read
        for track_id in batch:
            after = track_id
            try:
                packaging.package_track(track_id)
            except (PackagingError, ObjectNotFound) as exc:
                db.session.rollback()
                current_app.logger.error("track %s cannot be packaged for metering: %s", track_id, exc)
                continue
            db.session.commit()
