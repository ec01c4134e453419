"""Audio processing in the background."""

from __future__ import annotations

import time

from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.queue import task
from app.services import processing

WRITE_ATTEMPTS = 5


@task("process_track", retries=3, retry_delay=30, retry_backoff=2)
def process_track(track_id: int, retries_left: int = 0) -> None:
    """Transcode and analyse a newly uploaded (or reprocessed) track."""
    job = processing.load_job(track_id)
    db.session.commit()  # end the read transaction before minutes of ffmpeg
    if job is None:
        return
    outcome = processing.run_job(job, retries_left=retries_left)
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            processing.record_outcome(track_id, outcome)
            db.session.commit()
            return
        except OperationalError as exc:
            # SQLite (the embedded default) refuses to turn a read transaction into a write
            # when another worker thread committed in between ("database is locked"). The
            # outcome is in memory, so retrying just the write is cheap; redoing the
            # transcode through the queue's retry would not be.
            db.session.rollback()
            if "locked" not in str(exc.orig) or attempt == WRITE_ATTEMPTS:
                raise
            time.sleep(0.1 * attempt)
