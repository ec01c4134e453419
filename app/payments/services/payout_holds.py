"""Payout fraud holds: earnings farmed with starter credits are not paid out unreviewed.

Before a run pays an artist for a period (``payouts.reserve``), ``assess`` looks at who brought
the period's earnings (the artist's part of play charges and buy-nows in the period) and
marks each listener's signals:

* ``unpaid``: the listener never paid money (no paid order): they spend only the co-op's
  starter grant, the one thing a farm of fresh accounts can turn into payouts;
* ``new``: registered fewer than ``PAYOUT_HOLD_NEW_ACCOUNT_DAYS`` days before their first
  charge to the artist in the period;
* ``shared_address``: registered from an address at least ``PAYOUT_HOLD_SHARED_ADDRESS_ACCOUNTS``
  accounts registered from (addresses are recorded from migration 0012 on);
* ``one_artist``: in the period they played (or bought) no other artist.

A suspect is an unpaid listener with at least ``PAYOUT_HOLD_SIGNALS`` signals in all. Paying
listeners are never suspects: one credit costs the payer more than the artist earns from it,
so paying to farm loses money. The payout is held when suspects brought at least
``PAYOUT_HOLD_SHARE_PERCENT`` of the period's earnings and number at least
``PAYOUT_HOLD_MIN_LISTENERS``. Shares are compared in integers (no floats).

A held payout moves nothing in the ledger. An admin then either releases it (the usual
reservation, then paid as usual) or voids the suspicious part: one correction per suspect
charge, from the artist's earnings to the co-op's revenue (``ledger.correct``, key
``payout-void:<payout>:<charge transfer>``, so a repeated void moves nothing twice), shown in
the public books as corrections; what is left is paid when it reaches the payout minimum, and
otherwise waits as earnings for a later run (the payout is then ``voided``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

import ledger
from app.accounts.models import User
from app.core.extensions import db
from app.payments.models import Order, OrderStatus, Payout, PayoutHold, PayoutStatus
from ledger.schema import Ownership, OwnershipVia, Play, PlayKind, Posting, Transfer, TransferKind
from ledger.types import int_sum
from ledger.units import format_credits

EARNING_KINDS = (TransferKind.PLAY_CHARGE, TransferKind.BUY_NOW)
SIGNALS = {
    "unpaid": "never paid money (starter credits only)",
    "new": "registered fewer than {days} days before playing this artist",
    "shared_address": "registered from an address shared by {accounts} or more accounts",
    "one_artist": "played no other artist in the period",
}


@dataclass
class Assessment:
    """What the check found for one artist and period (credits in micro-credits)."""

    period_credits: int = 0
    suspect_credits: int = 0
    suspects: list[int] = field(default_factory=list)
    reasons: list[dict] = field(default_factory=list)
    held: bool = False


def _setting(name: str) -> int:
    return int(current_app.config[f"PAYOUT_HOLD_{name}"])


def _percent(part: int, whole: int) -> int:
    return part * 100 // whole if whole else 0


def _earnings_by_listener(account_id: int, start, end) -> dict[int, tuple[int, object]]:
    """listener id -> (credits earned from them in [start, end), their first charge's time)."""
    rows = db.session.execute(
        select(Transfer.listener_id, int_sum(Posting.amount), func.min(Transfer.effective_at))
        .join(Transfer, Transfer.id == Posting.transfer_id)
        .where(
            Posting.account_id == account_id,
            Transfer.kind.in_(EARNING_KINDS),
            Transfer.effective_at >= start,
            Transfer.effective_at < end,
            Transfer.listener_id.is_not(None),
        )
        .group_by(Transfer.listener_id)
    )
    return {listener: (credits, first) for listener, credits, first in rows if credits > 0}


def assess(artist_id: int, period) -> Assessment:
    """The fraud check of one artist's earnings in ``period`` (a ``payouts.Period``). Reads only."""
    account = ledger.artist_account_id(db.session, artist_id)
    earned = _earnings_by_listener(account, period.start, period.end)
    result = Assessment(period_credits=sum(credits for credits, _ in earned.values()))
    if not earned:
        return result
    ids = sorted(earned)
    paid = set(
        db.session.scalars(
            select(Order.user_id).where(Order.user_id.in_(ids), Order.status == OrderStatus.PAID).distinct()
        )
    )
    users = {
        row.id: row
        for row in db.session.execute(select(User.id, User.created_at, User.registered_from).where(User.id.in_(ids)))
    }
    addresses = {u.registered_from for u in users.values() if u.registered_from}
    shared_at = _setting("SHARED_ADDRESS_ACCOUNTS")
    crowded = (
        set(
            db.session.scalars(
                select(User.registered_from)
                .where(User.registered_from.in_(addresses))
                .group_by(User.registered_from)
                .having(func.count() >= shared_at)
            )
        )
        if addresses
        else set()
    )
    elsewhere = set(
        db.session.scalars(
            select(Play.listener_id)
            .where(
                Play.listener_id.in_(ids),
                Play.artist_id != artist_id,
                Play.kind == PlayKind.CHARGED,
                Play.created_at >= period.start,
                Play.created_at < period.end,
            )
            .distinct()
        )
    ) | set(
        db.session.scalars(
            select(Ownership.listener_id)
            .where(
                Ownership.listener_id.in_(ids),
                Ownership.artist_id != artist_id,
                Ownership.via == OwnershipVia.BUY_NOW,
                Ownership.acquired_at >= period.start,
                Ownership.acquired_at < period.end,
            )
            .distinct()
        )
    )
    new_days = timedelta(days=_setting("NEW_ACCOUNT_DAYS"))

    flagged: dict[str, list[int]] = {name: [] for name in SIGNALS}
    needed = _setting("SIGNALS")
    for listener in ids:
        user = users.get(listener)
        signals = {
            "unpaid": listener not in paid,
            # A listener the ledger knows but the accounts do not (a removed row) counts as new.
            "new": user is None or earned[listener][1] - user.created_at < new_days,
            "shared_address": user is not None and user.registered_from in crowded,
            "one_artist": listener not in elsewhere,
        }
        for name, on in signals.items():
            if on:
                flagged[name].append(listener)
        if signals["unpaid"] and sum(signals.values()) >= needed:
            result.suspects.append(listener)
    result.suspect_credits = sum(earned[i][0] for i in result.suspects)
    total = result.period_credits
    result.held = len(result.suspects) >= _setting(
        "MIN_LISTENERS"
    ) and result.suspect_credits * 100 >= total * _setting("SHARE_PERCENT")
    words = {"days": new_days.days, "accounts": shared_at}
    result.reasons = [
        _reason("suspects", f"{needed}+ signals, never paid", result.suspects, result.suspect_credits, total, len(ids))
    ] + [
        _reason(name, SIGNALS[name].format(**words), listeners, sum(earned[i][0] for i in listeners), total, len(ids))
        for name, listeners in flagged.items()
        if listeners
    ]
    return result


def _reason(signal: str, what: str, listeners: list[int], credits: int, total: int, everyone: int) -> dict:
    percent = _percent(credits, total)
    return {
        "signal": signal,
        "listeners": len(listeners),
        "credits": credits,
        "percent": percent,
        "text": f"{len(listeners)} of {everyone} listeners {what}: {format_credits(credits)} credits, "
        f"{percent}% of the period's earnings",
    }


def hold(payout: Payout, assessment: Assessment) -> PayoutHold:
    """Record why ``payout`` (just written, status held) is held. Flushes."""
    record = PayoutHold(
        payout_id=payout.id,
        reasons=assessment.reasons,
        suspects=assessment.suspects,
        period_credits=assessment.period_credits,
        suspect_credits=assessment.suspect_credits,
        voided_credits=0,
    )
    db.session.add(record)
    db.session.flush()
    return record


def held_payouts() -> list[Payout]:
    """Payouts waiting for an admin's decision, oldest first."""
    return list(db.session.scalars(select(Payout).where(Payout.status == PayoutStatus.HELD).order_by(Payout.id)))
