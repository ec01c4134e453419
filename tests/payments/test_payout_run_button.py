"""The admin's "Run payouts" button with an inline (immediate) queue on a real, committing
database: the run's task opens its own session, so the request must not hold a write
transaction open while it runs."""

from datetime import datetime, timedelta, timezone

import pytest

from app.accounts.models import Role
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import enable_two_factor, login, make_user
from tests.resources import fresh_database


@pytest.mark.committing
def test_the_run_button_runs_an_inline_payout_run_to_the_end(tmp_path):
    with fresh_database(tmp_path, "payout-button") as url:
        app = make_test_app(url, tmp_path / "media", QUEUE_IMMEDIATE=True)
        migrate_to_head(app)
        with app.app_context():
            admin = make_user(role=Role.ADMIN)
            enable_two_factor(admin)
            client = app.test_client()
            login(client, admin)
        last_month = (datetime.now(timezone.utc).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        r = client.post("/admin/payouts/runs", data={"period": last_month})
        run_id = int(r.headers["Location"].rsplit("/", 1)[1])
        # before the fix the task found the database locked by the request and the run stayed queued
        assert client.get(f"/admin/payouts/runs/{run_id}/progress").json["status"] == "done"
        with app.app_context():
            from app.core.extensions import db

            db.engine.dispose()
