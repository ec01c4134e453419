"""Votes racing the close (PostgreSQL, real threads, committing): a vote either commits before
the close counts and is counted, or is refused; the stored tally equals the published
receipts. Before the close took the proposal's row lock against votes, the count could miss
a vote still in flight whose receipt was published anyway, and votes landed after the close."""

import random
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.errors import Conflict
from app.core.extensions import db
from app.governance.models import Proposal, ProposalStatus
from app.governance.services import closing, voting
from app.governance.services.pricing_parameters import MAX_OWNERSHIP_COST_MICRO
from ledger.pricing import schedule
from ledger.schema import PricingVersion
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import make_member, make_proposal
from tests.resources import fresh_database

pytestmark = [pytest.mark.committing, pytest.mark.postgres]

VOTERS = 12  # + the closer: within the connection pool (5 + 10 overflow)


def test_votes_racing_the_close_are_counted_or_refused(tmp_path):
    with fresh_database(tmp_path, "close_race") as url:
        app = make_test_app(url, tmp_path / "media")
        migrate_to_head(app)
        now = datetime.now(timezone.utc)
        with app.app_context():
            proposal = make_proposal(open_at=now - timedelta(days=2), voting_days=2)
            voter_ids = [make_member(at=now - timedelta(days=3)).id for _ in range(VOTERS)]
            db.session.commit()
            proposal_id, closes_at = proposal.id, proposal.closes_at
            db.session.remove()

        barrier = threading.Barrier(VOTERS + 1)
        closed = threading.Event()
        accepted, refused, errors = [], [], []
        lock = threading.Lock()

        def vote(i, voter_id):
            with app.app_context():
                try:
                    # The request loads the proposal (open) when it starts...
                    p = db.session.get(Proposal, proposal_id)
                    v = db.session.get(User, voter_id)
                    barrier.wait(timeout=10)
                    if i % 3 == 2:
                        closed.wait(timeout=20)  # ... and a third write theirs after the close
                    else:
                        time.sleep(i * 0.004)  # the others arrive spread over the close
                    # Each request read the clock just before the scheduled close.
                    try:
                        _, receipt = voting.cast_vote(
                            p, v, random.choice(["yes", "no", "abstain"]), now=closes_at - timedelta(milliseconds=1)
                        )
                    except Conflict:
                        db.session.rollback()
                        with lock:
                            refused.append(voter_id)
                        return
                    time.sleep(0.03)  # the rest of the request, before its one commit
                    db.session.commit()
                    with lock:
                        accepted.append(voting.receipt_hash(receipt))
                except Exception as exc:  # noqa: BLE001 (reported below)
                    errors.append(exc)
                finally:
                    db.session.remove()

        def close():
            with app.app_context():
                try:
                    barrier.wait(timeout=10)
                    time.sleep(VOTERS * 0.002)  # the job starts halfway through the arrivals
                    closing.close_due_proposals(closes_at + timedelta(seconds=1))
                    db.session.commit()
                    closed.set()
                except Exception as exc:  # noqa: BLE001
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=vote, args=(i, vid)) for i, vid in enumerate(voter_ids)]
        threads.append(threading.Thread(target=close))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

        with app.app_context():
            assert errors == []
            proposal = db.session.get(Proposal, proposal_id)
            assert proposal.status.closed
            stored = voting.stored_tally(proposal)
            published = voting.published_receipts(proposal)
            # The stored tally is the published receipts' recount...
            assert stored == voting.tally_from_receipts(published, stored.members)
            # ... every accepted vote is among them, and nothing else is: no vote after the close.
            assert sorted(accepted) == sorted(r.receipt_hash for r in published)
            assert len(accepted) + len(refused) == VOTERS
            assert len(refused) >= VOTERS // 3  # at least every vote written after the close
            db.session.remove()
            db.engine.dispose()


def test_two_workers_enacting_at_once_never_stack(tmp_path):
    """Two passed proposals opened against the same prices, closed by two workers at the same
    instant: one is enacted, the other is superseded (never both, never an error)."""
    with fresh_database(tmp_path, "enact_race") as url:
        app = make_test_app(url, tmp_path / "media")
        migrate_to_head(app)
        now = datetime.now(timezone.utc)
        with app.app_context():
            proposals = [
                make_proposal(open_at=now - timedelta(days=3), voting_days=2, changes=changes)
                for changes in ({"growth": "4"}, {"plays_to_own": "14"})
            ]
            for voter in [make_member(at=now - timedelta(days=4)) for _ in range(3)]:
                for p in proposals:
                    voting.cast_vote(p, voter, "yes", now=now - timedelta(days=2))
            db.session.commit()
            ids = [p.id for p in proposals]
            db.session.remove()

        barrier = threading.Barrier(2)
        results, errors = [], []

        def close(proposal_id):
            with app.app_context():
                try:
                    p = db.session.get(Proposal, proposal_id)
                    barrier.wait(timeout=10)
                    results.append(closing.close_proposal(p, now=now))
                    time.sleep(0.05)  # the rest of the job, before its commit
                    db.session.commit()
                except Exception as exc:  # noqa: BLE001
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=close, args=(pid,)) for pid in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

        with app.app_context():
            assert errors == []
            assert sorted(r.status.value for r in results) == ["passed", "superseded"]
            versions = db.session.scalars(select(PricingVersion)).all()
            assert len(versions) == 2  # the default and the one enacted
            assert all(sum(schedule(v)) <= MAX_OWNERSHIP_COST_MICRO for v in versions)
            assert {db.session.get(Proposal, i).status for i in ids} == {
                ProposalStatus.PASSED,
                ProposalStatus.SUPERSEDED,
            }
            db.session.remove()
            db.engine.dispose()
