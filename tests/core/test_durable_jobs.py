"""Durable jobs in one process (the real queue on a fresh database, not immediate): a lost
message is swept back, Reprocess works once a track's job is gone, the worker heartbeat is
part of readiness, and stale work folders are removed."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from app.core import jobs
from app.core.extensions import db
from app.core.models import DurableJob
from app.core.queue import send
from app.core.types import utcnow
from app.core.worker import clean_stale_work_folders, work_folder_prefix
from tests import media
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import bearer, make_artist, make_release, make_user, token_for
from tests.resources import fresh_database

pytestmark = pytest.mark.committing


@pytest.fixture
def queued(tmp_path):
    """A fresh database, an app on the real queue, and one uploaded track waiting."""
    with fresh_database(tmp_path, "durable") as url:
        app = make_test_app(url, tmp_path / "media", QUEUE_IMMEDIATE=False, QUEUE_WORKER_SILENCE=5)
        migrate_to_head(app)
        client = app.test_client()
        with app.app_context():
            user = make_user()
            release = make_release(artist=make_artist(manager=user))
            headers, release_id = bearer(token_for(user)), release.id
        path = media.make_audio(tmp_path / "song", "wav", seconds=2)
        with open(path, "rb") as handle:
            r = client.post(
                f"/api/v1/releases/{release_id}/tracks",
                data={"file": (handle, "song.wav")},
                headers=headers,
                content_type="multipart/form-data",
            )
        assert r.status_code == 202
        huey = app.extensions["encore.queue"]
        try:
            yield app, client, headers, r.json["tracks"][0]["id"], huey
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            huey.storage.close()


def test_an_upload_whose_message_was_lost_is_swept_back(queued):
    app, _client, _headers, track_id, huey = queued
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM durable_jobs")) == 1  # committed with the track
    huey.flush()  # the message is lost (the queue was unreachable, Redis restarted empty...)
    assert huey.pending_count() == 0

    with app.app_context():
        assert jobs.sweep(send) == []  # a job waiting a little is left alone
        db.session.execute(update(DurableJob).values(requested_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        assert jobs.sweep(send) == [("process_track", [track_id])]
    assert huey.pending_count() == 1
    huey.execute(huey.dequeue())
    with app.app_context():
        assert db.session.scalar(text("SELECT status FROM tracks WHERE id = :id"), {"id": track_id}) == "ready"
        assert db.session.scalar(text("SELECT count(*) FROM durable_jobs")) == 0


def test_a_duplicate_message_of_a_finished_job_does_nothing(queued):
    app, _client, _headers, track_id, huey = queued
    message = huey.dequeue()
    huey.execute(message)
    with app.app_context():
        processed_at = db.session.scalar(
            text("SELECT processed_at FROM track_audio WHERE track_id = :id"), {"id": track_id}
        )
    huey.execute(message)  # delivered twice: the row is gone, the job is not run again
    with app.app_context():
        assert (
            db.session.scalar(text("SELECT processed_at FROM track_audio WHERE track_id = :id"), {"id": track_id})
            == processed_at
        )


def test_reprocess_works_on_a_track_whose_job_is_gone(queued):
    app, client, headers, track_id, huey = queued
    url = f"/api/v1/tracks/{track_id}/reprocess"
    # Waiting in the queue: refused.
    assert client.post(url, headers=headers).json["error"]["code"] == "already_processing"
    # A worker took it and died: its lease expired.
    with app.app_context():
        db.session.execute(
            update(DurableJob).values(lease_owner="elsewhere:1:dead", lease_expires_at=utcnow() + timedelta(seconds=60))
        )
        db.session.commit()
    assert client.post(url, headers=headers).status_code == 409  # a live worker has it
    with app.app_context():
        db.session.execute(update(DurableJob).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    r = client.post(url, headers=headers)
    assert r.status_code == 202, r.json
    with app.app_context():
        row = db.session.query(DurableJob).one()
        assert row.lease_owner is None  # waiting anew
    # The track's row is gone entirely (dropped after its attempts): Reprocess works too.
    with app.app_context():
        db.session.execute(text("DELETE FROM durable_jobs"))
        db.session.commit()
    huey.flush()
    assert client.post(url, headers=headers).status_code == 202
    huey.execute(huey.dequeue())
    with app.app_context():
        assert db.session.scalar(text("SELECT status FROM tracks WHERE id = :id"), {"id": track_id}) == "ready"


def test_ready_wants_a_worker_seen_recently(queued):
    app, client, _headers, _track_id, _huey = queued
    r = client.get("/healthz/ready")
    assert r.status_code == 503
    assert r.json["checks"]["queue_worker"] == {"ok": False, "error": "no_worker"}
    with app.app_context():
        jobs.heartbeat()
    r = client.get("/healthz/ready")
    assert r.status_code == 200, r.json
    assert r.json["checks"]["queue_worker"]["ok"] is True
    with app.app_context():
        db.session.execute(text("UPDATE queue_workers SET seen_at = now() - interval '1 minute'"))
        db.session.commit()
    r = client.get("/healthz/ready")
    assert r.status_code == 503 and r.json["checks"]["queue_worker"]["error"] == "worker_silent"


def test_inline_queues_expect_no_worker(app, client):
    assert "queue_worker" not in client.get("/healthz/ready").json["checks"]


def test_stale_work_folders_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"encore-process-{dead.pid}-abc"
    (stale / "deep").mkdir(parents=True)
    (stale / "deep" / "stream.mp3").write_bytes(b"x" * 1000)
    live = tmp_path / f"{work_folder_prefix()}xyz"
    live.mkdir()
    other = tmp_path / "something-else"
    other.mkdir()
    assert clean_stale_work_folders(str(tmp_path)) == [stale]
    assert not stale.exists() and live.exists() and other.exists()
