"""Concurrent edits of one playlist, on PostgreSQL with real threads: the playlist's row lock
keeps positions 0..n-1, with no duplicate and no gap, and loses no entry."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from app.core.extensions import db
from app.library.models import PlaylistItem
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import bearer, make_track, make_user, token_for
from tests.resources import fresh_database

pytestmark = [pytest.mark.committing, pytest.mark.postgres]

WRITERS = 8


def test_concurrent_adds_and_moves_keep_positions_dense(tmp_path):
    with fresh_database(tmp_path, "playlist_race") as url:
        app = make_test_app(url, tmp_path / "media", SQLALCHEMY_ENGINE_OPTIONS={"pool_size": WRITERS + 2})
        migrate_to_head(app)
        client = app.test_client()
        with app.app_context():
            headers = bearer(token_for(make_user()))
            tracks = [make_track().id for _ in range(WRITERS)]
            r = client.post("/api/v1/playlists", json={"name": "Race"}, headers=headers)
            pid = r.json["playlist"]["id"]
            for track_id in tracks[:2]:
                r = client.post(f"/api/v1/playlists/{pid}/items", json={"track_id": track_id}, headers=headers)
            first = r.json["playlist"]["items"][0]["id"]
            db.session.remove()

        barrier = threading.Barrier(WRITERS)

        def edit(i):
            barrier.wait(timeout=10)
            if i % 2:  # half move the first entry about, half add at the front
                return client.post(f"/api/v1/playlists/{pid}/items/{first}/move", json={"position": 1}, headers=headers)
            return client.post(
                f"/api/v1/playlists/{pid}/items", json={"track_id": tracks[i], "position": 0}, headers=headers
            )

        with ThreadPoolExecutor(WRITERS) as pool:
            answers = list(pool.map(edit, range(WRITERS)))

        assert sorted(a.status_code for a in answers) == [200] * (WRITERS // 2) + [201] * (WRITERS // 2), [
            a.json for a in answers
        ]
        with app.app_context():
            rows = db.session.scalars(select(PlaylistItem).where(PlaylistItem.playlist_id == pid)).all()
            assert sorted(r.position for r in rows) == list(range(2 + WRITERS // 2))
            db.session.remove()
            db.engine.dispose()
