"""The rollup job on PostgreSQL against real concurrent transactions: a play committed after
the job read past its id is still counted, once; two runs at once never both work."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

import ledger
from app.analytics.models import TrackListener
from app.analytics.services import rollups
from app.core.extensions import db
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import make_track, make_user
from tests.resources import fresh_database

pytestmark = [pytest.mark.committing, pytest.mark.postgres]


def _charge(session, key, listener_id, track):
    return ledger.charge_play(
        session,
        key=key,
        listener_id=listener_id,
        track_id=track[0],
        artist_id=track[1],
        track_is_free=False,
        listener_is_artist=False,
    )


def test_a_late_commit_is_read_once_and_runs_do_not_overlap(tmp_path):
    with fresh_database(tmp_path, "rollups") as url:
        app = make_test_app(url, tmp_path / "media")
        migrate_to_head(app)
        with app.app_context():
            first, second = make_user(), make_user()
            made = make_track()
            track = (made.id, made.release.artist_id)
            listener_ids = (first.id, second.id)
            db.session.remove()

            with Session(db.engine) as warm:  # creates the artist's and co-op's accounts
                _charge(warm, "warm-up", listener_ids[1], track)
                warm.commit()
            assert rollups.update().plays == 1
            db.session.commit()

            # A play is being written (its id taken) while a later one commits.
            slow = Session(db.engine)
            _charge(slow, "slow-play", listener_ids[0], track)
            with Session(db.engine) as fast:
                _charge(fast, "fast-play", listener_ids[1], track)
                fast.commit()

            summary = rollups.update()
            db.session.commit()
            assert summary.plays == 1 and summary.gaps_open == 2  # the play and its charge
            assert db.session.get(TrackListener, (track[0], listener_ids[0])) is None

            slow.commit()
            slow.close()
            summary = rollups.update()
            db.session.commit()
            assert summary.plays == 1 and summary.gaps_open == 0
            assert db.session.get(TrackListener, (track[0], listener_ids[0])).plays == 1
            assert db.session.get(TrackListener, (track[0], listener_ids[1])).plays == 2
            assert rollups.update().plays == 0  # read once
            db.session.commit()

            # While one run holds the job's lock, another returns at once without working.
            with Session(db.engine) as other:
                _charge(other, "another-play", listener_ids[1], track)
                other.commit()
            holder = Session(db.engine)
            holder.execute(rollups.text("SELECT pg_advisory_xact_lock(:k)"), {"k": rollups._LOCK_KEY})
            assert rollups.update().skipped
            db.session.commit()
            holder.rollback()
            holder.close()
            assert rollups.update().plays == 1
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
