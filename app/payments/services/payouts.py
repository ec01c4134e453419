"""Paying artists, one period at a time; and the statements artists read.

A payout goes through three steps, each its own short transaction (the runner in
``app.payments.services.payout_runs`` commits between them, so no transaction is open during a call to
Stripe):

1. ``reserve``: compute what the artist can be paid, write the ``payouts`` row (unique per
   (artist, period)) and move its credits from earnings to payouts in transit (ledger key
   ``payout:<id>``), together.
2. Stripe artists: ``transfer_request`` then the provider call (idempotency key
   ``payout-<id>``), then ``record_transfer``: success settles it (in transit -> paid out)
   at once, because a Stripe Transfer to a connected account is final when created (its
   funds are in the connected account's balance; Stripe's own payout from there to the
   artist's bank is the artist's business). A refusal (4xx) returns it to earnings; an
   unknown outcome (5xx, timeout) keeps it in transit to be retried with the same key, and
   after ``PAYOUT_MAX_ATTEMPTS`` Stripe is asked whether the transfer exists before the credits
   go back to earnings. A later ``transfer.reversed`` webhook takes them back from paid out.
3. Bank artists: listed in the CSV; an admin records the payment (in transit -> paid out).

A run that crashes between step 1 and step 2 leaves the payout in transit; running the period
again finds it (unique (artist, period)) and resumes at step 2 with the same idempotency key.

What an artist can be paid for a period: their earnings as of the end of the period that are
still in their account now, i.e. the current balance less whatever was credited (or debited)
after the period ended (by effective time: a play started before the end counts in the
period), other than payouts. Converted at the credit price in force, rounded
down (``ledger.payout_amount``); paid when it reaches the payout minimum in force.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import ledger
from app.accounts.models import User
from app.catalog.models import Artist, Track
from app.core.csv_export import write_csv
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.payments.models import (
    Payout,
    PayoutDestination,
    PayoutMethod,
    PayoutRun,
    PayoutRunStatus,
    PayoutStatus,
)
from app.payments.services import payout_holds
from app.payments.services.payment_gateway import GatewayError, TransferRequest, gateway
from ledger import AccountKind, artist_reads, reads
from ledger.types import int_sum

_PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})$")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Period:
    name: str  # "2026-11"
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC


def parse_period(text: str, *, now: datetime | None = None, ended: bool = True) -> Period:
    """``"2026-11"`` as a month in UTC. With ``ended``, refuse a month that has not ended."""
    match = _PERIOD.match((text or "").strip())
    # Years bounded so that the month's end (the next month's start) is a date too.
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 9998:
        raise ValidationFailed("A period is a month written like 2026-11.", field="period")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=timezone.utc)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)
    if ended and end > (now or utcnow()):
        raise ValidationFailed(f"{match.group(0)} has not ended yet; pay it from {end:%Y-%m-%d}.", field="period")
    return Period(match.group(0), start, end)


def last_month(now: datetime | None = None) -> str:
    now = now or utcnow()
    return f"{now.year - 1}-12" if now.month == 1 else f"{now.year}-{now.month - 1:02d}"


def this_month(now: datetime | None = None) -> str:
    now = now or utcnow()
    return f"{now.year}-{now.month:02d}"


def payable_credits(artist_id: int, period_end: datetime, *, except_payout: int | None = None) -> int:
    """Earnings up to ``period_end`` still in the artist's account (see the module docstring),
    less what held payouts keep back (a held payout's credits stay in earnings until an admin
    decides; a later period must not pay them)."""
    held = db.session.scalar(
        select(int_sum(Payout.credits)).where(
            Payout.artist_id == artist_id,
            Payout.status == PayoutStatus.HELD,
            *([Payout.id != except_payout] if except_payout else []),
        )
    )
    return max(0, artist_reads.payable_earnings(db.session, artist_id, period_end) - held)


def candidate_artists() -> list[int]:
    """Ids of artists that have an earnings account, in id order."""
    owners = artist_reads.artists_with_earnings(db.session)
    if not owners:
        return []
    return list(db.session.scalars(select(Artist.id).where(Artist.id.in_(owners)).order_by(Artist.id)))


def currency() -> str:
    return current_app.config["CURRENCY"]


@dataclass(frozen=True)
class Skipped:
    artist_id: int
    reason: str


def reserve(artist_id: int, period: Period, run_id: int | None = None) -> Payout | Skipped:
    """Step 1 for one artist: the period's payout row and its ledger move, or why not.

    Returns the existing payout when the period was already reserved (a resumed or repeated
    run): a period is paid once per artist. When the fraud check finds farmed earnings
    (``payout_holds.assess``) the row is written held, with its reasons, and nothing moves in
    the ledger until an admin decides. Flushes; the caller commits.
    """
    existing = db.session.scalar(select(Payout).where(Payout.artist_id == artist_id, Payout.period == period.name))
    if existing is not None:
        return existing
    destination = db.session.get(PayoutDestination, artist_id)
    if destination is None:
        return Skipped(artist_id, "no payout method")
    if destination.method is PayoutMethod.STRIPE and not (destination.stripe_account_id and destination.stripe_ready):
        return Skipped(artist_id, "Stripe account not ready")
    version = ledger.pricing_in_force(db.session)
    amount = ledger.payout_amount(payable_credits(artist_id, period.end), version.credit_price_cents)
    if amount.cents == 0 or amount.cents < version.payout_minimum_cents:
        return Skipped(artist_id, "below the payout minimum")
    assessment = payout_holds.assess(artist_id, period)
    payout = Payout(
        artist_id=artist_id,
        period=period.name,
        run_id=run_id,
        method=destination.method,
        status=PayoutStatus.HELD if assessment.held else PayoutStatus.IN_TRANSIT,
        credits=amount.credits,
        amount_cents=amount.cents,
        currency=currency(),
        credit_price_cents=version.credit_price_cents,
        stripe_account_id=destination.stripe_account_id if destination.method is PayoutMethod.STRIPE else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(payout)
            db.session.flush()
            if assessment.held:
                payout_holds.hold(payout, assessment)
            else:
                ledger.reserve_payout(
                    db.session,
                    payout_id=payout.id,
                    artist_id=artist_id,
                    credits=amount.credits,
                    memo=f"payout {period.name}",
                )
    except IntegrityError:
        # Another run reserved this (artist, period) at the same moment: theirs stands.
        existing = db.session.scalar(select(Payout).where(Payout.artist_id == artist_id, Payout.period == period.name))
        if existing is None:
            raise
        return existing
    return payout


def start_payout(payout: Payout) -> bool:
    """A held payout goes ahead (an admin released it, or voided part of it): its amount is
    worked out again from what its period can pay now, at its credit price, and moved to
    payouts in transit. False, moving nothing, when that is below the payout minimum. Flushes."""
    period = parse_period(payout.period, ended=False)
    version = ledger.pricing_in_force(db.session)
    amount = ledger.payout_amount(
        payable_credits(payout.artist_id, period.end, except_payout=payout.id), payout.credit_price_cents
    )
    if amount.cents == 0 or amount.cents < version.payout_minimum_cents:
        return False
    payout.credits, payout.amount_cents = amount.credits, amount.cents
    payout.status = PayoutStatus.IN_TRANSIT
    db.session.flush()
    ledger.reserve_payout(
        db.session,
        payout_id=payout.id,
        artist_id=payout.artist_id,
        credits=amount.credits,
        memo=f"payout {payout.period}",
    )
    return True


def transfer_request(payout: Payout) -> TransferRequest | None:
    """Step 2's call, if this payout still needs one (Stripe, in transit)."""
    if payout.method is not PayoutMethod.STRIPE or payout.status is not PayoutStatus.IN_TRANSIT:
        return None
    return TransferRequest(
        payout_id=payout.id,
        artist_id=payout.artist_id,
        period=payout.period,
        amount_cents=payout.amount_cents,
        currency=payout.currency,
        destination=payout.stripe_account_id,
        idempotency_key=payout.idempotency_key,
    )


def send_transfer(request: TransferRequest) -> str | GatewayError:
    """The provider call (no database work): the transfer id, or the provider's error."""
    try:
        return gateway().create_transfer(request)
    except GatewayError as exc:
        return exc


def _lock_payout(payout_id: int) -> Payout:
    payout = db.session.scalar(select(Payout).where(Payout.id == payout_id).with_for_update())
    if payout is None:
        raise NotFound(f"There is no payout {payout_id}.")
    return payout


def settle(payout: Payout, *, transfer_id: str | None = None, bank_reference: str | None = None) -> None:
    """In transit -> paid out, and the payout is paid."""
    ledger.settle_payout(
        db.session,
        payout_id=payout.id,
        artist_id=payout.artist_id,
        credits=payout.credits,
        memo=f"payout {payout.period}",
    )
    payout.status = PayoutStatus.PAID
    payout.paid_at = utcnow()
    payout.stripe_transfer_id = transfer_id or payout.stripe_transfer_id
    payout.bank_reference = bank_reference or payout.bank_reference
    payout.last_error = None
    db.session.flush()


def return_to_earnings(payout: Payout, reason: str) -> None:
    """In transit -> the artist's earnings: the payout failed for good, nothing is lost."""
    ledger.return_payout(
        db.session,
        payout_id=payout.id,
        artist_id=payout.artist_id,
        credits=payout.credits,
        memo=f"payout {payout.period} returned",
    )
    payout.status = PayoutStatus.RETURNED
    payout.last_error = reason[:2000]
    db.session.flush()


def record_transfer(payout_id: int, outcome: str | GatewayError) -> PayoutStatus:
    """Step 2's result. Flushes; the caller commits. Returns the payout's new status."""
    payout = _lock_payout(payout_id)
    if payout.status is not PayoutStatus.IN_TRANSIT:
        return payout.status  # settled or returned meanwhile (another run, a webhook)
    payout.attempts += 1
    if isinstance(outcome, str):
        settle(payout, transfer_id=outcome)
    elif outcome.permanent:
        return_to_earnings(payout, f"Stripe refused the transfer: {outcome.message}")
    else:
        payout.last_error = f"attempt {payout.attempts}: {outcome.message}"[:2000]
        if payout.attempts >= current_app.config["PAYOUT_MAX_ATTEMPTS"]:
            _give_up(payout)
    db.session.flush()
    return payout.status


def _give_up(payout: Payout) -> None:
    """After the last attempt: return the credits only if Stripe has no transfer for it."""
    try:
        found = gateway().find_transfer(payout.id)
    except GatewayError as exc:
        payout.last_error = f"{payout.last_error}; could not check Stripe: {exc.message}"[:2000]
        return  # still unknown: stay in transit, try again later
    if found:
        settle(payout, transfer_id=found)
    else:
        return_to_earnings(payout, payout.last_error or "the transfer failed")


def in_transit_transfers(period: str | None = None) -> list[int]:
    """Ids of Stripe payouts still waiting for their transfer (a crashed or failed attempt)."""
    query = select(Payout.id).where(Payout.status == PayoutStatus.IN_TRANSIT, Payout.method == PayoutMethod.STRIPE)
    if period is not None:
        query = query.where(Payout.period == period)
    return list(db.session.scalars(query.order_by(Payout.id)))


def record_bank_payment(payout_id: int, *, reference: str, by: User) -> Payout:
    """An admin paid this payout by bank transfer: in transit -> paid out."""
    payout = _lock_payout(payout_id)
    if payout.method is not PayoutMethod.BANK:
        raise Conflict("This payout goes through Stripe, not the bank.", code="not_bank")
    if payout.status is not PayoutStatus.IN_TRANSIT:
        raise Conflict(f"This payout is already {payout.status.value.replace('_', ' ')}.", code="not_in_transit")
    reference = (reference or "").strip()
    if not 1 <= len(reference) <= 200:
        raise ValidationFailed("Give the bank transfer's reference (at most 200 characters).", field="reference")
    settle(payout, bank_reference=f"{reference} (recorded by {by.email})"[:200])
    return payout


def transfer_reversed(transfer: dict) -> Payout | None:
    """Stripe reversed a transfer, wholly or in part (``amount_reversed`` is the running total
    of its reversals): the credits worth the money that came back go back to earnings, rounded
    down, and the payout is returned once the whole transfer is reversed."""
    transfer_id = transfer.get("id")
    payout = (
        db.session.scalar(select(Payout).where(Payout.stripe_transfer_id == transfer_id).with_for_update())
        if isinstance(transfer_id, str)
        else None
    )
    if payout is None or payout.status is not PayoutStatus.PAID:
        return payout
    reversed_cents = transfer.get("amount_reversed")
    if reversed_cents is None and transfer.get("reversed") is True:  # no running total given: all of it
        reversed_cents = payout.amount_cents
    if isinstance(reversed_cents, bool) or not isinstance(reversed_cents, int) or reversed_cents < 0:
        raise ValidationFailed("transfer.amount_reversed is not an amount.")
    if reversed_cents > payout.amount_cents:
        log.error(
            "transfer %s reverses %s, more than payout %s (%s)",
            transfer_id,
            reversed_cents,
            payout.id,
            payout.amount_cents,
        )
        return payout
    paid_out = ledger.system_account_id(db.session, AccountKind.PAID_OUT)
    earnings = ledger.artist_account_id(db.session, payout.artist_id)
    settled, already = artist_reads.corrected_into(db.session, f"payout-settled:{payout.id}", earnings)
    back = payout.credits * reversed_cents // payout.amount_cents
    if back > already:
        ledger.correct(
            db.session,
            key=f"payout-reversed:{payout.id}:{reversed_cents}",
            transfer_id=settled,
            postings=[(paid_out, -(back - already)), (earnings, back - already)],
            memo=f"transfer {transfer_id} reversed ({reversed_cents} of {payout.amount_cents})",
        )
    if reversed_cents == payout.amount_cents:
        payout.status = PayoutStatus.RETURNED
        payout.last_error = "Stripe reversed the transfer"
    elif reversed_cents > 0:
        payout.last_error = f"Stripe reversed {reversed_cents} of {payout.amount_cents} (minor units) of the transfer"
    db.session.flush()
    return payout


# --- runs -----------------------------------------------------------------------------------


def create_run(period_text: str, by: User | None = None) -> PayoutRun:
    """A queued run for an ended period (the admin button and the CLI). Flushes."""
    period = parse_period(period_text)
    active = db.session.scalar(
        select(PayoutRun.id).where(
            PayoutRun.period == period.name, PayoutRun.status.in_([PayoutRunStatus.QUEUED, PayoutRunStatus.RUNNING])
        )
    )
    if active is not None:
        raise Conflict(f"A run for {period.name} is already under way (run {active}).", code="run_in_progress")
    run = PayoutRun(period=period.name, requested_by_id=by.id if by else None)
    db.session.add(run)
    db.session.flush()
    return run


def get_run(run_id: int) -> PayoutRun:
    run = db.session.get(PayoutRun, run_id)
    if run is None:
        raise NotFound(f"There is no payout run {run_id}.")
    return run


def list_runs(limit: int = 20) -> list[PayoutRun]:
    return list(db.session.scalars(select(PayoutRun).order_by(PayoutRun.id.desc()).limit(limit)))


def list_payouts(
    *,
    period: str | None = None,
    status: PayoutStatus | None = None,
    method: PayoutMethod | None = None,
    artist_id: int | None = None,
    limit: int = 200,
) -> list[Payout]:
    query = select(Payout)
    if period:
        query = query.where(Payout.period == period)
    if status:
        query = query.where(Payout.status == status)
    if method:
        query = query.where(Payout.method == method)
    if artist_id:
        query = query.where(Payout.artist_id == artist_id)
    return list(db.session.scalars(query.order_by(Payout.id.desc()).limit(limit)))


def bank_csv(period: str | None = None) -> str:
    """The bank payouts still to pay (in transit), one line each, for the admin's bank."""
    from decimal import Decimal

    lines = [["payout_id", "period", "artist", "account_holder", "iban", "amount", "currency", "reference"]]
    rows = db.session.execute(
        select(Payout, Artist.name, PayoutDestination.account_holder, PayoutDestination.iban)
        .join(Artist, Artist.id == Payout.artist_id)
        .outerjoin(PayoutDestination, PayoutDestination.artist_id == Payout.artist_id)
        .where(
            Payout.method == PayoutMethod.BANK,
            Payout.status == PayoutStatus.IN_TRANSIT,
            *([Payout.period == period] if period else []),
        )
        .order_by(Payout.period, Payout.id)
    )
    for payout, name, holder, iban in rows:
        lines.append(
            [
                payout.id,
                payout.period,
                name,
                holder or "",
                iban or "",
                f"{Decimal(payout.amount_cents) / 100:.2f}",
                payout.currency,
                f"Encore payout {payout.period} #{payout.id}",
            ]
        )
    return write_csv(lines, lineterminator="\r\n")  # CRLF, as this file has always had (RFC 4180)


# --- statements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    track_id: int | None
    title: str
    plays: int  # counted plays of the track in the period (charged and free)
    credits: int  # micro-credits earned in the period (plays, buy-now, corrections)
    paid_cents: int | None  # this track's share of the period's payout (largest remainder)


@dataclass(frozen=True)
class Statement:
    artist: Artist
    period: Period
    lines: list[StatementLine]
    total_plays: int
    total_credits: int
    payout: Payout | None
    status: str  # paid, in transit, returned, waiting (not run / below the minimum)


def statement(artist: Artist, period_text: str) -> Statement:
    """Per track: plays, credits earned, amount paid, status, for one artist and month."""
    period = parse_period(period_text, ended=False)
    plays = artist_reads.plays_by_track(db.session, artist.id, period.start, period.end)
    earned = artist_reads.earnings_by_track(db.session, artist.id, period.start, period.end)
    track_ids = sorted({*plays, *(t for t in earned if t is not None)})
    titles = (
        dict(db.session.execute(select(Track.id, Track.title).where(Track.id.in_(track_ids))).all())
        if track_ids
        else {}
    )
    payout = db.session.scalar(select(Payout).where(Payout.artist_id == artist.id, Payout.period == period.name))
    keys = track_ids + ([None] if earned.get(None) else [])
    weights = [max(0, earned.get(t, 0)) for t in keys]
    shares = ledger.allocate(payout.amount_cents, weights) if payout and sum(weights) > 0 else [None] * len(keys)
    lines = [
        StatementLine(
            t, titles.get(t, f"track {t} (removed)") if t else "adjustments", plays.get(t, 0), earned.get(t, 0), share
        )
        for t, share in zip(keys, shares, strict=True)
    ]
    status = payout.status.value.replace("_", " ") if payout else "waiting"
    return Statement(artist, period, lines, sum(plays.values()), sum(earned.values()), payout, status)


def get_artist(artist_id: int) -> Artist:
    artist = db.session.get(Artist, artist_id)
    if artist is None:
        raise NotFound(f"There is no artist {artist_id}.")
    return artist


def earnings(artist: Artist) -> int:
    return reads.account_balance(db.session, AccountKind.ARTIST_EARNINGS, artist.id)
