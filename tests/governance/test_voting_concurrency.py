"""One member, one vote when the same member's submissions race (PostgreSQL, real threads)."""

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.extensions import db
from app.governance.models import Ballot, Proposal
from app.governance.services import closing, voting
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import make_member, make_proposal
from tests.resources import fresh_database

pytestmark = [pytest.mark.committing, pytest.mark.postgres]

THREADS = 8


def test_concurrent_double_submission_counts_one_vote(tmp_path):
    with fresh_database(tmp_path, "votes") as url:
        app = make_test_app(url, tmp_path / "media")
        migrate_to_head(app)
        now = datetime.now(timezone.utc)
        with app.app_context():
            proposal = make_proposal(open_at=now - timedelta(hours=1))
            voter = make_member(at=now - timedelta(days=1))
            proposal_id, voter_id = proposal.id, voter.id
            db.session.remove()

        barrier = threading.Barrier(THREADS)
        receipts, errors = [], []

        def submit(choice):
            with app.app_context():
                try:
                    p = db.session.get(Proposal, proposal_id)
                    v = db.session.get(User, voter_id)
                    # Everyone reads the same "latest sequence", then inserts at once.
                    barrier.wait(timeout=10)
                    _, receipt = voting.cast_vote(p, v, choice)
                    db.session.commit()
                    receipts.append(receipt)
                except Exception as exc:  # noqa: BLE001 (reported below)
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=submit, args=(["yes", "no"][i % 2],)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)

        with app.app_context():
            ballots = db.session.scalars(
                select(Ballot).where(Ballot.voter_id == voter_id).order_by(Ballot.sequence)
            ).all()
            # Every submission landed, each on its own sequence: an unambiguous latest.
            assert errors == []
            assert [b.sequence for b in ballots] == list(range(1, THREADS + 1))
            proposal = db.session.get(Proposal, proposal_id)
            tally = voting.count(proposal, datetime.now(timezone.utc))
            assert tally.turnout == 1  # one member, one vote
            latest = ballots[-1]
            assert (tally.yes, tally.no) == ((1, 0) if latest.choice.value == "yes" else (0, 1))
            # And after the close, exactly one receipt of this member is published.
            closing.close_due_proposals(proposal.closes_at)
            db.session.commit()
            published = voting.published_receipts(proposal)
            assert [(r.receipt_hash, r.choice) for r in published] == [(latest.receipt_hash, latest.choice)]
            assert latest.receipt_hash in {voting.receipt_hash(r) for r in receipts}
            db.session.remove()
            db.engine.dispose()
