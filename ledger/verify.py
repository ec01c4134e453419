"""Reconciliation: does the ledger hold together? Read-only; used by ``flask ledger verify``.

Every check is one aggregate query, so it runs inside the database however many postings
there are. A breach is described in words; an empty list of breaches means all is well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from ledger.schema import (
    NON_NEGATIVE_KINDS,
    OWNED_KINDS,
    SYSTEM_OWNER,
    Account,
    AccountKind,
    Ownership,
    OwnershipVia,
    Play,
    PlayKind,
    Posting,
    PricingVersion,
    Transfer,
    TransferKind,
)
from ledger.types import int_sum

SHOW = 20  # breaches listed per check; the count is always complete


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def lines(self) -> list[str]:
        out = [f"{name}: {count}" for name, count in self.counts.items()]
        out += [f"BREACH: {breach}" for breach in self.breaches]
        out.append("ledger OK" if self.ok else f"ledger BROKEN: {len(self.breaches)} breach(es)")
        return out


def _report(report: Report, label: str, rows: Iterable[Any], describe: Callable[[Any], str]) -> None:
    rows = list(rows)
    for row in rows[:SHOW]:
        report.breaches.append(f"{label}: {describe(row)}")
    if len(rows) > SHOW:
        report.breaches.append(f"{label}: ... and {len(rows) - SHOW} more")


def verify(session: Session) -> Report:
    """Check every invariant of the ledger and return what was found."""
    report = Report()
    report.counts = {
        "transfers": session.scalar(select(func.count()).select_from(Transfer)) or 0,
        "postings": session.scalar(select(func.count()).select_from(Posting)) or 0,
        "accounts": session.scalar(select(func.count()).select_from(Account)) or 0,
        "plays": session.scalar(select(func.count()).select_from(Play)) or 0,
        "ownerships": session.scalar(select(func.count()).select_from(Ownership)) or 0,
    }

    # 1. Each transfer's postings sum to zero, and a transfer has at least two postings.
    per_transfer = (
        select(Transfer.id, int_sum(Posting.amount).label("total"), func.count(Posting.id).label("legs"))
        .outerjoin(Posting, Posting.transfer_id == Transfer.id)
        .group_by(Transfer.id)
        .having((int_sum(Posting.amount) != 0) | (func.count(Posting.id) < 2))
        .order_by(Transfer.id)
    )
    _report(
        report,
        "transfer does not balance",
        session.execute(per_transfer),
        lambda r: f"transfer {r.id} has {r.legs} posting(s) summing to {r.total}",
    )

    # 2. All postings together sum to zero (credits are only moved, never made).
    total = session.scalar(select(int_sum(Posting.amount)))
    if total != 0:
        report.breaches.append(f"all postings sum to {total}, not 0")

    # 3. Each wallet's stored balance equals the sum of its postings; none is negative.
    sums = select(Posting.account_id, int_sum(Posting.amount).label("total")).group_by(Posting.account_id).subquery()
    wallets = (
        select(Account.id, Account.owner_id, Account.balance, func.coalesce(sums.c.total, 0).label("total"))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(Account.kind == AccountKind.WALLET)
        .where((Account.balance != func.coalesce(sums.c.total, 0)) | (Account.balance < 0))
        .order_by(Account.id)
    )
    _report(
        report,
        "wallet balance",
        session.execute(wallets),
        lambda r: f"wallet of listener {r.owner_id} stores {r.balance}, its postings sum to {r.total}",
    )

    # 4. Derived accounts that must stay non-negative are.
    derived_kinds = [k for k in NON_NEGATIVE_KINDS if k is not AccountKind.WALLET]
    negative = (
        select(Account.id, Account.kind, Account.owner_id, sums.c.total)
        .join(sums, sums.c.account_id == Account.id)
        .where(Account.kind.in_(derived_kinds), sums.c.total < 0)
        .order_by(Account.id)
    )
    _report(
        report,
        "negative balance",
        session.execute(negative),
        lambda r: f"{r.kind.value} account {r.id} (owner {r.owner_id}) holds {r.total}",
    )

    # 5. Play numbers of each (listener, track) are exactly 1..n.
    numbering = (
        select(
            Play.listener_id,
            Play.track_id,
            func.count(Play.play_number).label("n"),
            func.min(Play.play_number).label("lo"),
            func.max(Play.play_number).label("hi"),
        )
        .where(Play.kind == PlayKind.CHARGED)
        .group_by(Play.listener_id, Play.track_id)
        .having((func.min(Play.play_number) != 1) | (func.max(Play.play_number) != func.count(Play.play_number)))
    )
    _report(
        report,
        "play numbers",
        session.execute(numbering),
        lambda r: f"listener {r.listener_id} track {r.track_id}: {r.n} plays numbered {r.lo}..{r.hi}",
    )

    # 6. Each charged play's transfer is a play charge taking exactly its price from the
    #    listener's wallet.
    wallet = aliased(Account)
    from_wallet = int_sum(case((wallet.id.is_not(None), Posting.amount), else_=0))
    paid = (
        select(Play.id, Play.price, from_wallet.label("taken"))
        .join(
            Transfer,
            and_(
                Transfer.id == Play.transfer_id,
                Transfer.kind == TransferKind.PLAY_CHARGE,
                Transfer.listener_id == Play.listener_id,
                Transfer.track_id == Play.track_id,
            ),
            isouter=True,
        )
        .outerjoin(Posting, Posting.transfer_id == Transfer.id)
        .outerjoin(
            wallet,
            and_(
                wallet.id == Posting.account_id, wallet.kind == AccountKind.WALLET, wallet.owner_id == Play.listener_id
            ),
        )
        .where(Play.kind == PlayKind.CHARGED)
        .group_by(Play.id, Play.price)
        .having(from_wallet != -Play.price)
    )
    _report(
        report,
        "play charge",
        session.execute(paid),
        lambda r: f"play {r.id} costs {r.price} but its charge takes {-r.taken} from the wallet",
    )

    # 7. Every ownership has its plays-to-own charges, or a buy-now transfer.
    charged = (
        select(Play.listener_id, Play.track_id, func.count().label("n"))
        .where(Play.kind == PlayKind.CHARGED)
        .group_by(Play.listener_id, Play.track_id)
        .subquery()
    )
    by_plays = (
        select(
            Ownership.listener_id,
            Ownership.track_id,
            PricingVersion.plays_to_own,
            func.coalesce(charged.c.n, 0).label("n"),
        )
        .join(PricingVersion, PricingVersion.id == Ownership.pricing_version_id)
        .outerjoin(
            charged, and_(charged.c.listener_id == Ownership.listener_id, charged.c.track_id == Ownership.track_id)
        )
        .where(Ownership.via == OwnershipVia.PLAYS, func.coalesce(charged.c.n, 0) < PricingVersion.plays_to_own)
    )
    _report(
        report,
        "ownership without its plays",
        session.execute(by_plays),
        lambda r: f"listener {r.listener_id} owns track {r.track_id} after {r.n} of {r.plays_to_own} plays",
    )
    bought = (
        select(Ownership.listener_id, Ownership.track_id)
        .outerjoin(
            Transfer,
            and_(
                Transfer.id == Ownership.transfer_id,
                Transfer.kind == TransferKind.BUY_NOW,
                Transfer.listener_id == Ownership.listener_id,
                Transfer.track_id == Ownership.track_id,
            ),
        )
        .where(Ownership.via == OwnershipVia.BUY_NOW, Transfer.id.is_(None))
    )
    _report(
        report,
        "ownership without its purchase",
        session.execute(bought),
        lambda r: f"listener {r.listener_id} owns track {r.track_id} by buy-now without a buy-now transfer",
    )

    # 8. History refers only to transfers, accounts and pricing versions that exist (the
    # posting and reference guards check this at insert; a bulk load with triggers off is
    # checked here).
    missing_transfers = (
        select(Posting.transfer_id)
        .outerjoin(Transfer, Transfer.id == Posting.transfer_id)
        .where(Transfer.id.is_(None))
        .distinct()
        .order_by(Posting.transfer_id)
    )
    _report(
        report,
        "posting of a missing transfer",
        session.execute(missing_transfers),
        lambda r: f"postings refer to transfer {r.transfer_id}, which does not exist",
    )
    missing_accounts = (
        select(Posting.transfer_id, Posting.account_id)
        .outerjoin(Account, Account.id == Posting.account_id)
        .where(Account.id.is_(None))
        .order_by(Posting.transfer_id)
    )
    _report(
        report,
        "posting on a missing account",
        session.execute(missing_accounts),
        lambda r: f"transfer {r.transfer_id} posts to account {r.account_id}, which does not exist",
    )
    for table in (Transfer, Play, Ownership):
        missing_versions = (
            select(literal(table.__tablename__).label("name"), table.pricing_version_id)
            .outerjoin(PricingVersion, PricingVersion.id == table.pricing_version_id)
            .where(table.pricing_version_id.is_not(None), PricingVersion.id.is_(None))
            .distinct()
            .order_by(table.pricing_version_id)
        )
        _report(
            report,
            "missing pricing version",
            session.execute(missing_versions),
            lambda r: f"{r.name} rows refer to pricing version {r.pricing_version_id}, which does not exist",
        )

    # 9. Each account's owner fits its kind (the account guard checks this at insert).
    wrong_owner = (
        select(Account.id, Account.kind, Account.owner_id)
        .where(
            case(
                (Account.kind.in_(OWNED_KINDS), Account.owner_id <= 0),
                else_=Account.owner_id != SYSTEM_OWNER,
            )
        )
        .order_by(Account.id)
    )
    _report(
        report,
        "account owner",
        session.execute(wrong_owner),
        lambda r: f"{r.kind.value} account {r.id} has owner {r.owner_id}",
    )
    return report
