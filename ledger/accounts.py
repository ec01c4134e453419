"""Finding, creating and locking accounts.

Accounts are created on first use (``INSERT ... ON CONFLICT DO NOTHING``, then read), so two
sessions creating the same account at once both end up with the one row.

Locking rule: an operation that debits a wallet locks that wallet's row first
(``SELECT ... FOR NO KEY UPDATE``) and holds
the lock to the end of the transaction. ``NO KEY``: the lock must not conflict with the
``KEY SHARE`` lock that every posting's foreign key takes on its account row, or a rare
correction locking the co-op's revenue account would stall every concurrent charge. That single lock also serialises play numbering and ownership
for the listener. Credits never take a lock on the credited account, so thousands of listeners
paying one artist never queue behind a shared row: artist and co-op balances are derived from
postings, never stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ledger.errors import InvalidOperation
from ledger.schema import OWNED_KINDS, SYSTEM_OWNER, Account, AccountKind
from ledger.types import utcnow


def _check_owner(kind: AccountKind, owner_id: int) -> None:
    if kind in OWNED_KINDS:
        if isinstance(owner_id, bool) or not isinstance(owner_id, int) or owner_id <= 0:
            raise InvalidOperation(f"a {kind.value} account needs a positive owner id, not {owner_id!r}")
    elif owner_id != SYSTEM_OWNER:
        raise InvalidOperation(f"{kind.value} is a co-op account; it has no owner")


def _insert_missing(session: Session, pairs: list[tuple[AccountKind, int]]) -> None:
    now = utcnow()
    rows = [
        {"kind": kind, "owner_id": owner, "balance": 0 if kind is AccountKind.WALLET else None, "created_at": now}
        for kind, owner in pairs
    ]
    statement = insert(Account).on_conflict_do_nothing(index_elements=["kind", "owner_id"])
    session.execute(statement, rows)


def _pair_filter(pairs: list[tuple[AccountKind, int]]) -> ColumnElement[bool]:
    return or_(*(and_(Account.kind == kind, Account.owner_id == owner) for kind, owner in pairs))


def account_ids(session: Session, pairs: list[tuple[AccountKind, int]]) -> dict[tuple[AccountKind, int], int]:
    """Ids of the accounts named by (kind, owner id), creating those that do not exist yet.
    System accounts have owner ``SYSTEM_OWNER`` (0)."""
    pairs = list(dict.fromkeys((AccountKind(kind), owner) for kind, owner in pairs))
    for kind, owner in pairs:
        _check_owner(kind, owner)
    query = select(Account.id, Account.kind, Account.owner_id).where(_pair_filter(pairs))
    found = {(row.kind, row.owner_id): row.id for row in session.execute(query)}
    missing = [pair for pair in pairs if pair not in found]
    if missing:
        _insert_missing(session, missing)
        found.update({(row.kind, row.owner_id): row.id for row in session.execute(query)})
    return found


def account_id(session: Session, kind: AccountKind, owner_id: int = SYSTEM_OWNER) -> int:
    """The id of one account, created if needed (see ``account_ids``)."""
    return account_ids(session, [(kind, owner_id)])[(AccountKind(kind), owner_id)]


def wallet_account_id(session: Session, listener_id: int) -> int:
    return account_id(session, AccountKind.WALLET, listener_id)


def artist_account_id(session: Session, artist_id: int) -> int:
    return account_id(session, AccountKind.ARTIST_EARNINGS, artist_id)


def system_account_id(session: Session, kind: AccountKind) -> int:
    return account_id(session, kind, SYSTEM_OWNER)


_accounts = Account.__table__
_LOCK_WALLET = (
    select(_accounts.c.id, _accounts.c.balance)
    .where(_accounts.c.kind == AccountKind.WALLET, _accounts.c.owner_id == bindparam("listener_id"))
    .with_for_update(key_share=True)
)


def lock_wallet(session: Session, listener_id: int) -> tuple[int, int]:
    """Lock the listener's wallet row (creating the wallet if needed) for the rest of the
    transaction; return (account id, balance)."""
    _check_owner(AccountKind.WALLET, listener_id)
    connection = session.connection()
    row = connection.execute(_LOCK_WALLET, {"listener_id": listener_id}).first()
    if row is None:
        _insert_missing(session, [(AccountKind.WALLET, listener_id)])
        row = connection.execute(_LOCK_WALLET, {"listener_id": listener_id}).one()
    return row.id, row.balance


def lock_accounts(session: Session, ids: list[int]) -> dict[int, Any]:
    """Lock account rows in id order (a fixed order, so two transfers cannot deadlock on
    them) and return them by id."""
    ordered = sorted(set(ids))
    rows = session.execute(
        select(Account.id, Account.kind, Account.owner_id, Account.balance)
        .where(Account.id.in_(ordered))
        .order_by(Account.id)
        .with_for_update(key_share=True)
    ).all()
    found = {row.id: row for row in rows}
    unknown = [i for i in ordered if i not in found]
    if unknown:
        raise InvalidOperation(f"no such account(s): {unknown}")
    return found


def account_kinds(session: Session, ids: list[int]) -> dict[int, AccountKind]:
    """The kind of each account id (an account's kind never changes, so no lock is needed)."""
    wanted = set(ids)
    found = {
        row.id: row.kind for row in session.execute(select(Account.id, Account.kind).where(Account.id.in_(wanted)))
    }
    unknown = sorted(wanted - set(found))
    if unknown:
        raise InvalidOperation(f"no such account(s): {unknown}")
    return found
