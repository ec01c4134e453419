"""Transfers: the one way credits move. Postings sum to zero; a transfer is never edited.

``transfer()`` is the generic, safe primitive (refunds, payouts, corrections, top-ups use it);
the operations in ``ledger.operations`` build on the same pieces.

Idempotency: every transfer has a unique key and a fingerprint of the request's content. The
same key with the same content returns the first transfer (``replayed=True``); the same key
with other content raises ``IdempotencyConflict``. If two sessions insert the same key at the
same moment, the database's unique index lets one win; the other's insert fails, its
savepoint rolls back, and it answers from the winner's row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.accounts import account_kinds, lock_accounts
from ledger.errors import IdempotencyConflict, InsufficientCredits, InvalidOperation, NegativeBalance
from ledger.schema import NON_NEGATIVE_KINDS, Account, AccountKind, Posting, Transfer, TransferKind
from ledger.types import int_sum, utcnow
from ledger.units import MAX_AMOUNT, require_amount

MAX_KEY_LENGTH = 200

# Statements built once (every charge runs them; building them per call costs more CPU than
# the database spends executing them).
_transfers, _postings, _accounts = (cast(Table, m.__table__) for m in (Transfer, Posting, Account))
_INSERT_TRANSFER = insert(_transfers).returning(_transfers.c.id)
_INSERT_POSTINGS = insert(_postings)
_MOVE_WALLET_BALANCE = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account_id"))
    .values(balance=_accounts.c.balance + bindparam("amount"))
)


@dataclass(frozen=True)
class TransferResult:
    id: int
    key: str
    kind: TransferKind
    postings: tuple[tuple[int, int], ...]  # (account id, amount), in account id order
    created_at: datetime
    replayed: bool = False  # True when the key had been used before and this is the first result
    effective_at: datetime | None = None  # when it counts (statements, payouts, rollups)


def fingerprint(*content: object) -> str:
    """A stable digest of a request's content (JSON of plain values)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidOperation(f"an idempotency key is a string of 1 to {MAX_KEY_LENGTH} characters")
    return key


def normalize_postings(postings: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Check (account id, amount) pairs: integers, non-zero and at most ``MAX_AMOUNT``, one per
    account, at least two, summing to zero. Returned sorted by account id."""
    out = []
    for posting in postings:
        try:
            account, amount = posting
        except (TypeError, ValueError):
            raise InvalidOperation("a posting is an (account id, amount) pair") from None
        require_amount(account, "account id")
        require_amount(amount, "posting amount")
        if amount == 0:
            raise InvalidOperation("a posting cannot be zero")
        if abs(amount) > MAX_AMOUNT:
            raise InvalidOperation(f"a posting moves at most {MAX_AMOUNT} micro-credits")
        out.append((account, amount))
    if len(out) < 2:
        raise InvalidOperation("a transfer needs at least two postings")
    if len({account for account, _ in out}) != len(out):
        raise InvalidOperation("one posting per account in a transfer")
    if sum(amount for _, amount in out) != 0:
        raise InvalidOperation("the postings of a transfer must sum to zero")
    return tuple(sorted(out))


def find_transfer(session: Session, key: str) -> Transfer | None:
    return session.execute(select(Transfer).where(Transfer.idempotency_key == key)).scalar_one_or_none()


def postings_of(session: Session, transfer_id: int) -> tuple[tuple[int, int], ...]:
    rows = session.execute(
        select(Posting.account_id, Posting.amount)
        .where(Posting.transfer_id == transfer_id)
        .order_by(Posting.account_id)
    )
    return tuple((row.account_id, row.amount) for row in rows)


def replay(session: Session, existing: Transfer, fp: str) -> TransferResult:
    """The first result for a retried key, or ``IdempotencyConflict`` if the content differs."""
    if existing.fingerprint != fp:
        raise IdempotencyConflict(existing.idempotency_key)
    return TransferResult(
        id=existing.id,
        key=existing.idempotency_key,
        kind=existing.kind,
        postings=postings_of(session, existing.id),
        created_at=existing.created_at,
        replayed=True,
        effective_at=existing.effective_at,
    )


def derived_balance(session: Session, account_id: int) -> int:
    """Sum of an account's postings (how non-wallet balances are known)."""
    return session.scalar(select(int_sum(Posting.amount)).where(Posting.account_id == account_id)) or 0


def write_transfer(
    session: Session,
    *,
    key: str,
    fp: str,
    kind: TransferKind,
    postings: tuple[tuple[int, int], ...],
    wallet_ids: set[int],
    listener_id: int | None = None,
    track_id: int | None = None,
    pricing_version_id: int | None = None,
    corrects_transfer_id: int | None = None,
    reverses_transfer_id: int | None = None,
    memo: str = "",
    effective_at: datetime | None = None,
) -> TransferResult:
    """Insert a checked transfer and its postings and move the stored wallet balances.

    The caller has validated the postings, holds the lock of every wallet in ``wallet_ids``
    that is debited, and checked there are enough credits (the CHECK constraint on the
    balance is only the backstop). ``effective_at`` defaults to now (``ledger.clock``).
    """
    now = utcnow()
    effective_at = effective_at or now
    connection = session.connection()  # Core on the session's connection: the hot path stays lean
    transfer_id = connection.execute(
        _INSERT_TRANSFER,
        {
            "idempotency_key": key,
            "fingerprint": fp,
            "kind": kind,
            "listener_id": listener_id,
            "track_id": track_id,
            "pricing_version_id": pricing_version_id,
            "corrects_transfer_id": corrects_transfer_id,
            "reverses_transfer_id": reverses_transfer_id,
            "memo": memo,
            "created_at": now,
            "effective_at": effective_at,
        },
    ).scalar_one()
    # One statement for all of them: the database checks each INSERT of postings over the
    # rows it inserted, and a transfer must balance at its end (not an executemany, which
    # psycopg sends as one INSERT per row).
    connection.execute(
        _INSERT_POSTINGS.values(
            [{"transfer_id": transfer_id, "account_id": account, "amount": amount} for account, amount in postings]
        )
    )
    for account, amount in postings:
        if account in wallet_ids:
            connection.execute(_MOVE_WALLET_BALANCE, {"account_id": account, "amount": amount})
    return TransferResult(
        id=transfer_id, key=key, kind=kind, postings=postings, created_at=now, effective_at=effective_at
    )


def transfer(
    session: Session,
    key: str,
    postings: Iterable[tuple[int, int]],
    *,
    kind: TransferKind,
    memo: str = "",
    listener_id: int | None = None,
    track_id: int | None = None,
    pricing_version_id: int | None = None,
    corrects_transfer_id: int | None = None,
    reverses_transfer_id: int | None = None,
) -> TransferResult:
    """Move credits: write one transfer made of ``postings`` ((account id, amount) pairs,
    positive = credit, summing to zero), atomically, idempotently.

    Every account that must stay non-negative and is debited, and every wallet touched, is
    locked (in account id order) before its balance is checked: wallets against their stored
    balance (``InsufficientCredits``), the others against the sum of their postings
    (``NegativeBalance``). Runs inside a SAVEPOINT: on any error nothing is left behind.
    Flushes within the caller's transaction; the caller commits. The transfer is effective
    at the moment of the operation.
    """
    check_key(key)
    kind = TransferKind(kind)
    postings = normalize_postings(postings)
    if not isinstance(memo, str) or len(memo) > 500:
        raise InvalidOperation("a memo is a string of at most 500 characters")
    fp = fingerprint(
        "transfer", kind.value, postings, memo, listener_id, track_id, pricing_version_id, corrects_transfer_id
    )
    try:
        with session.begin_nested():
            existing = find_transfer(session, key)
            if existing is not None:
                return replay(session, existing, fp)
            kinds = account_kinds(session, [account for account, _ in postings])
            # Lock wallets (their balance is stored) and debited non-negative accounts; a
            # credited co-op or artist account, or a source like payments clearing, is not
            # locked, so it never becomes a queue.
            wallet_ids = {i for i, k in kinds.items() if k is AccountKind.WALLET}
            debited = {a for a, amount in postings if amount < 0 and kinds[a] in NON_NEGATIVE_KINDS}
            locked = lock_accounts(session, sorted(wallet_ids | debited))
            for account, amount in postings:
                if account not in debited:
                    continue
                row = locked[account]
                if row.kind is AccountKind.WALLET:
                    if row.balance + amount < 0:
                        raise InsufficientCredits(row.balance, -amount)
                else:
                    balance = derived_balance(session, account)
                    if balance + amount < 0:
                        raise NegativeBalance(account, balance, -amount)
            return write_transfer(
                session,
                key=key,
                fp=fp,
                kind=kind,
                postings=postings,
                wallet_ids=wallet_ids,
                listener_id=listener_id,
                track_id=track_id,
                pricing_version_id=pricing_version_id,
                corrects_transfer_id=corrects_transfer_id,
                reverses_transfer_id=reverses_transfer_id,
                memo=memo,
            )
    except IntegrityError:
        # Most likely another session committed the same key between our look-up and our
        # insert; answer from its row. Anything else is re-raised untouched.
        existing = find_transfer(session, key)
        if existing is None:
            raise
        return replay(session, existing, fp)
