"""What an artist's payouts and statements read from the ledger: earnings still payable for a
month, earnings and plays per track in a period, what a reversed payout already gave back.

The web layer's payout run and statements call these instead of querying the ledger's tables.
Reads take no locks. Periods are half-open, ``[start, end)``, on the transfer's or play's
``created_at``. Amounts are integer micro-credits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.schema import Account, AccountKind, Play, Posting, Transfer, TransferKind
from ledger.transfers import derived_balance
from ledger.types import int_sum

# Transfers that move earnings out to a payout or back from one: not earnings of a period.
PAYOUT_KINDS = (TransferKind.PAYOUT, TransferKind.PAYOUT_RETURNED)


def earnings_account(session: Session, artist_id: int) -> int | None:
    """The id of the artist's earnings account, or None before they have earned anything."""
    return session.scalar(
        select(Account.id).where(Account.kind == AccountKind.ARTIST_EARNINGS, Account.owner_id == artist_id)
    )


def artists_with_earnings(session: Session) -> list[int]:
    """Ids of the artists that have an earnings account, in id order."""
    return list(
        session.scalars(
            select(Account.owner_id).where(Account.kind == AccountKind.ARTIST_EARNINGS).order_by(Account.owner_id)
        )
    )


def payable_earnings(session: Session, artist_id: int, period_end: datetime) -> int:
    """Earnings effective before ``period_end`` (a play's charge counts at the play's start) still in the artist's account: the balance now less what
    was earned (or corrected) since, never below 0 nor above the balance. Payouts and returned
    payouts since ``period_end`` do not count as later earnings: they moved earlier money."""
    account = earnings_account(session, artist_id)
    if account is None:
        return 0
    balance = derived_balance(session, account)
    later = session.scalar(
        select(int_sum(Posting.amount))
        .join(Transfer, Transfer.id == Posting.transfer_id)
        .where(Posting.account_id == account, Transfer.effective_at >= period_end, Transfer.kind.not_in(PAYOUT_KINDS))
    )
    return max(0, min(balance, balance - (later or 0)))


def earnings_by_track(session: Session, artist_id: int, start: datetime, end: datetime) -> dict[int | None, int]:
    """Credits the artist earned in ``[start, end)`` (by effective time) per track (None: transfers of no track,
    such as corrections). Payout moves are left out."""
    account = earnings_account(session, artist_id)
    if account is None:
        return {}
    excluded = (*PAYOUT_KINDS, TransferKind.PAYOUT_SETTLED)
    rows = session.execute(
        select(Transfer.track_id, int_sum(Posting.amount))
        .join(Transfer, Transfer.id == Posting.transfer_id)
        .where(
            Posting.account_id == account,
            Transfer.effective_at >= start,
            Transfer.effective_at < end,
            Transfer.kind.not_in(excluded),
        )
        .group_by(Transfer.track_id)
    ).all()
    return dict(rows)


def plays_by_track(session: Session, artist_id: int, start: datetime, end: datetime) -> dict[int, int]:
    """Counted plays of the artist's tracks in ``[start, end)``, per track."""
    rows = session.execute(
        select(Play.track_id, func.count(Play.id))
        .where(Play.artist_id == artist_id, Play.created_at >= start, Play.created_at < end)
        .group_by(Play.track_id)
    ).all()
    return dict(rows)


def corrected_into(session: Session, key: str, account_id: int) -> tuple[int | None, int]:
    """The transfer with idempotency key ``key`` (None if there is none) and the sum its
    corrections have posted to ``account_id`` so far (what a reversed payout already gave back)."""
    transfer_id = session.scalar(select(Transfer.id).where(Transfer.idempotency_key == key))
    if transfer_id is None:
        return None, 0
    already = session.scalar(
        select(int_sum(Posting.amount))
        .join(Transfer, Transfer.id == Posting.transfer_id)
        .where(Transfer.corrects_transfer_id == transfer_id, Posting.account_id == account_id)
    )
    return transfer_id, already or 0
