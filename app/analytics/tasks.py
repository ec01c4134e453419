"""The rollup job: every minute, read what the ledger recorded since the last run."""

from __future__ import annotations

from huey import crontab

from app.analytics.services import rollups
from app.core.queue import periodic, task


def _run() -> dict:
    summary = rollups.update(max_batches=50)
    return {
        "plays": summary.plays,
        "transfers": summary.transfers,
        "previews": summary.previews,
        "gaps_open": summary.gaps_open,
        "skipped": summary.skipped,
    }


@periodic("analytics.rollups", crontab(minute="*"))
def analytics_rollups() -> dict:
    """Every minute: bring the analytics rollups up to date (a no-op when another run is at it).
    Idempotent (a cursor on what was read), so a run lost with its worker is made up by the
    next; no durable job is needed."""
    return _run()


@task("analytics.update")
def analytics_update() -> dict:
    """The same, on demand (``app.core.queue.enqueue("analytics.update")``)."""
    return _run()
