"""The co-op's public books, month by month: where the credits came from and where they went.

Money figures are sums of the ledger's postings over the month (UTC), by transfer kind and
account kind, read from ``analytics_money_days`` (kept by the rollup job from the postings
themselves; a test checks they equal the ledger). Active listeners are exact (the union of
the day sets of listeners). Artists appear by name; no listener is ever named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.analytics.models import CoopDay, MoneyDay
from app.analytics.services import listener_sets, rollups
from app.catalog.models import Artist
from app.core.csv_export import write_csv
from app.core.errors import NotFound, ValidationFailed
from app.core.replica import replica_session
from app.governance.models import Proposal
from app.governance.services import membership
from app.payments.models import Payout, PayoutStatus
from ledger import AccountKind, TransferKind
from ledger.pricing import DEFAULT_EFFECTIVE_FROM, pricing_enacted_between, pricing_in_force, pricing_of_proposal
from ledger.types import int_sum, utcnow
from ledger.units import format_money

if TYPE_CHECKING:
    from ledger.schema import PricingVersion

_PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})$")

W, A, C = AccountKind.WALLET.value, AccountKind.ARTIST_EARNINGS.value, AccountKind.COOP_REVENUE.value
T = TransferKind

# Each money figure: its name, what it means, and the (transfer kind, account kind, sign)
# postings it sums.
MONEY_FIGURES: list[tuple[str, str, list[tuple[str, str, int]]]] = [
    ("credits_bought", "credits bought by listeners (top-ups)", [(T.TOP_UP.value, W, 1)]),
    ("credits_granted", "starter credits given by the co-op", [(T.STARTER_GRANT.value, W, 1)]),
    ("credits_refunded", "credits refunded to payers", [(T.REFUND.value, W, -1)]),
    ("credits_spent_on_plays", "credits spent on plays", [(T.PLAY_CHARGE.value, W, -1)]),
    ("credits_spent_on_buy_now", "credits spent on buying tracks outright", [(T.BUY_NOW.value, W, -1)]),
    (
        "paid_to_artists",
        "the artists' part of plays and purchases",
        [(T.PLAY_CHARGE.value, A, 1), (T.BUY_NOW.value, A, 1)],
    ),
    ("coop_share", "the co-op's part of plays and purchases", [(T.PLAY_CHARGE.value, C, 1), (T.BUY_NOW.value, C, 1)]),
    ("artist_corrections", "corrections to artists' earnings (negative: taken back)", [(T.CORRECTION.value, A, 1)]),
    ("coop_corrections", "corrections to the co-op's revenue", [(T.CORRECTION.value, C, 1)]),
    ("payouts_sent", "artists' earnings sent out as payouts", [(T.PAYOUT.value, A, -1)]),
    ("payouts_returned", "payouts that failed and went back to earnings", [(T.PAYOUT_RETURNED.value, A, 1)]),
]


@dataclass(frozen=True)
class Period:
    year: int
    month: int

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:  # exclusive
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def end_instant(self) -> datetime:
        return datetime(self.end.year, self.end.month, 1, tzinfo=timezone.utc)

    def previous(self) -> "Period":
        return Period(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)

    def next(self) -> "Period":
        return Period(self.year + (self.month == 12), 1 if self.month == 12 else self.month + 1)


def first_period() -> Period:
    return Period(DEFAULT_EFFECTIVE_FROM.year, DEFAULT_EFFECTIVE_FROM.month)


def current_period() -> Period:
    today = rollups.today()
    return Period(today.year, today.month)


def parse_period(text: str) -> Period:
    """``"2026-11"`` -> Period; 422 when malformed, 404 before the co-op opened or in the future."""
    match = _PERIOD.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationFailed(f"'{text}' is not a month like 2026-11.", field="period")
    period = Period(int(match.group(1)), int(match.group(2)))
    # Compared as (year, month) before any datetime is built: year 0 or 9999-12's end has none.
    first, current = first_period(), current_period()
    if not (first.year, first.month) <= (period.year, period.month) <= (current.year, current.month):
        raise NotFound(
            f"There are no books for {period.label}: the co-op's books run from "
            f"{first_period().label} to {current_period().label}."
        )
    return period


@dataclass
class MonthBooks:
    period: Period
    money: dict[str, int]  # figure name -> micro-credits
    plays: int
    active_listeners: int
    members: int
    pricing: PricingVersion
    pricing_changes: list[dict]  # versions that took effect in the month (in force), with their proposal
    payouts: list[dict] = field(default_factory=list)  # per artist: name, amount, date, method
    pricing_decided: list[dict] = field(default_factory=list)  # decided in the month, in force or not yet
    complete: bool = True  # the month is over (else: figures so far)
    as_of: datetime | None = None


def month_books(period: Period) -> MonthBooks:
    """The public figures of one month."""
    sums = {
        (tk, ak): amount
        for tk, ak, amount in replica_session().execute(
            select(MoneyDay.transfer_kind, MoneyDay.account_kind, int_sum(MoneyDay.amount))
            .where(MoneyDay.day >= period.start, MoneyDay.day < period.end)
            .group_by(MoneyDay.transfer_kind, MoneyDay.account_kind)
        )
    }
    money = {name: sum(sign * sums.get((tk, ak), 0) for tk, ak, sign in parts) for name, _, parts in MONEY_FIGURES}
    days = (
        replica_session()
        .execute(select(CoopDay.plays, CoopDay.listeners).where(CoopDay.day >= period.start, CoopDay.day < period.end))
        .all()
    )
    now = utcnow()
    complete = period.end_instant <= now
    at = period.end_instant if complete else now
    pricing = pricing_in_force(replica_session(), min(at, now))
    cursor = rollups.cursors(replica_session()).get("transfers")
    return MonthBooks(
        period=period,
        money=money,
        plays=sum(row.plays for row in days),
        active_listeners=listener_sets.union_size(row.listeners for row in days),
        members=membership.count_members(min(at, now), session=replica_session()),
        pricing=pricing,
        pricing_changes=_pricing_changes(period, now),
        pricing_decided=_pricing_decided(period, now),
        payouts=_payouts(period),
        complete=complete,
        as_of=cursor.last_event_at if cursor else None,
    )


def _pricing_changes(period: Period, now: datetime) -> list[dict]:
    """Versions in force: those that took effect in the month, by ``now``. A version decided
    but not yet in force is not listed here (it is in ``_pricing_decided``)."""
    start = datetime(period.start.year, period.start.month, 1, tzinfo=timezone.utc)
    versions = [
        v for v in pricing_enacted_between(replica_session(), start, period.end_instant) if v.effective_from <= now
    ]
    ids = {v.proposal_id for v in versions if v.proposal_id is not None}
    proposals = (
        {p.id: p for p in replica_session().scalars(select(Proposal).where(Proposal.id.in_(ids)))} if ids else {}
    )
    return [{"version": v, "proposal": proposals.get(v.proposal_id)} for v in versions]


def _pricing_decided(period: Period, now: datetime) -> list[dict]:
    """Versions decided in the month (their proposal closed and passed), whenever
    they take effect; ``in_force`` says whether they have by ``now``. A vote passed on the
    month's last day takes effect at 00:00 UTC, the next month's first instant."""
    start = datetime(period.start.year, period.start.month, 1, tzinfo=timezone.utc)
    decided = (
        replica_session()
        .scalars(
            select(Proposal)
            .where(Proposal.closed_at >= start, Proposal.closed_at < period.end_instant)
            .order_by(Proposal.closed_at, Proposal.id)
        )
        .all()
    )
    enacted = ((pricing_of_proposal(replica_session(), p.id), p) for p in decided)
    return [
        {"version": version, "proposal": proposal, "in_force": version.effective_from <= now}
        for version, proposal in enacted
        if version is not None
    ]


def _payouts(period: Period) -> list[dict]:
    """Every payout that reached an artist in the month, by artist name: the co-op publishes
    each one (payouts still in transit appear in the month they are paid)."""
    start = datetime(period.start.year, period.start.month, 1, tzinfo=timezone.utc)
    rows = (
        replica_session()
        .execute(
            select(Payout, Artist.name)
            .join(Artist, Artist.id == Payout.artist_id)
            .where(Payout.status == PayoutStatus.PAID, Payout.paid_at >= start, Payout.paid_at < period.end_instant)
            .order_by(Payout.paid_at, Payout.id)
        )
        .all()
    )
    return [
        {
            "artist": name,
            "amount": format_money(payout.amount_cents, payout.currency),
            "amount_cents": payout.amount_cents,
            "currency": payout.currency,
            "date": payout.paid_at.date().isoformat(),
            "method": payout.method.value,
        }
        for payout, name in rows
    ]


def months_available() -> list[Period]:
    """Every month of the co-op's books, newest first."""
    out, period = [], current_period()
    while period.start >= first_period().start:
        out.append(period)
        period = period.previous()
    return out


def csv_rows(books: MonthBooks, json_view: dict) -> list[list[str]]:
    """The month's figures as CSV rows (section, name, value, detail), from the same JSON the
    API answers, so page, JSON and CSV cannot disagree."""
    rows = [["section", "name", "value", "detail"], ["period", "month", books.period.label, ""]]
    for name, figure in json_view["money"].items():
        rows.append(["money", name, figure["credits"], f"{figure['micro']} micro-credits"])
    for name in ("plays", "active_listeners", "members"):
        rows.append(["activity", name, str(json_view[name]), ""])
    pricing = json_view["pricing_in_force"]
    rows.append(["pricing", "version_in_force", str(pricing["id"]), pricing["effective_from"]])
    for change in json_view["pricing_changes"]:
        rows.append(
            [
                "pricing",
                "enacted",
                str(change["version_id"]),
                f"{change['effective_from']} {change['proposal_title'] or ''}".strip(),
            ]
        )
    for decided in json_view["pricing_decided"]:
        state = "in force from" if decided["in_force"] else "not in force until"
        rows.append(
            [
                "pricing",
                "decided",
                str(decided["version_id"]),
                f"{state} {decided['effective_from']} {decided['proposal_title']}",
            ]
        )
    for payout in json_view["payouts"]:
        rows.append(["payout", payout["artist"], payout["amount"], f"{payout['date']} {payout['method']}"])
    return rows


def to_csv(rows: list[list[str]]) -> str:
    return write_csv(rows)  # formula injection neutralised (artist names, proposal titles)
