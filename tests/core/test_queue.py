"""The real queue (huey on the app's PostgreSQL, not immediate): an upload is queued, and a
worker outside any request picks it up, gets an app context, and finishes the track."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from huey import RedisHuey
from sqlalchemy import text

from app.core.domains import all_metadata
from app.core.queue import PostgresStorage, include_in_migrations
from tests import media
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import bearer, make_artist, make_release, make_user, token_for
from tests.resources import fresh_database


@pytest.mark.committing
def test_upload_is_processed_by_a_worker(tmp_path):
    with fresh_database(tmp_path, "queue") as url:
        app = make_test_app(url, tmp_path / "media", QUEUE_IMMEDIATE=False)
        migrate_to_head(app)
        huey = app.extensions["encore.queue"]
        assert isinstance(huey.storage, PostgresStorage) and not huey.immediate
        client = app.test_client()
        with app.app_context():
            user = make_user()
            release = make_release(artist=make_artist(manager=user))
            headers, release_id = bearer(token_for(user)), release.id
        path = media.make_audio(tmp_path / "queued", "wav", seconds=2)
        with open(path, "rb") as handle:
            r = client.post(
                f"/api/v1/releases/{release_id}/tracks",
                data={"file": (handle, "queued.wav")},
                headers=headers,
                content_type="multipart/form-data",
            )
        track_url = r.json["tracks"][0]["url"]
        assert r.json["tracks"][0]["status"] == "processing"
        assert client.get(track_url).status_code == 404  # not public until processed
        assert huey.pending_count() == 1

        huey.execute(huey.dequeue())  # what a consumer thread does, with no app context around

        assert client.get(track_url).json["track"]["status"] == "ready"
        with app.app_context():
            from app.core.extensions import db

            # The queue's tables live beside the app's; the migrations' no-diff check (and
            # autogenerate) leave them alone.
            tables = set(db.session.scalars(text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'huey_%'")))
            assert tables == {"huey_kv", "huey_schedule", "huey_task", "huey_counter"}
            db.session.rollback()
            with db.engine.connect() as conn:
                plain = MigrationContext.configure(conn, opts={"compare_type": True})
                assert compare_metadata(plain, all_metadata()) != []  # the tables are there...
                filtered = MigrationContext.configure(
                    conn, opts={"compare_type": True, "include_object": include_in_migrations}
                )
                assert compare_metadata(filtered, all_metadata()) == []  # ...and ignored
            db.engine.dispose()
        huey.storage.close()


def test_redis_url_selects_redis(tmp_path):
    app = make_test_app(
        "postgresql://encore@db.invalid/x",
        tmp_path / "media",
        REDIS_URL="redis://127.0.0.1:6379/15",
        QUEUE_IMMEDIATE=False,
    )
    assert isinstance(app.extensions["encore.queue"], RedisHuey)
