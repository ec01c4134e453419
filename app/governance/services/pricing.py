"""The ledger's pricing versions as governance sees them: the prices in force, their history,
what a proposal would change, and what a typical listener and artist would pay and earn.

The ledger owns the table and the arithmetic (``ledger.pricing``); this module only reads
it and, for a passed proposal, asks it to enact a new version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from app.core.errors import ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.governance.models import Proposal
from app.governance.services.pricing_parameters import (
    MAX_OWNERSHIP_COST_MICRO,
    PARAMETERS,
    Parameter,
    format_cents,
    format_micro,
    proposed_values,
)
from ledger.allocation import split_charge
from ledger.errors import LedgerError
from ledger.pricing import (
    PricingParams,
    latest_pricing,
    params_of,
    pricing_history,
    pricing_in_force,
    pricing_of_proposal,
    schedule,
)

if TYPE_CHECKING:
    from ledger.schema import PricingVersion


def in_force(at: datetime | None = None) -> PricingVersion:
    """The pricing version in force at ``at`` (default now)."""
    return pricing_in_force(db.session, at or utcnow())


def current_params(at: datetime | None = None) -> PricingParams:
    return params_of(in_force(at))


def history() -> list[PricingVersion]:
    """Every pricing version, newest first (future ones included: they are already decided)."""
    return pricing_history(db.session)


def latest_version() -> PricingVersion:
    """The version with the latest ``effective_from``, possibly not yet in force."""
    return latest_pricing(db.session)


def apply(base: PricingParams, changes: dict[Parameter, int]) -> PricingParams:
    """``base`` with the proposed values; every parameter not named carries forward."""
    return replace(base, **{p.ledger_field: value for p, value in changes.items()})


def check_schedule(params: PricingParams, *, field: str = "changes") -> PricingParams:
    """Every rule a complete price set must meet, or ``ValidationFailed``: each parameter in
    its range, the ledger's own checks, and the whole-schedule cost cap.

    Checked when a proposal opens and again, on the exact set to be enacted, when it passes:
    no version that breaks a rule can come to exist through a vote.
    """
    for p in PARAMETERS:
        value = getattr(params, p.ledger_field)
        if not p.minimum <= p.to_human(value) <= p.maximum:
            raise ValidationFailed(
                f"{p.label} would be {p.show(value)}, outside {p.show_human(p.minimum)} to {p.show_human(p.maximum)}.",
                field=field,
            )
    total = sum(schedule(params))
    if total > MAX_OWNERSHIP_COST_MICRO:
        raise ValidationFailed(
            f"With these values owning one track would cost {format_micro(total)}; "
            f"the most a proposal may set is {format_micro(MAX_OWNERSHIP_COST_MICRO)}. "
            "Lower the first play price, the growth or the plays to own.",
            field=field,
        )
    if any(price < 1 for price in schedule(params)):
        raise ValidationFailed("Every play of the schedule must cost at least 1 micro-credit.", field=field)
    try:
        params.validate()
    except LedgerError as exc:
        raise ValidationFailed(f"These prices break a ledger rule: {exc}", field=field) from None
    return params


def check_combination(changes: dict[Parameter, int], *, base: PricingParams | None = None) -> PricingParams:
    """The complete price set ``changes`` make on top of ``base`` (default: the latest decided
    version), refused when it breaks a rule (``check_schedule``)."""
    return check_schedule(apply(base if base is not None else latest_params(), changes))


def latest_params() -> PricingParams:
    return params_of(latest_version())


def params_from_record(record: dict) -> PricingParams:
    """A proposal's recorded price set (JSON, keyed by ``PricingParams`` field) as params."""
    return PricingParams(**{name: int(record[name]) for name in PricingParams.__dataclass_fields__})


def record_of(params: PricingParams) -> dict:
    return asdict(params)


def shown_prices(proposal: Proposal) -> tuple[PricingParams, PricingParams]:
    """(before, after): the complete price sets the proposal's page shows.

    Once opened, the ones recorded at the open, so every voter sees the same figures for the
    whole vote and the enacted version equals them. A draft shows the latest decided prices
    and its changes applied to them (what it would record if it opened now). A proposal
    opened before the sets were recorded falls back to the draft's view.
    """
    if proposal.opened_against is not None and proposal.enacts is not None:
        return params_from_record(proposal.opened_against), params_from_record(proposal.enacts)
    base = latest_params()
    return base, apply(base, proposed_values(proposal))


@dataclass(frozen=True)
class DiffRow:
    parameter: Parameter
    current: int
    proposed: int | None  # None: unchanged

    @property
    def changed(self) -> bool:
        return self.proposed is not None and self.proposed != self.current


def diff(proposal: Proposal, base: PricingParams) -> list[DiffRow]:
    """Every parameter: its value in ``base`` and what the proposal would set."""
    return [DiffRow(p, getattr(base, p.ledger_field), getattr(proposal, p.column)) for p in PARAMETERS]


@dataclass(frozen=True)
class Typical:
    """What a typical listener pays and a typical artist earns under some prices."""

    first_play: int  # micro-credits
    ownership: int  # micro-credits: the whole schedule, plays 1..plays_to_own
    ownership_eur_cents: int  # the ownership cost bought with top-ups at the credit price
    artist_first_play: int  # the artist's part of the first play
    artist_ownership: int  # the artist's part of a whole schedule
    plays_to_own: int

    def as_text(self) -> dict[str, str]:
        return {
            "first_play": format_micro(self.first_play),
            "ownership": format_micro(self.ownership),
            "ownership_eur": format_cents(self.ownership_eur_cents),
            "artist_first_play": format_micro(self.artist_first_play),
            "artist_ownership": format_micro(self.artist_ownership),
        }


def typical(params: PricingParams) -> Typical:
    """Figures for the proposal page, using the ledger's own schedule and split."""
    prices = schedule(params)
    ownership = sum(prices)
    # EUR for the credits: micro * cents / 1e6, rounded half up at this display edge only.
    eur_cents = (ownership * params.credit_price_cents + 500_000) // 1_000_000
    return Typical(
        first_play=prices[0],
        ownership=ownership,
        ownership_eur_cents=eur_cents,
        artist_first_play=split_charge(prices[0], params.artist_share_bp)[0],
        artist_ownership=sum(split_charge(p, params.artist_share_bp)[0] for p in prices),
        plays_to_own=params.plays_to_own,
    )


def version_of_proposal(proposal: Proposal) -> PricingVersion | None:
    return pricing_of_proposal(db.session, proposal.id)
