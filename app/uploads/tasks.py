"""Audio processing in the background."""

from __future__ import annotations

from app.core.extensions import db
from app.core.queue import task
from app.uploads.services import processing


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
    unused = processing.record_replacement(track_id, outcome)
    db.session.commit()  # the switch (or the failure) first, then the objects nobody uses
    processing.delete_objects(unused)
