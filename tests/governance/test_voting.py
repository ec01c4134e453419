"""Casting and changing votes, who may vote, receipts, and the append-only guarantee."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.extensions import db
from app.governance.models import Ballot, Choice, Proposal
from app.governance.services import closing, membership, voting
from tests.factories import bearer, make_member, make_proposal, make_user, token_for

T = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)


def test_latest_vote_counts_and_every_change_is_a_new_ballot(app_ctx):
    proposal = make_proposal(open_at=T)
    voter = make_member(at=T - timedelta(days=1))
    _, first = voting.cast_vote(proposal, voter, "yes", now=T + timedelta(hours=1))
    _, second = voting.cast_vote(proposal, voter, "no", now=T + timedelta(hours=2))
    _, third = voting.cast_vote(proposal, voter, "abstain", now=T + timedelta(hours=3))
    db.session.commit()
    assert len({first, second, third}) == 3
    ballots = db.session.scalars(select(Ballot).where(Ballot.voter_id == voter.id).order_by(Ballot.sequence)).all()
    assert [(b.sequence, b.choice) for b in ballots] == [(1, Choice.YES), (2, Choice.NO), (3, Choice.ABSTAIN)]
    assert voting.current_ballot(proposal, voter).choice is Choice.ABSTAIN
    tally = voting.count(proposal, proposal.closes_at)
    assert (tally.yes, tally.no, tally.abstain) == (0, 0, 1)
    # Only the counted ballot's receipt is published.
    closing.close_due_proposals(proposal.closes_at)
    assert [r.receipt_hash for r in voting.published_receipts(proposal)] == [voting.receipt_hash(third)]


def test_non_members_and_former_members_cannot_vote(app_ctx):
    proposal = make_proposal(open_at=T)
    stranger = make_user()
    with pytest.raises(Forbidden):
        voting.cast_vote(proposal, stranger, "yes", now=T + timedelta(hours=1))
    former = make_member(at=T - timedelta(days=30))
    m = membership.memberships_of(former)[0]
    membership.end_membership(m, at=T + timedelta(hours=2))
    voting.cast_vote(proposal, former, "yes", now=T + timedelta(hours=1))  # still a member then
    with pytest.raises(Forbidden) as caught:
        voting.cast_vote(proposal, former, "no", now=T + timedelta(hours=3))
    assert caught.value.code == "not_a_member"
    # Their earlier ballot does not count either: they are not a member at the close.
    assert voting.count(proposal, proposal.closes_at).turnout == 0


def test_no_vote_outside_the_window_or_with_a_bad_choice(app_ctx):
    proposal = make_proposal(open_at=T)
    voter = make_member(at=T - timedelta(days=1))
    with pytest.raises(ValidationFailed):
        voting.cast_vote(proposal, voter, "maybe", now=T + timedelta(hours=1))
    with pytest.raises(Conflict):
        voting.cast_vote(proposal, voter, "yes", now=proposal.closes_at)
    with pytest.raises(Conflict):
        voting.cast_vote(proposal, voter, "yes", now=T - timedelta(hours=1))
    draft = make_proposal()
    with pytest.raises(Conflict):
        voting.cast_vote(draft, voter, "yes")
    assert db.session.scalar(select(func.count(Ballot.id))) == 0


def test_published_receipts_recompute_the_tally(app_ctx):
    proposal = make_proposal(open_at=T)
    choices = ["yes"] * 5 + ["no"] * 3 + ["abstain"] * 2
    receipts = {}
    for i, choice in enumerate(choices):
        voter = make_member(at=T - timedelta(days=1))
        voting.cast_vote(proposal, voter, "no", now=T + timedelta(minutes=i))  # changed below
        _, receipts[voter.id] = voting.cast_vote(proposal, voter, choice, now=T + timedelta(hours=1, minutes=i))
    for _ in range(10):
        make_member(at=T - timedelta(days=1))  # members who did not vote
    db.session.commit()
    closing.close_due_proposals(proposal.closes_at + timedelta(minutes=5))
    db.session.commit()

    published = voting.published_receipts(proposal)
    assert len(published) == 10
    assert [r.receipt_hash for r in published] == sorted(r.receipt_hash for r in published)
    recount = voting.tally_from_receipts(published, proposal.members_at_close)
    assert recount == voting.stored_tally(proposal)
    assert (recount.yes, recount.no, recount.abstain, recount.members) == (5, 3, 2, 21)  # + the author
    # Each voter finds their own receipt with the choice they made last.
    by_hash = {r.receipt_hash: r.choice.value for r in published}
    assert sorted(by_hash[voting.receipt_hash(code)] for code in receipts.values()) == sorted(choices)


def test_results_hidden_until_close_unless_the_author_chose_otherwise(client, app_ctx):
    hidden = make_proposal(open_at=datetime.now(timezone.utc) - timedelta(hours=1))
    shown = make_proposal(open_at=datetime.now(timezone.utc) - timedelta(hours=1), hide_results=False)
    r = client.get(f"/api/v1/governance/proposals/{hidden.id}/results")
    assert r.status_code == 403 and r.json["error"]["code"] == "results_hidden"
    r = client.get(f"/api/v1/governance/proposals/{shown.id}/results")
    assert r.status_code == 200 and "receipts" not in r.json
    assert r.json["tally"]["members"] == 2


def test_vote_over_the_api_shows_the_receipt_once(client, app_ctx):
    proposal = make_proposal(open_at=datetime.now(timezone.utc) - timedelta(hours=1))
    voter = make_member(at=datetime.now(timezone.utc) - timedelta(days=1))
    headers = bearer(token_for(voter))
    r = client.post(f"/api/v1/governance/proposals/{proposal.id}/votes", json={"choice": "yes"}, headers=headers)
    assert r.status_code == 201, r.json
    assert r.json["receipt"].startswith("rcpt-")
    assert r.json["receipt_hash"] == voting.receipt_hash(r.json["receipt"])
    stored = db.session.scalar(select(Ballot).where(Ballot.voter_id == voter.id))
    assert r.json["receipt"] not in stored.receipt_hash
    r = client.get(f"/api/v1/governance/proposals/{proposal.id}", headers=headers)
    assert r.json["proposal"]["your_ballot"]["choice"] == "yes"
    assert "receipt" not in str(r.json["proposal"]["your_ballot"])
    r = client.post(
        f"/api/v1/governance/proposals/{proposal.id}/votes",
        json={"choice": "yes"},
        headers=bearer(token_for(make_user())),
    )
    assert r.status_code == 403 and r.json["error"]["code"] == "not_a_member"


def test_the_database_refuses_to_alter_or_delete_a_ballot(app_ctx):
    proposal = make_proposal(open_at=T)
    voter = make_member(at=T - timedelta(days=1))
    ballot, _ = voting.cast_vote(proposal, voter, "yes", now=T + timedelta(hours=1))
    db.session.commit()
    for statement in (
        update(Ballot).where(Ballot.id == ballot.id).values(choice=Choice.NO),
        delete(Ballot).where(Ballot.id == ballot.id),
    ):
        with pytest.raises(DBAPIError) as caught, db.session.begin_nested():
            db.session.execute(statement)
        assert "append-only" in str(caught.value)
    # Not even raw SQL, as an admin with database access would type it.
    with pytest.raises(DBAPIError), db.session.begin_nested():
        db.session.execute(text("UPDATE ballots SET choice = 'no'"))
    db.session.expire_all()
    assert db.session.get(Ballot, ballot.id).choice is Choice.YES


def test_the_database_freezes_an_opened_proposal(app_ctx):
    proposal = make_proposal(open_at=T)
    for values in ({"title": "Sneaky"}, {"new_first_play_price": 1}, {"status": "draft"}, {"closes_at": T}):
        with pytest.raises(DBAPIError) as caught, db.session.begin_nested():
            db.session.execute(update(Proposal).where(Proposal.id == proposal.id).values(**values))
        assert "frozen" in str(caught.value)
    with pytest.raises(DBAPIError), db.session.begin_nested():
        db.session.execute(delete(Proposal).where(Proposal.id == proposal.id))
    # What closing writes is allowed; after that the row is final.
    closing.close_due_proposals(proposal.closes_at)
    db.session.commit()
    with pytest.raises(DBAPIError) as caught, db.session.begin_nested():
        db.session.execute(update(Proposal).where(Proposal.id == proposal.id).values(yes_count=99))
    assert "final" in str(caught.value)
    # A draft is still editable and deletable.
    draft = make_proposal()
    db.session.execute(update(Proposal).where(Proposal.id == draft.id).values(title="Retitled"))
    db.session.execute(delete(Proposal).where(Proposal.id == draft.id))


def test_the_database_allows_one_ballot_per_member_and_sequence(app_ctx):
    from sqlalchemy.exc import IntegrityError

    proposal = make_proposal(open_at=T)
    voter = make_member(at=T - timedelta(days=1))
    ballot, _ = voting.cast_vote(proposal, voter, "yes", now=T + timedelta(hours=1))
    db.session.commit()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            Ballot(
                proposal_id=proposal.id,
                voter_id=voter.id,
                sequence=ballot.sequence,
                choice=Choice.NO,
                receipt_hash="0" * 64,
                cast_at=T + timedelta(hours=2),
            )
        )
