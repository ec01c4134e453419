"""Closing votes and enacting the proposals that pass.

``close_due_proposals`` runs from the periodic task and ``flask governance close-due``. It
closes every open proposal whose window has ended, in closing order (``closes_at``, then id),
and is safe to run twice or from two workers at once: each proposal is locked and re-read
before it is closed, and a closed proposal is skipped.

Closing takes the proposal's row lock (``SELECT ... FOR UPDATE``); casting a vote takes the
same row's lock in share mode (``voting.cast_vote``). So a vote either commits before the
close counts, and is counted, or sees the proposal closed and is refused: the stored tally
always equals the published receipts, and no vote lands after the close.

A passed proposal is enacted as the complete price set recorded when it opened
(``Proposal.enacts``: what its voters were shown), never as its changes stacked on whatever
was decided since. The rule when another decision lands first:

- The prices the proposal was opened against (``Proposal.opened_against``) must still be the
  latest decided prices (the version with the latest ``effective_from``, in force or not).
  If a version decided since then changed any parameter, the proposal is **superseded**:
  enacting its set would undo a decision members took after it opened, and stacking its
  changes on the new prices would enact a schedule nobody was shown. It closes as
  ``superseded`` with its tally and receipts published, and no version is created; members
  can propose the change again against the new prices.
- The set to enact is checked again against every rule and the whole-schedule cost cap
  (``pricing.check_schedule``); a set that fails them is superseded too, never enacted.

An enacted version takes effect at the next 00:00 UTC after the close. Pricing versions have
unique ``effective_from`` instants, so when an earlier-closing proposal already took that
midnight, the later one takes the following midnight (same-day order is closing order:
``closes_at``, then id). Nothing already charged is repriced: each charge keeps the version
it was made under, and versions are immutable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, select

from app.core.errors import ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.governance.models import Proposal, ProposalStatus
from app.governance.services import notices as governance_notices
from app.governance.services import pricing, voting
from app.governance.services.pricing_parameters import proposed_values
from app.governance.services.tally import passes
from ledger.pricing import PricingParams, enact_pricing

REMINDER_BEFORE = timedelta(days=1)


def next_midnight_utc(at: datetime) -> datetime:
    """The first 00:00 UTC strictly after ``at`` (a close at exactly 00:00 takes the next day's)."""
    day = at.astimezone(timezone.utc).date() + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


@dataclass(frozen=True)
class Closed:
    proposal_id: int
    passed: bool  # passed and enacted
    effective_from: datetime | None
    status: ProposalStatus


def _lock(proposal_id: int) -> Proposal:
    """Re-read the proposal under a row lock."""
    return db.session.scalar(
        select(Proposal).where(Proposal.id == proposal_id).with_for_update().execution_options(populate_existing=True)
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
    status = ProposalStatus.PASSED if passes(tally, voting.rule_of(proposal)) else ProposalStatus.REJECTED
    effective_from = None
    if status is ProposalStatus.PASSED:
        # Enact before touching the row: once its status says closed, the row is final (trigger).
        effective_from = _enact(proposal, now)
        if effective_from is None:
            status = ProposalStatus.SUPERSEDED
    proposal.members_at_close = tally.members
    proposal.yes_count, proposal.no_count, proposal.abstain_count = tally.yes, tally.no, tally.abstain
    proposal.closed_at = now
    proposal.effective_from = effective_from
    proposal.status = status
    db.session.flush()
    return Closed(proposal.id, status is ProposalStatus.PASSED, proposal.effective_from, status)


def enactable(proposal: Proposal) -> PricingParams | None:
    """The complete price set a passed ``proposal`` is enacted as, or None when it is
    superseded (see the module's rule)."""
    latest = pricing.latest_params()
    if proposal.enacts is None or proposal.opened_against is None:
        # Opened before the sets were recorded: its changes on the latest decided prices,
        # held to every rule like any other set.
        target = pricing.apply(latest, proposed_values(proposal))
    else:
        if pricing.params_from_record(proposal.opened_against) != latest:
            return None
        target = pricing.params_from_record(proposal.enacts)
    try:
        return pricing.check_schedule(target)
    except ValidationFailed:
        return None


# One enactment at a time (a transaction-level advisory lock, released at commit): two workers
# closing two proposals at once must not both read the same "latest decided" prices.
ENACT_LOCK_KEY = 0x656E6163  # "enac"


def _enact(proposal: Proposal, closed_at: datetime) -> datetime | None:
    db.session.execute(select(func.pg_advisory_xact_lock(ENACT_LOCK_KEY)))
    params = enactable(proposal)
    if params is None:
        return None
    # Enacted at the actual close, not the scheduled one: a job running late must not create
    # a version whose effective time is already past (plays since then used the old one).
    effective_from = next_midnight_utc(closed_at)
    base = pricing.latest_version()
    if base.effective_from >= effective_from:
        effective_from = next_midnight_utc(base.effective_from)
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
