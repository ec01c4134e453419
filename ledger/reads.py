"""What a listener (or an artist, or the co-op) can read: balances, progress, history.

Reads take no locks. Balances of wallets are stored on the wallet row; every other account's
balance is the sum of its postings (read through the (account_id, id) index).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Row, func, select, text, type_coerce
from sqlalchemy.orm import Session

from ledger.errors import NoPricingVersion
from ledger.pricing import play_price, pricing_in_force, remaining_cost
from ledger.schema import (
    SYSTEM_OWNER,
    Account,
    AccountKind,
    Ownership,
    OwnershipVia,
    Play,
    PlayKind,
    Posting,
    Transfer,
    TransferKind,
)
from ledger.transfers import derived_balance
from ledger.types import int_sum, utcnow

MAX_PAGE = 200


def _account(session: Session, kind: AccountKind, owner_id: int) -> Row[int, int | None] | None:
    return session.execute(
        select(Account.id, Account.balance).where(Account.kind == kind, Account.owner_id == owner_id)
    ).first()


def wallet_balance(session: Session, listener_id: int) -> int:
    """The listener's balance in micro-credits (0 before their wallet exists)."""
    row = _account(session, AccountKind.WALLET, listener_id)
    return row.balance if row else 0


def account_balance(session: Session, kind: AccountKind, owner_id: int = SYSTEM_OWNER) -> int:
    """Any account's balance: stored for wallets, the sum of postings for the others."""
    kind = AccountKind(kind)
    row = _account(session, kind, owner_id)
    if row is None:
        return 0
    return row.balance if kind is AccountKind.WALLET else derived_balance(session, row.id)


def artist_earnings(session: Session, artist_id: int) -> int:
    """Credits an artist has earned and not yet been paid out."""
    return account_balance(session, AccountKind.ARTIST_EARNINGS, artist_id)


@dataclass(frozen=True)
class TrackProgress:
    """How far a listener is on the way to owning a track."""

    track_id: int
    plays_counted: int  # charged plays so far
    credits_paid: int  # micro-credits paid for this track (plays and buy-now)
    credits_to_own: int  # micro-credits still to pay under the version in force (0 if owned)
    next_price: int | None  # the next counted play's price (None when owned)
    plays_to_own: int  # under the version in force
    owned: bool
    owned_via: OwnershipVia | None
    pricing_version_id: int


def track_progress(session: Session, listener_id: int, track_id: int, at: datetime | None = None) -> TrackProgress:
    """Plays counted, credits paid and still to pay, and whether the track is owned. (Free
    tracks and the listener's own tracks cost nothing; the caller knows which those are.)"""
    version = pricing_in_force(session, at)
    counted, paid = session.execute(
        select(type_coerce(func.coalesce(func.max(Play.play_number), 0), Integer), int_sum(Play.price)).where(
            Play.listener_id == listener_id, Play.track_id == track_id
        )
    ).one()
    ownership = session.execute(
        select(Ownership.via, Ownership.paid).where(
            Ownership.listener_id == listener_id, Ownership.track_id == track_id
        )
    ).first()
    owned = ownership is not None
    to_own = 0 if owned else remaining_cost(version, counted)
    next_price = None if owned or counted >= version.plays_to_own else play_price(version, counted + 1)
    return TrackProgress(
        track_id=track_id,
        plays_counted=counted,
        credits_paid=paid + (ownership.paid if ownership is not None else 0),
        credits_to_own=to_own,
        next_price=next_price,
        plays_to_own=version.plays_to_own,
        owned=owned,
        owned_via=ownership.via if ownership is not None else None,
        pricing_version_id=version.id,
    )


@dataclass(frozen=True)
class PlayQuote:
    """What the listener's next counted play of a track would cost now, and the balance to
    pay it with. Nothing is locked: the charge itself re-checks everything under the lock."""

    pricing_version_id: int
    count_after_seconds: int
    plays_to_own: int
    plays_counted: int
    owned: bool
    balance: int  # the wallet's, 0 before it exists
    next_price: int | None  # None when owned (or the schedule is complete)
    credits_to_own: int  # 0 when owned


# The quote is the ledger's function (``ledger.functions``): the same price rules as a charge.
_QUOTE = text("SELECT * FROM ledger_play_quote(:listener_id, :track_id, :at)")


def play_quote(session: Session, listener_id: int, track_id: int, at: datetime | None = None) -> PlayQuote:
    """The price and number of the listener's next counted play of ``track_id`` under the
    pricing version in force at ``at`` (default now), in one round trip. (Free tracks and
    the listener's own tracks cost nothing; the caller knows which those are.)"""
    at = at or utcnow()
    row = session.execute(_QUOTE, {"listener_id": listener_id, "track_id": track_id, "at": at}).first()
    if row is None:
        raise NoPricingVersion(f"no pricing version is in force at {at.isoformat()}")
    return quote_of(row)


def quote_of(row: Row[Any]) -> PlayQuote:
    """A ``PlayQuote`` from the columns ``ledger_play_quote`` answers (also used by callers
    that call it inside a larger statement)."""
    return PlayQuote(
        pricing_version_id=row.pricing_version_id,
        count_after_seconds=row.count_after_seconds,
        plays_to_own=row.plays_to_own,
        plays_counted=row.plays_counted,
        owned=row.owned,
        balance=row.balance,
        next_price=None if row.next_price is None else int(row.next_price),
        credits_to_own=int(row.credits_to_own),
    )


@dataclass(frozen=True)
class ProgressSummary:
    """A listener's progress on one track, for lists of tracks."""

    plays_counted: int
    owned: bool


def progress_for_tracks(session: Session, listener_id: int, track_ids: Iterable[int]) -> dict[int, ProgressSummary]:
    """Plays counted and ownership for many tracks at once (two queries, whatever the number
    of tracks). Tracks never played are missing from the result."""
    ids = sorted(set(track_ids))
    if not ids:
        return {}
    counted = session.execute(
        select(Play.track_id, func.max(Play.play_number))
        .where(Play.listener_id == listener_id, Play.track_id.in_(ids))
        .group_by(Play.track_id)
    ).all()
    owned = set(
        session.scalars(
            select(Ownership.track_id).where(Ownership.listener_id == listener_id, Ownership.track_id.in_(ids))
        )
    )
    out = {track_id: ProgressSummary(n or 0, track_id in owned) for track_id, n in counted}
    for track_id in owned - out.keys():
        out[track_id] = ProgressSummary(0, True)
    return out


@dataclass(frozen=True)
class OwnedTrack:
    track_id: int
    artist_id: int
    via: OwnershipVia
    acquired_at: datetime
    paid: int  # micro-credits the buy-now cost; 0 when owned through plays


def owned_tracks(session: Session, listener_id: int) -> list[OwnedTrack]:
    """The tracks the listener owns, most recently acquired first."""
    rows = session.execute(
        select(Ownership.track_id, Ownership.artist_id, Ownership.via, Ownership.acquired_at, Ownership.paid)
        .where(Ownership.listener_id == listener_id)
        .order_by(Ownership.acquired_at.desc(), Ownership.track_id.desc())
    )
    return [OwnedTrack(r.track_id, r.artist_id, r.via, r.acquired_at, r.paid) for r in rows]


def owns(session: Session, listener_id: int, track_id: int) -> bool:
    return (
        session.execute(
            select(Ownership.track_id).where(Ownership.listener_id == listener_id, Ownership.track_id == track_id)
        ).first()
        is not None
    )


def tracks_with_history(session: Session, track_ids: Iterable[int]) -> set[int]:
    """Those of ``track_ids`` that the ledger has a play, a charge or an owner of: the books
    name them, so they must stay in the catalogue."""
    ids = list(track_ids)
    if not ids:
        return set()
    found: set[int] = set()
    for column in (Play.track_id, Ownership.track_id, Transfer.track_id):
        rows = session.execute(select(column).where(column.in_(ids)).distinct()).scalars()
        found |= {int(i) for i in rows if i is not None}
    return found


def owner_count(session: Session, track_id: int) -> int:
    """How many listeners own ``track_id``."""
    count = session.execute(select(func.count()).where(Ownership.track_id == track_id)).scalar_one()
    return int(count)


@dataclass(frozen=True)
class PlayRecord:
    id: int
    track_id: int
    artist_id: int
    kind: PlayKind
    play_number: int | None
    price: int
    artist_part: int
    coop_part: int
    pricing_version_id: int | None
    created_at: datetime


def _page(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"a page holds 1 to {MAX_PAGE} items")
    return limit


def play_history(
    session: Session, listener_id: int, *, limit: int = 50, before_id: int | None = None
) -> list[PlayRecord]:
    """The listener's plays, newest first, with what each cost. Page with ``before_id`` (the
    last id of the previous page)."""
    query = select(Play).where(Play.listener_id == listener_id)
    if before_id is not None:
        query = query.where(Play.id < before_id)
    rows = session.execute(query.order_by(Play.id.desc()).limit(_page(limit))).scalars()
    return [
        PlayRecord(
            p.id,
            p.track_id,
            p.artist_id,
            p.kind,
            p.play_number,
            p.price,
            p.artist_part,
            p.coop_part,
            p.pricing_version_id,
            p.created_at,
        )
        for p in rows
    ]


@dataclass(frozen=True)
class StatementLine:
    posting_id: int
    transfer_id: int
    kind: TransferKind
    amount: int  # signed: positive = credits in
    track_id: int | None
    memo: str
    created_at: datetime  # when it was written
    effective_at: datetime  # when it counts: a play charge at the play's start


def wallet_statement(
    session: Session, listener_id: int, *, limit: int = 50, before_id: int | None = None
) -> list[StatementLine]:
    """Every movement of the listener's wallet (top-ups, grants, charges, buy-nows,
    corrections, refunds), newest first. Page with ``before_id`` (a posting id). Each line is
    dated by its transfer's effective time."""
    wallet = _account(session, AccountKind.WALLET, listener_id)
    if wallet is None:
        return []
    query = (
        select(
            Posting.id,
            Posting.transfer_id,
            Posting.amount,
            Transfer.kind,
            Transfer.track_id,
            Transfer.memo,
            Transfer.created_at,
            Transfer.effective_at,
        )
        .join(Transfer, Transfer.id == Posting.transfer_id)
        .where(Posting.account_id == wallet.id)
    )
    if before_id is not None:
        query = query.where(Posting.id < before_id)
    rows = session.execute(query.order_by(Posting.id.desc()).limit(_page(limit)))
    return [
        StatementLine(r.id, r.transfer_id, r.kind, r.amount, r.track_id, r.memo, r.created_at, r.effective_at)
        for r in rows
    ]
