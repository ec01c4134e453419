"""Every background task, declared for ``app.queue``. Each one only calls a service."""

from __future__ import annotations

from app.queue import task
from app.services import processing


@task("process_track", retries=3, retry_delay=30, retry_backoff=2)
def process_track(track_id: int, retries_left: int = 0) -> None:
    """Transcode and analyse a newly uploaded (or reprocessed) track."""
    processing.process_track(track_id, retries_left=retries_left)
