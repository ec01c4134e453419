"""Refunds of top-ups: take back what is still in the wallet, report what was already spent.

A wallet never goes negative, so a refund of credits the listener has since spent cannot be
taken back in full. ``refund_top_up`` moves ``min(balance, amount)`` from the wallet back to
payments clearing (a ``REFUND`` transfer) under the wallet's lock, and returns how much it
could not take; the caller records that part as owed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.accounts import lock_wallet, system_account_id
from ledger.errors import IdempotencyConflict, InvalidOperation
from ledger.schema import AccountKind, Transfer, TransferKind
from ledger.transfers import check_key, find_transfer, fingerprint, normalize_postings, postings_of, write_transfer
from ledger.units import require_amount


@dataclass(frozen=True)
class RefundResult:
    """What a refund did: ``taken`` micro-credits left the wallet, ``short`` could not (spent)."""

    requested: int
    taken: int
    transfer_id: int | None  # None when nothing could be taken (an empty wallet)
    replayed: bool = False

    @property
    def short(self) -> int:
        return self.requested - self.taken


def refund_top_up(session: Session, *, key: str, listener_id: int, amount: int, memo: str = "") -> RefundResult:
    """Take back up to ``amount`` micro-credits of a refunded top-up from the listener's wallet.

    Idempotent on ``key`` when something was taken (the first result is returned). When the
    wallet is empty nothing is written, so the caller must make its own record of the refund
    step idempotent (the web layer keys its receivable on the same key). Runs in a SAVEPOINT;
    flushes, never commits.
    """
    check_key(key)
    require_amount(amount)
    if isinstance(listener_id, bool) or not isinstance(listener_id, int) or listener_id <= 0:
        raise InvalidOperation(f"listener_id must be a positive integer id, not {listener_id!r}")
    if amount <= 0:
        raise InvalidOperation("a refund is a positive amount")

    def replayed(existing: Transfer) -> RefundResult:
        taken = sum(a for _, a in postings_of(session, existing.id) if a > 0)
        # The fingerprint holds the requested amount: the same key for another amount is refused.
        if existing.fingerprint != fingerprint("refund", listener_id, amount, taken):
            raise IdempotencyConflict(key)
        return RefundResult(requested=amount, taken=taken, transfer_id=existing.id, replayed=True)

    try:
        with session.begin_nested():
            wallet, balance = lock_wallet(session, listener_id)  # held to the end of the transaction
            existing = find_transfer(session, key)
            if existing is not None:
                return replayed(existing)
            taken = min(balance, amount)
            if taken == 0:
                return RefundResult(requested=amount, taken=0, transfer_id=None)
            clearing = system_account_id(session, AccountKind.PAYMENTS_CLEARING)
            result = write_transfer(
                session,
                key=key,
                fp=fingerprint("refund", listener_id, amount, taken),
                kind=TransferKind.REFUND,
                postings=normalize_postings([(wallet, -taken), (clearing, taken)]),
                wallet_ids={wallet},
                listener_id=listener_id,
                memo=memo,
            )
            return RefundResult(requested=amount, taken=taken, transfer_id=result.id)
    except IntegrityError:
        existing = find_transfer(session, key)
        if existing is None:
            raise
        return replayed(existing)
