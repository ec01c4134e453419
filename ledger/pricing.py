"""Pricing versions: the money rules in integers, and the price of the n-th counted play.

price(n) = first_play_price * growth^(n-1) / 1000^(n-1), rounded down, computed exactly with
integers (growth is in per-mille: 2000 means each play costs twice the previous one). With
the defaults the nine prices are 0.002, 0.004, ... 0.512 credits and sum to 1.022 credits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ledger.errors import InvalidOperation, NoPricingVersion
from ledger.schema import PricingVersion
from ledger.types import utcnow
from ledger.units import require_amount

# When the first (default) pricing version took effect; any time before the co-op opened.
DEFAULT_EFFECTIVE_FROM = datetime(2026, 1, 1, tzinfo=timezone.utc)


def costs_nothing(*, track_is_free: bool, listener_is_artist: bool, owned: bool = False) -> str | None:
    """Why a listener's plays of a track cost nothing, or None when they are charged: the one
    statement of that rule (``charge_play`` and ``buy_now`` apply it to the same two flags).

    ``"own_artist"`` (an artist playing their own track pays and earns nothing) comes first,
    then ``"owned"`` (only when the caller says so), then ``"free"`` (a track marked free).
    """
    if listener_is_artist:
        return "own_artist"
    if owned:
        return "owned"
    if track_is_free:
        return "free"
    return None


@dataclass(frozen=True)
class PricingParams:
    """Every number of the money rules table, as integers."""

    first_play_price: int = 2_000  # micro-credits (0.002 credits)
    growth_permille: int = 2_000  # x2
    plays_to_own: int = 9
    count_after_seconds: int = 45
    artist_share_bp: int = 7_000  # 70 %
    credit_price_cents: int = 125  # 1.25 EUR
    starter_grant: int = 200_000  # micro-credits (0.2 credits)
    payout_minimum_cents: int = 1_000  # 10 EUR

    def validate(self) -> None:
        for name, value in asdict(self).items():
            require_amount(value, name)
        if self.first_play_price < 1:
            raise InvalidOperation("the first play price must be at least 1 micro-credit")
        if self.growth_permille < 1:
            raise InvalidOperation("growth must be at least 1 per mille")
        if not 1 <= self.plays_to_own <= 100:
            raise InvalidOperation("plays to own must be between 1 and 100")
        if self.count_after_seconds < 1:
            raise InvalidOperation("count-after must be at least 1 second")
        if not 0 <= self.artist_share_bp <= 10_000:
            raise InvalidOperation("the artist share is between 0 and 10000 basis points")
        if self.credit_price_cents < 1:
            raise InvalidOperation("a credit costs at least 1 cent")
        if self.starter_grant < 0 or self.payout_minimum_cents < 0:
            raise InvalidOperation("the starter grant and payout minimum cannot be negative")
        if any(p < 1 for p in schedule(self)):
            raise InvalidOperation("every play of the schedule must cost at least 1 micro-credit")


DEFAULT_PRICING = PricingParams()


class Prices(Protocol):
    """What the price schedule reads: a PricingParams, a PricingVersion, or a row of them."""

    @property
    def first_play_price(self) -> int: ...
    @property
    def growth_permille(self) -> int: ...
    @property
    def plays_to_own(self) -> int: ...


def play_price(pricing: Prices, n: int) -> int:
    """Price in micro-credits of the ``n``-th counted play (1-based) under ``pricing``."""
    require_amount(n, "play number")
    if n < 1:
        raise InvalidOperation("play numbers start at 1")
    exponent = n - 1
    price: int = pricing.first_play_price * pricing.growth_permille**exponent // 1000**exponent
    return price


def schedule(pricing: Prices) -> list[int]:
    """The prices of plays 1..plays_to_own."""
    return [play_price(pricing, n) for n in range(1, pricing.plays_to_own + 1)]


def remaining_cost(pricing: Prices, plays_counted: int) -> int:
    """What the rest of the schedule costs after ``plays_counted`` charged plays (0 when the
    schedule is complete). This is the buy-now price."""
    return sum(play_price(pricing, n) for n in range(plays_counted + 1, pricing.plays_to_own + 1))


@dataclass(frozen=True)
class Terms:
    """What a listener is told before playing: the first play's price, how each repeat grows,
    and when (and for how much in all) the track becomes theirs."""

    first_play_price: int  # micro-credits
    growth_permille: int  # 2000: each play costs twice the previous one
    plays_to_own: int
    cost_to_own: int  # micro-credits: the whole schedule

    @property
    def doubling(self) -> bool:
        return self.growth_permille == 2_000

    @property
    def growth_factor(self) -> str:
        """The growth as a decimal factor, e.g. 1500 -> "1.5" (exact, from integers)."""
        whole, part = divmod(self.growth_permille, 1000)
        return f"{whole}.{part:03d}".rstrip("0").rstrip(".")


def terms(pricing: Prices) -> Terms:
    """The terms of ``pricing``, from the same schedule that charges plays."""
    return Terms(pricing.first_play_price, pricing.growth_permille, pricing.plays_to_own, sum(schedule(pricing)))


def params_of(version: PricingVersion) -> PricingParams:
    return PricingParams(**{name: getattr(version, name) for name in PricingParams.__dataclass_fields__})


def pricing_in_force(session: Session, at: datetime | None = None) -> PricingVersion:
    """The pricing version in force at ``at`` (default: now): the latest one that took effect
    at or before it."""
    at = at or utcnow()
    version = session.scalar(
        select(PricingVersion)
        .where(PricingVersion.effective_from <= at)
        .order_by(PricingVersion.effective_from.desc())
        .limit(1)
    )
    if version is None:
        raise NoPricingVersion(f"no pricing version is in force at {at.isoformat()}")
    return version


def pricing_history(session: Session) -> list[PricingVersion]:
    """Every pricing version, newest ``effective_from`` first (future ones included: they are
    already decided)."""
    return list(session.scalars(select(PricingVersion).order_by(PricingVersion.effective_from.desc())))


def latest_pricing(session: Session) -> PricingVersion | None:
    """The version with the latest ``effective_from``, possibly not yet in force."""
    return session.scalar(select(PricingVersion).order_by(PricingVersion.effective_from.desc()).limit(1))


def pricing_of_proposal(session: Session, proposal_id: int) -> PricingVersion | None:
    """The version a member proposal enacted, if it has been enacted."""
    return session.scalar(select(PricingVersion).where(PricingVersion.proposal_id == proposal_id))


def pricing_enacted_between(session: Session, start: datetime, end: datetime) -> list[PricingVersion]:
    """Versions taking effect in ``[start, end)``, oldest first."""
    return list(
        session.scalars(
            select(PricingVersion)
            .where(PricingVersion.effective_from >= start, PricingVersion.effective_from < end)
            .order_by(PricingVersion.effective_from)
        )
    )


def enact_pricing(
    session: Session,
    params: PricingParams,
    *,
    effective_from: datetime,
    proposal_id: int | None = None,
) -> PricingVersion:
    """Add a new pricing version. Nothing already charged is repriced: each charge keeps the
    version it was made under. Flushes, never commits."""
    params.validate()
    if effective_from.tzinfo is None:
        raise InvalidOperation("effective_from must be an aware UTC datetime")
    version_id = session.scalar(
        insert(PricingVersion)
        .values(effective_from=effective_from, proposal_id=proposal_id, created_at=utcnow(), **asdict(params))
        .returning(PricingVersion.id)
    )
    return session.get_one(PricingVersion, version_id)


def ensure_default_pricing(session: Session) -> PricingVersion:
    """Install the default pricing version if there is none (tests that build the schema with
    ``create_all``; the migration seeds it for real databases)."""
    existing = session.scalar(select(PricingVersion).order_by(PricingVersion.effective_from).limit(1))
    if existing is not None:
        return existing
    return enact_pricing(session, DEFAULT_PRICING, effective_from=DEFAULT_EFFECTIVE_FROM)
