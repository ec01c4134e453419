"""Ten identical progress reports at the same instant, on PostgreSQL with real threads and
real row locks: the play is charged once, and every answer names that one charge."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.payments.services import wallet
from ledger.schema import Play as LedgerPlay
from ledger.schema import Transfer
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import bearer, make_user, token_for
from tests.resources import fresh_database
from tests.streaming.streaming_helpers import backdate, make_streamable_track

pytestmark = [pytest.mark.committing, pytest.mark.postgres]

REPORTS = 10


def test_ten_concurrent_duplicate_reports_charge_once(tmp_path):
    with fresh_database(tmp_path, "stream_race") as url:
        app = make_test_app(url, tmp_path / "media", SQLALCHEMY_ENGINE_OPTIONS={"pool_size": REPORTS + 2})
        migrate_to_head(app)
        client = app.test_client()
        with app.app_context():
            user = make_user()
            headers = bearer(token_for(user))
            track_id, user_id = make_streamable_track().id, user.id
            r = client.post(f"/api/v1/tracks/{track_id}/plays", headers=headers)
            assert r.status_code == 201, r.json
            play_id = r.json["play"]["id"]
            backdate(play_id, 50)
            db.session.remove()

        barrier = threading.Barrier(REPORTS)

        def send(position):
            barrier.wait(timeout=10)
            return client.post(f"/api/v1/plays/{play_id}/progress", json={"position_ms": position}, headers=headers)

        with ThreadPoolExecutor(REPORTS) as pool:
            answers = list(pool.map(send, [46_000 + i for i in range(REPORTS)]))

        assert [a.status_code for a in answers] == [200] * REPORTS, [a.json for a in answers]
        assert all(a.json["counted"] and a.json["charge"]["play_number"] == 1 for a in answers)
        assert sum(not a.json["charge"]["replayed"] for a in answers) == 1
        assert {a.json["balance"]["micro"] for a in answers} == {198_000}
        with app.app_context():
            assert (
                db.session.scalar(select(func.count()).select_from(LedgerPlay).where(LedgerPlay.listener_id == user_id))
                == 1
            )
            assert (
                db.session.scalar(
                    select(func.count()).select_from(Transfer).where(Transfer.idempotency_key == f"play:{play_id}")
                )
                == 1
            )
            assert wallet.balance(db.session.get(type(user), user_id)) == 198_000
            db.session.remove()
            db.engine.dispose()
