"""Closing votes and enacting the proposals that pass.

``close_due_proposals`` runs from the periodic task and ``flask governance close-due``. It
closes every open proposal whose window has ended, in closing order (``closes_at``, then id),
and is safe to run twice or from two workers at once: each proposal is locked and re-read
before it is closed, and a closed proposal is skipped.

A passed proposal becomes a new pricing version effective at the next 00:00 UTC after it was
closed. The new version starts from the latest version already decided (which may itself
take effect in the future) and carries forward every parameter the proposal leaves alone.
Pricing versions have unique ``effective_from`` instants, so when an earlier-closing
proposal already took that midnight, the later one takes the following midnight: two passed
proposals touching the same parameter take effect in closing order, and the earlier one is
in force for at least a day. Nothing already charged is repriced: each charge keeps the
version it was made under, and versions are immutable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from app.core.extensions import db
from app.governance.models import Proposal, ProposalStatus
from app.core.types import utcnow
from app.governance.services import notices as governance_notices, pricing, voting
from app.governance.services.proposals import proposed_values
from app.governance.services.tally import passes
from ledger.pricing import enact_pricing, params_of

REMINDER_BEFORE = timedelta(days=1)


def next_midnight_utc(at: datetime) -> datetime:
    """The first 00:00 UTC strictly after ``at`` (a close at exactly 00:00 takes the next day's)."""
    day = at.astimezone(timezone.utc).date() + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


@dataclass(frozen=True)
class Closed:
    proposal_id: int
    passed: bool
    effective_from: datetime | None


def _lock(proposal_id: int) -> Proposal:
    """Re-read the proposal under a row lock."""
    return db.session.scalar(
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def close_proposal(proposal: Proposal, *, now: datetime | None = None) -> Closed | None:
    """Close one proposal whose window has ended: count, decide, enact if it passed.

    Returns None when there was nothing to do (not open, or not due yet).
    """
    now = now or utcnow()
    proposal = _lock(proposal.id)
    if proposal.status is not ProposalStatus.OPEN or proposal.closes_at > now:
        return None
    # Everything is measured at the scheduled close, so a late-running job gives the same result.
    tally = voting.count(proposal, proposal.closes_at)
    passed = passes(tally, voting.rule_of(proposal))
    # Enact before touching the row: once its status says closed, the row is final (trigger).
    effective_from = _enact(proposal, now) if passed else None
    proposal.members_at_close = tally.members
    proposal.yes_count, proposal.no_count, proposal.abstain_count = tally.yes, tally.no, tally.abstain
    proposal.closed_at = now
    proposal.effective_from = effective_from
    proposal.status = ProposalStatus.PASSED if passed else ProposalStatus.REJECTED
    db.session.flush()
    return Closed(proposal.id, passed, proposal.effective_from)


def _enact(proposal: Proposal, closed_at: datetime) -> datetime:
    # Enacted at the actual close, not the scheduled one: a job running late must not create
    # a version whose effective time is already past (plays since then used the old one).
    effective_from = next_midnight_utc(closed_at)
    base = pricing.latest_version()
    if base.effective_from >= effective_from:
        effective_from = next_midnight_utc(base.effective_from)
    params = pricing.apply(params_of(base), proposed_values(proposal))
    enact_pricing(db.session, params, effective_from=effective_from, proposal_id=proposal.id)
    return effective_from


def close_due_proposals(now: datetime | None = None) -> list[Closed]:
    """Close every open proposal whose window has ended, in closing order. Flushes only."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Proposal.id)
        .where(Proposal.status == ProposalStatus.OPEN, Proposal.closes_at <= now)
        .order_by(Proposal.closes_at, Proposal.id)
    ).all()
    results = []
    for proposal_id in due:
        closed = close_proposal(db.session.get(Proposal, proposal_id), now=now)
        if closed is not None:
            results.append(closed)
    return results


def send_closing_reminders(now: datetime | None = None) -> int:
    """Queue the "closes within a day" email for open proposals not reminded yet.

    Returns how many proposals were reminded about. Idempotent (and each email has its own
    dedupe key besides).
    """
    now = now or utcnow()
    due = db.session.scalars(
        select(Proposal.id).where(
            Proposal.status == ProposalStatus.OPEN,
            Proposal.reminder_sent_at.is_(None),
            Proposal.closes_at > now,
            Proposal.closes_at <= now + REMINDER_BEFORE,
        )
    ).all()
    reminded = 0
    for proposal_id in due:
        proposal = _lock(proposal_id)
        if proposal.reminder_sent_at is not None or proposal.status is not ProposalStatus.OPEN:
            continue
        governance_notices.proposal_closing_soon(proposal, at=now)
        proposal.reminder_sent_at = now
        reminded += 1
    db.session.flush()
    return reminded
