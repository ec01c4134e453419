"""Retiring stored objects: an object nothing points at any more is deleted only after a grace
period, because a link to it may still be out.

When a track switches to new audio, a listener may hold a presigned URL of the old version (a
player asks for the rest of a stream, seeks, resumes) for as long as a play of it lives (the
track's length plus ``STREAM_GRACE_SECONDS``), and any other link for ``RETIRE_AFTER_SECONDS``
at most. Deleting the old files at once would cut that listener off mid-track. So the switch
*retires* them: one row per object (``RetiredObject``), written in the switch's own
transaction, so an object is retired exactly when the row that pointed at it has moved on,
and never forgotten (a worker dying after the commit leaves the rows, not orphan files). The
periodic task deletes the due objects, then their rows; it runs at least once per object (a
run lost with its worker is made up by the next one, and deleting an object twice is
harmless).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.core.extensions import db
from app.core.storage import get_store
from app.core.types import utcnow
from app.uploads.models import RetiredObject
from audio.storage import StorageError

# Longer than the app's own presigned links live (``app.uploads.api.PRESIGN_SECONDS``, 5 min).
RETIRE_AFTER_SECONDS = 15 * 60
# The shortest stream link a play gets (``app.streaming.api``: max(60 s, what is left of it)).
STREAM_LINK_MINIMUM_SECONDS = 60
BATCH = 200


def grace_seconds(played_length_ms: int) -> int:
    """How long links to audio of this length may still be out after it stops being served.

    A play's stream link lives until the play expires (``app.streaming``: its start, plus the
    track's length, plus ``STREAM_GRACE_SECONDS``), or 60 s if that is sooner. A play started
    before the switch therefore holds a link for at most length + grace + 60 s after it."""
    stream_links = -(-played_length_ms // 1000) + int(current_app.config["STREAM_GRACE_SECONDS"])
    return max(RETIRE_AFTER_SECONDS, stream_links + STREAM_LINK_MINIMUM_SECONDS)


def retire(keys: list[str], *, played_length_ms: int = 0) -> None:
    """Delete ``keys`` once no link to them can be out (flushes; the caller's commit makes it
    so). ``played_length_ms``: the length of the audio they served to plays (0: never served).
    A key retired twice keeps its later deadline."""
    if not keys:
        return
    after = utcnow() + timedelta(seconds=grace_seconds(played_length_ms))
    rows = [{"key": key, "delete_after": after} for key in dict.fromkeys(keys)]
    statement = insert(RetiredObject).values(rows)
    db.session.execute(
        statement.on_conflict_do_update(index_elements=["key"], set_={"delete_after": statement.excluded.delete_after})
    )


def delete_due() -> int:
    """Delete the objects whose grace period is over, and their rows; commit batch by batch.
    Returns how many were deleted. Rows are taken with SKIP LOCKED, so two runs share the work."""
    store, deleted = get_store(), 0
    while True:
        due = db.session.scalars(
            select(RetiredObject)
            .where(RetiredObject.delete_after <= utcnow())
            .order_by(RetiredObject.delete_after)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        failed = False
        for row in due:
            try:
                store.delete(row.key)
            except StorageError:  # kept for the next run: a leftover costs storage, never correctness
                current_app.logger.warning("could not delete retired object %s; the next run tries again", row.key)
                failed = True
                continue
            db.session.delete(row)
            deleted += 1
        db.session.commit()
        if failed or len(due) < BATCH:
            return deleted
