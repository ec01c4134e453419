"""Closing votes: quorum and threshold through the real count, enactment timing, closing
order, charges before and after, reminders, the CLI and the periodic task."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.core.errors import Conflict
from app.core.extensions import db
from app.core.models import OutboxMessage
from app.governance.models import ProposalStatus
from app.governance.services import closing, pricing, voting
from ledger import charge_play, top_up
from ledger.pricing import pricing_in_force
from tests.factories import make_member, make_proposal

T = datetime(2026, 6, 1, 15, 30, tzinfo=timezone.utc)  # a Monday afternoon


def members(n):
    return [make_member(at=T - timedelta(days=1)) for _ in range(n)]


def vote_all(proposal, voters, choices):
    for i, (voter, choice) in enumerate(
        zip(voters, choices, strict=False)
    ):  # fewer choices: the rest abstain by not voting
        voting.cast_vote(proposal, voter, choice, now=T + timedelta(minutes=i + 1))
    db.session.commit()


def close(proposal):
    [result] = closing.close_due_proposals(proposal.closes_at)
    db.session.commit()
    return result


@pytest.mark.parametrize(
    "choices, passed",
    [
        (["yes", "yes"], True),  # 2 of 20 members: exactly the 10 % quorum
        (["yes"], False),  # 1 of 20: below quorum, though unanimous
        (["yes", "abstain"], True),  # abstaining counts for the quorum
        (["yes", "no"], False),  # a tie
        (["yes", "yes", "no"], True),
    ],
)
def test_quorum_and_majority_at_close(app_ctx, choices, passed):
    proposal = make_proposal(open_at=T, changes={"credit_price": "1.30"})  # its author is member 1
    voters = members(19)
    vote_all(proposal, voters, choices)
    result = close(proposal)
    assert result.passed is passed
    assert proposal.members_at_close == 20
    assert proposal.status is (ProposalStatus.PASSED if passed else ProposalStatus.REJECTED)


@pytest.mark.parametrize("yes, no, passed", [(2, 1, False), (3, 1, True)])
def test_artist_share_needs_more_than_two_thirds(app_ctx, yes, no, passed):
    proposal = make_proposal(open_at=T, changes={"artist_share": "80"})
    voters = members(yes + no)
    vote_all(proposal, voters, ["yes"] * yes + ["no"] * no)
    assert close(proposal).passed is passed


def test_passed_proposal_takes_effect_at_the_next_utc_midnight(app_ctx):
    proposal = make_proposal(open_at=T, changes={"first_play_price": "0.001", "artist_share": "75"})
    vote_all(proposal, members(3), ["yes"] * 3)
    closed_at = proposal.closes_at + timedelta(minutes=3)  # the job ran a little late
    closing.close_due_proposals(closed_at)
    db.session.commit()
    assert proposal.effective_from == datetime(2026, 6, 9, tzinfo=timezone.utc)
    version = pricing.version_of_proposal(proposal)
    assert version.effective_from == proposal.effective_from
    assert (version.first_play_price, version.artist_share_bp) == (1000, 7500)
    # Everything else carried forward from the version before.
    assert (version.growth_permille, version.plays_to_own, version.credit_price_cents) == (2000, 9, 125)
    just_before = version.effective_from - timedelta(microseconds=1)
    assert pricing_in_force(db.session, just_before).proposal_id is None
    assert pricing_in_force(db.session, version.effective_from).id == version.id


def test_a_close_at_exactly_midnight_takes_the_next_midnight():
    midnight = datetime(2026, 6, 9, tzinfo=timezone.utc)
    assert closing.next_midnight_utc(midnight) == datetime(2026, 6, 10, tzinfo=timezone.utc)
    assert closing.next_midnight_utc(midnight - timedelta(microseconds=1)) == midnight


def test_plays_before_the_new_version_keep_the_old_price(app_ctx):
    proposal = make_proposal(open_at=T, changes={"first_play_price": "0.001"})
    vote_all(proposal, members(2), ["yes", "yes"])
    close(proposal)
    effective = proposal.effective_from
    listener = make_member(at=T - timedelta(days=1))
    top_up(db.session, key="t1", listener_id=listener.id, amount=10_000_000)

    def charge(track_id, at):
        return charge_play(
            db.session,
            key=f"play-{track_id}-{at.isoformat()}",
            listener_id=listener.id,
            track_id=track_id,
            artist_id=1,
            track_is_free=False,
            listener_is_artist=False,
            at=at,
        )

    before = charge(101, effective - timedelta(seconds=1))
    after = charge(102, effective)
    assert before.price == 2000 and after.price == 1000
    assert before.pricing_version_id != after.pricing_version_id
    assert after.pricing_version_id == pricing.version_of_proposal(proposal).id


def test_two_proposals_passing_the_same_day_take_effect_in_closing_order(app_ctx):
    first = make_proposal(open_at=T, changes={"first_play_price": "0.003", "growth": "1.5"})
    second = make_proposal(open_at=T + timedelta(hours=2), changes={"first_play_price": "0.004"})
    voters = members(3)
    for p in (first, second):
        for v in voters:
            voting.cast_vote(p, v, "yes", now=T + timedelta(hours=3))
    db.session.commit()
    # One run closes both (listed in closing order even if found the other way round).
    results = closing.close_due_proposals(second.closes_at + timedelta(minutes=1))
    db.session.commit()
    assert [r.proposal_id for r in results] == [first.id, second.id]
    v1 = pricing.version_of_proposal(first)
    assert v1.effective_from == datetime(2026, 6, 9, tzinfo=timezone.utc)
    assert (v1.first_play_price, v1.growth_permille) == (3000, 1500)
    # The second was opened against the prices the first replaced: enacting what its voters
    # were shown (0.004 with x2) would undo the first, stacking it would enact 0.004 with x1.5,
    # which nobody was shown. It is superseded; no version is created.
    assert second.status is ProposalStatus.SUPERSEDED
    assert pricing.version_of_proposal(second) is None


def test_a_proposal_opened_after_a_pending_decision_is_enacted_on_it(app_ctx):
    first = make_proposal(open_at=T, changes={"first_play_price": "0.003"})
    vote_all(first, members(3), ["yes"] * 3)
    close(first)
    # Opened after the first was decided (its version is not in force yet): it builds on it.
    second = make_proposal(open_at=first.closes_at + timedelta(minutes=5), changes={"growth": "1.5"}, voting_days=2)
    for i, v in enumerate(members(3)):
        voting.cast_vote(second, v, "yes", now=second.opened_at + timedelta(minutes=i + 1))
    db.session.commit()
    closing.close_due_proposals(datetime(2026, 6, 8, 23, 0, tzinfo=timezone.utc) + timedelta(days=2))
    db.session.commit()
    v1, v2 = pricing.version_of_proposal(first), pricing.version_of_proposal(second)
    assert second.status is ProposalStatus.PASSED
    assert (v2.first_play_price, v2.growth_permille) == (3000, 1500)  # what its page showed
    assert v2.effective_from > v1.effective_from


def test_closing_is_idempotent_and_not_early(app_ctx):
    proposal = make_proposal(open_at=T)
    vote_all(proposal, members(2), ["yes", "yes"])
    assert closing.close_due_proposals(proposal.closes_at - timedelta(seconds=1)) == []
    assert len(closing.close_due_proposals(proposal.closes_at)) == 1
    db.session.commit()
    assert closing.close_due_proposals(proposal.closes_at + timedelta(days=1)) == []
    assert len(pricing.history()) == 2


def test_votes_after_the_scheduled_close_do_not_count_even_if_the_job_is_late(app_ctx):
    proposal = make_proposal(open_at=T)
    voters = members(2)
    vote_all(proposal, voters, ["yes", "yes"])
    with pytest.raises(Conflict, match="not open for voting"):
        voting.cast_vote(proposal, voters[0], "no", now=proposal.closes_at + timedelta(minutes=1))
    closing.close_due_proposals(proposal.closes_at + timedelta(hours=5))
    assert (proposal.yes_count, proposal.no_count) == (2, 0)


def test_reminder_a_day_before_the_close_once(app_ctx):
    proposal = make_proposal(open_at=T)
    voters = members(2)
    db.session.execute(OutboxMessage.__table__.delete())  # the "vote open" notices
    assert closing.send_closing_reminders(proposal.closes_at - timedelta(days=1, seconds=1)) == 0
    assert closing.send_closing_reminders(proposal.closes_at - timedelta(hours=23)) == 1
    assert closing.send_closing_reminders(proposal.closes_at - timedelta(hours=22)) == 0
    subjects = db.session.scalars(select(OutboxMessage.subject)).all()
    assert len(subjects) == 3 and all(s.startswith("Vote closes soon") for s in subjects)
    assert len(voters) == 2


def test_cli_close_due(app, app_ctx):
    proposal = make_proposal(open_at=T)
    vote_all(proposal, members(2), ["yes", "yes"])
    result = app.test_cli_runner().invoke(
        args=["governance", "close-due", "--now", (proposal.closes_at + timedelta(minutes=1)).isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert f"proposal {proposal.id}: passed" in result.output
    db.session.expire_all()
    assert proposal.status is ProposalStatus.PASSED
    # Delivered by the console backend: nothing left in the outbox.
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None))) == 0


def test_periodic_task_runs_the_same_work_in_immediate_mode(app, app_ctx):
    proposal = make_proposal(open_at=datetime.now(timezone.utc) - timedelta(days=8))
    huey = app.extensions["encore.queue"]
    task = huey.encore_tasks["governance.housekeeping"]
    assert huey.immediate
    task()  # huey keeps no result for periodic tasks; look at what it did
    db.session.expire_all()
    assert proposal.status is ProposalStatus.REJECTED
