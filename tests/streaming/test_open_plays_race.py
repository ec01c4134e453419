"""Sixteen starts by one listener at the same instant, on PostgreSQL with real threads: the
open-plays limit holds (exactly ``STREAM_MAX_OPEN_PLAYS`` open, 409 for the rest)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.streaming.models import Play
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import bearer, make_user, token_for
from tests.resources import fresh_database
from tests.streaming.streaming_helpers import make_streamable_track

pytestmark = [pytest.mark.committing, pytest.mark.postgres]

STARTS = 16


def test_sixteen_concurrent_starts_open_exactly_the_limit(tmp_path):
    with fresh_database(tmp_path, "start_race") as url:
        app = make_test_app(
            url,
            tmp_path / "media",
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": STARTS + 2},
            STREAM_START_LIMIT="1000 per minute",
        )
        migrate_to_head(app)
        client = app.test_client()
        with app.app_context():
            user = make_user()
            headers = bearer(token_for(user))
            track_id, user_id = make_streamable_track().id, user.id
            limit = app.config["STREAM_MAX_OPEN_PLAYS"]
            db.session.remove()

        barrier = threading.Barrier(STARTS)

        def send(_):
            barrier.wait(timeout=10)
            return client.post(f"/api/v1/tracks/{track_id}/plays", headers=headers)

        with ThreadPoolExecutor(STARTS) as pool:
            answers = list(pool.map(send, range(STARTS)))

        codes = sorted(a.status_code for a in answers)
        assert codes == [201] * limit + [409] * (STARTS - limit), [a.json for a in answers]
        assert all(a.json["error"]["code"] == "too_many_open_plays" for a in answers if a.status_code == 409)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Play).where(Play.listener_id == user_id)) == limit
            db.session.remove()
            db.engine.dispose()
