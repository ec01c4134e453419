"""What an admin decides about a payout held for review (``payout_holds`` holds it): release
it (it pays as usual) or void the suspects' earnings back to the co-op (corrections, in the
books) and pay the rest if it still reaches the minimum. Every function flushes; the request commits.

Kept apart from ``payout_holds`` because deciding reuses the payout run's own steps
(``payouts.start_payout``), while the run itself asks ``payout_holds`` whether to hold."""

from __future__ import annotations

from sqlalchemy import select

import ledger
from app.accounts.models import User
from app.core.errors import Conflict, NotFound
from app.core.extensions import db
from app.core.types import utcnow
from app.payments.models import Payout, PayoutDestination, PayoutHold, PayoutMethod, PayoutStatus
from app.payments.services import payouts
from app.payments.services.payout_holds import EARNING_KINDS
from ledger.schema import AccountKind, Posting, Transfer


def _held(payout_id: int) -> tuple[Payout, PayoutHold]:
    payout = db.session.scalar(select(Payout).where(Payout.id == payout_id).with_for_update())
    if payout is None:
        raise NotFound(f"There is no payout {payout_id}.")
    record = db.session.get(PayoutHold, payout_id)
    if payout.status is not PayoutStatus.HELD or record is None:
        raise Conflict(
            f"Payout {payout_id} is not held (it is {payout.status.value.replace('_', ' ')}).", code="not_held"
        )
    return payout, record


def _decide(record: PayoutHold, decision: str, by: User | None) -> None:
    record.decision = decision
    record.decided_by_id = by.id if by else None
    record.decided_at = utcnow()


def _destination_gone(payout: Payout) -> bool:
    """The artist's payout method changed or went away since the hold (its last manager left):
    a released payout would have nowhere to go."""
    destination = db.session.get(PayoutDestination, payout.artist_id)
    if destination is None or destination.method is not payout.method:
        return True
    return payout.method is PayoutMethod.STRIPE and destination.stripe_account_id != payout.stripe_account_id


def release(payout_id: int, *, by: User | None = None) -> Payout:
    """The admin found nothing wrong: reserve the payout as a run would (then it pays as usual:
    the Stripe transfer is sent by the caller's task, a bank payout joins the CSV). Flushes."""
    payout, record = _held(payout_id)
    if _destination_gone(payout):
        raise Conflict(
            "The artist's payout method changed since the hold; void it or wait for the next run.",
            code="destination_changed",
        )
    if not payouts.start_payout(payout):
        raise Conflict(
            "The artist's earnings for this period no longer reach the payout minimum.", code="below_minimum"
        )
    _decide(record, "released", by)
    db.session.flush()
    return payout


def suspect_charges(payout: Payout, record: PayoutHold) -> list[tuple[int, int]]:
    """(charge transfer id, artist's part) of every suspect's charge in the payout's period."""
    if not record.suspects:
        return []
    period = payouts.parse_period(payout.period, ended=False)
    account = ledger.artist_account_id(db.session, payout.artist_id)
    return [
        (transfer_id, amount)
        for transfer_id, amount in db.session.execute(
            select(Transfer.id, Posting.amount)
            .join(Posting, Posting.transfer_id == Transfer.id)
            .where(
                Posting.account_id == account,
                Posting.amount > 0,
                Transfer.kind.in_(EARNING_KINDS),
                Transfer.listener_id.in_(record.suspects),
                Transfer.effective_at >= period.start,
                Transfer.effective_at < period.end,
            )
            .order_by(Transfer.id)
        )
    ]


def void(payout_id: int, *, by: User | None = None) -> Payout:
    """Take the suspects' earnings back to the co-op, then pay the rest if it reaches the
    payout minimum (in transit), else leave it as earnings (voided). Flushes."""
    payout, record = _held(payout_id)
    earnings = ledger.artist_account_id(db.session, payout.artist_id)
    revenue = ledger.system_account_id(db.session, AccountKind.COOP_REVENUE)
    moved = 0
    for transfer_id, amount in suspect_charges(payout, record):
        ledger.correct(
            db.session,
            key=f"payout-void:{payout.id}:{transfer_id}",
            transfer_id=transfer_id,
            postings=[(earnings, -amount), (revenue, amount)],
            memo=f"payout {payout.id} ({payout.period}) held: farmed earnings taken back",
        )
        moved += amount
    record.voided_credits = moved
    _decide(record, "voided", by)
    if _destination_gone(payout):
        payout.status = PayoutStatus.VOIDED
        payout.last_error = "suspicious earnings voided; the payout method changed, the rest waits for a later run"
    elif not payouts.start_payout(payout):
        payout.status = PayoutStatus.VOIDED
        payout.last_error = "suspicious earnings voided; the rest is below the payout minimum"
    db.session.flush()
    return payout
