"""Paying artists: converting earnings to money, and the three moves of a payout.

Conversion (integers only). At a credit price of ``p`` minor units per credit, ``e``
micro-credits are worth ``e * p / 1_000_000`` minor units; the payout is that rounded DOWN:

    cents  = floor(e * p / 1_000_000)
    credits = ceil(cents * 1_000_000 / p)      # the fewest micro-credits worth `cents`

``credits`` is what moves out of earnings: it is worth at least ``cents`` (never less than we
pay) and one micro-credit fewer would be worth less than ``cents``; it never exceeds ``e``;
and what stays, ``e - credits``, is worth less than one minor unit, so it waits for the next
run. (At the default price, 125 cents, one cent is exactly 8,000 micro-credits.)

Moves, each a transfer with a key derived from the payout's id:

* ``payout:<id>``          artist earnings -> payouts in transit   (the run reserves it)
* ``payout-settled:<id>``  payouts in transit -> paid out          (Stripe or the bank confirmed)
* ``payout-returned:<id>`` payouts in transit -> artist earnings   (the transfer failed for good)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.accounts import artist_account_id, system_account_id
from ledger.errors import InvalidOperation
from ledger.schema import AccountKind, TransferKind
from ledger.transfers import TransferResult, transfer
from ledger.units import MICRO_PER_CREDIT, require_amount


@dataclass(frozen=True)
class PayoutAmount:
    cents: int  # minor units paid
    credits: int  # micro-credits moved out of earnings for them
    remainder: int  # micro-credits that stay as earnings


def payout_amount(earnings: int, credit_price_cents: int) -> PayoutAmount:
    """Split ``earnings`` micro-credits into what is paid now and what waits (see above)."""
    require_amount(earnings, "earnings")
    require_amount(credit_price_cents, "credit price")
    if earnings < 0 or credit_price_cents <= 0:
        raise InvalidOperation("earnings must be >= 0 and the credit price > 0")
    cents = earnings * credit_price_cents // MICRO_PER_CREDIT
    credits = -(-cents * MICRO_PER_CREDIT // credit_price_cents)  # ceiling division
    return PayoutAmount(cents=cents, credits=credits, remainder=earnings - credits)


def _check(payout_id: int, artist_id: int, credits: int) -> None:
    for value, what in ((payout_id, "payout id"), (artist_id, "artist id"), (credits, "credits")):
        require_amount(value, what)
        if value <= 0:
            raise InvalidOperation(f"{what} must be positive")


def reserve_payout(session: Session, *, payout_id: int, artist_id: int, credits: int, memo: str = "") -> TransferResult:
    """Move ``credits`` from the artist's earnings to payouts in transit (NegativeBalance if
    the earnings hold less). Idempotent on the payout id."""
    _check(payout_id, artist_id, credits)
    earnings = artist_account_id(session, artist_id)
    transit = system_account_id(session, AccountKind.PAYOUTS_IN_TRANSIT)
    return transfer(
        session, f"payout:{payout_id}", [(earnings, -credits), (transit, credits)], kind=TransferKind.PAYOUT, memo=memo
    )


def settle_payout(session: Session, *, payout_id: int, artist_id: int, credits: int, memo: str = "") -> TransferResult:
    """The money reached the artist: payouts in transit -> paid out."""
    _check(payout_id, artist_id, credits)
    transit = system_account_id(session, AccountKind.PAYOUTS_IN_TRANSIT)
    paid_out = system_account_id(session, AccountKind.PAID_OUT)
    return transfer(
        session,
        f"payout-settled:{payout_id}",
        [(transit, -credits), (paid_out, credits)],
        kind=TransferKind.PAYOUT_SETTLED,
        memo=memo,
    )


def return_payout(session: Session, *, payout_id: int, artist_id: int, credits: int, memo: str = "") -> TransferResult:
    """The payout failed for good: payouts in transit -> the artist's earnings again."""
    _check(payout_id, artist_id, credits)
    transit = system_account_id(session, AccountKind.PAYOUTS_IN_TRANSIT)
    earnings = artist_account_id(session, artist_id)
    return transfer(
        session,
        f"payout-returned:{payout_id}",
        [(transit, -credits), (earnings, credits)],
        kind=TransferKind.PAYOUT_RETURNED,
        memo=memo,
    )
