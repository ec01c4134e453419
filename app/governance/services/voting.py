"""Casting ballots, counting them, and publishing the receipts.

Ballots are append-only rows. A member's counted ballot is their one with the highest
``sequence``; changing a vote appends the next sequence. The unique constraint on
(proposal, voter, sequence) means two submissions racing for the same sequence cannot both
land: the loser retries on top of the winner, so the member still has one latest ballot.

Each ballot gets a random receipt code, shown once to the voter; only its SHA-256 is stored.
After the close, the (receipt hash, choice) of every counted ballot is published, sorted by
hash so the order says nothing about who voted when; the tally is recomputable from it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.accounts.suspension import require_not_suspended
from app.accounts.verification import require_verified
from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.governance.models import Ballot, Choice, Proposal, ProposalStatus
from app.governance.services import membership
from app.governance.services.tally import Rule, Tally

RECEIPT_PREFIX = "rcpt-"
_RETRIES = 5


def receipt_hash(code: str) -> str:
    """What is published for a receipt code: its SHA-256, hex."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


def parse_choice(value) -> Choice:
    try:
        return Choice(value)
    except ValueError:
        raise ValidationFailed("Vote yes, no or abstain.", field="choice") from None


def cast_vote(proposal: Proposal, voter: User, choice, *, now: datetime | None = None) -> tuple[Ballot, str]:
    """Record ``voter``'s vote; returns the ballot and its receipt code (shown once, never stored)."""
    now = now or utcnow()
    require_not_suspended(voter, "vote")
    require_verified(voter, "vote")
    choice = parse_choice(choice)
    # The proposal's row lock in share mode: votes don't wait for one another, but the close
    # (FOR UPDATE) waits for every vote in flight to commit and counts it, and a vote arriving
    # after the close sees it closed. Re-read under the lock: the caller's copy may be stale.
    proposal = db.session.scalar(
        select(Proposal)
        .where(Proposal.id == proposal.id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if proposal.status is not ProposalStatus.OPEN or now >= proposal.closes_at:
        raise Conflict("This proposal is not open for voting.", code="voting_closed")
    if now < proposal.opened_at:
        raise Conflict("This proposal is not open for voting yet.", code="voting_closed")
    if not membership.is_member(voter, now):
        raise Forbidden("Only current members of the co-op can vote.", code="not_a_member")

    # Queue this member's simultaneous submissions behind one another (a row lock on the
    # voter). The unique (proposal, voter, sequence) is
    # the guarantee; the lock only spares the losers their retries.
    db.session.execute(select(User.id).where(User.id == voter.id).with_for_update())
    for _attempt in range(_RETRIES):
        code = RECEIPT_PREFIX + secrets.token_urlsafe(18)
        latest = db.session.scalar(
            select(func.max(Ballot.sequence)).where(Ballot.proposal_id == proposal.id, Ballot.voter_id == voter.id)
        )
        ballot = Ballot(
            proposal_id=proposal.id,
            voter_id=voter.id,
            sequence=(latest or 0) + 1,
            choice=choice,
            receipt_hash=receipt_hash(code),
            cast_at=now,
        )
        try:
            # A SAVEPOINT, so losing the race rolls back this insert only, not the request.
            with db.session.begin_nested():
                db.session.add(ballot)
        except IntegrityError:
            continue  # another submission by the same member took this sequence: go on top of it
        return ballot, code
    raise Conflict(
        "Your vote could not be recorded because of simultaneous submissions; try again.", code="vote_conflict"
    )


def current_ballot(proposal: Proposal, voter) -> Ballot | None:
    """The ballot of ``voter`` that counts now, if any."""
    if voter is None or getattr(voter, "id", None) is None:
        return None
    return db.session.scalar(
        select(Ballot)
        .where(Ballot.proposal_id == proposal.id, Ballot.voter_id == voter.id)
        .order_by(Ballot.sequence.desc())
        .limit(1)
    )


def counted_ballots_query(proposal: Proposal, at: datetime):
    """The latest ballot of each voter who is a member at ``at`` (the close, for the result).

    A former member's ballot stops counting: one member, one vote, at the close.
    """
    latest = (
        select(Ballot.voter_id, func.max(Ballot.sequence).label("sequence"))
        .where(Ballot.proposal_id == proposal.id, Ballot.cast_at < at)
        .group_by(Ballot.voter_id)
        .subquery()
    )
    return (
        select(Ballot)
        .join(latest, (Ballot.voter_id == latest.c.voter_id) & (Ballot.sequence == latest.c.sequence))
        .where(Ballot.proposal_id == proposal.id, Ballot.voter_id.in_(membership.member_ids_at(at)))
    )


def count(proposal: Proposal, at: datetime) -> Tally:
    """Count the ballots as they stand at ``at``."""
    counted = counted_ballots_query(proposal, at).subquery()
    rows = dict(db.session.execute(select(counted.c.choice, func.count()).group_by(counted.c.choice)).all())
    return Tally(
        members=membership.count_members(at),
        yes=rows.get(Choice.YES, 0),
        no=rows.get(Choice.NO, 0),
        abstain=rows.get(Choice.ABSTAIN, 0),
    )


def rule_of(proposal: Proposal) -> Rule:
    return Rule(proposal.quorum_percent, proposal.threshold_num, proposal.threshold_den)


def stored_tally(proposal: Proposal) -> Tally:
    """The tally written when the proposal closed."""
    if not proposal.status.closed:
        raise Conflict("This proposal has not closed yet.", code="not_closed")
    return Tally(proposal.members_at_close, proposal.yes_count, proposal.no_count, proposal.abstain_count)


def results_visible(proposal: Proposal) -> bool:
    """Counts are shown after the close, or during the vote when the author chose so."""
    return proposal.status.closed or (proposal.status is ProposalStatus.OPEN and not proposal.hide_results)


def current_tally(proposal: Proposal, *, now: datetime | None = None) -> Tally:
    """The result so far (or the final one). Refused while results are hidden."""
    if proposal.status.closed:
        return stored_tally(proposal)
    if not results_visible(proposal):
        raise Forbidden("The results of this vote are hidden until it closes.", code="results_hidden")
    return count(proposal, now or utcnow())


@dataclass(frozen=True)
class PublishedReceipt:
    receipt_hash: str
    choice: Choice


def published_receipts(proposal: Proposal) -> list[PublishedReceipt]:
    """(receipt hash, choice) of every counted ballot, sorted by hash. Only after the close."""
    if not proposal.status.closed:
        raise Forbidden("Receipts are published when the vote closes.", code="not_closed")
    ballots = db.session.scalars(counted_ballots_query(proposal, proposal.closes_at))
    return sorted((PublishedReceipt(b.receipt_hash, b.choice) for b in ballots), key=lambda r: r.receipt_hash)


def tally_from_receipts(receipts: list[PublishedReceipt], members: int) -> Tally:
    """Recount a published list, as any member can."""
    return Tally(
        members=members,
        yes=sum(r.choice is Choice.YES for r in receipts),
        no=sum(r.choice is Choice.NO for r in receipts),
        abstain=sum(r.choice is Choice.ABSTAIN for r in receipts),
    )
