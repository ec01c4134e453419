"""The pricing parameters members vote on: their human units, sane ranges, and the exact
conversion between what people type (credits, percent, EUR, "x2") and the ledger's integers.

Conversion goes through ``Decimal`` and is exact: a value more precise than the ledger's
unit (say 0.0000005 credits) is refused with a message rather than silently rounded.
Formatting back for display quantizes explicitly. Never floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.core.errors import ValidationFailed
from ledger.units import format_credits, format_money


@dataclass(frozen=True)
class Parameter:
    key: str  # the name in the API and forms, e.g. "artist_share"
    label: str  # what people read
    ledger_field: str  # the PricingVersion attribute
    column: str  # the Proposal column holding the proposed value
    unit: str  # the human unit, e.g. "credits", "%", "EUR", "x"
    scale: int  # ledger integer per human unit (credits -> micro: 1_000_000)
    minimum: Decimal  # in human units, inclusive
    maximum: Decimal

    @property
    def decimals(self) -> int:
        """How many decimal places a human value may have (the ledger's resolution)."""
        return len(str(self.scale)) - 1

    def parse(self, raw) -> int:
        """Human value (string or int) -> the ledger's integer, or ``ValidationFailed``."""
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            raise ValidationFailed(f'{self.label}: give the value as text, like "{self.example}".', field=self.key)
        text = str(raw).strip().replace(",", ".") if isinstance(raw, str) else str(raw)
        if len(text) > 40:
            raise ValidationFailed(f"{self.label}: '{text[:40]}…' is too long for a number.", field=self.key)
        for suffix in ("%", "credits", "credit", "eur", "€", "seconds", "s", "x", "×"):
            if text.lower().endswith(suffix) and suffix != text.lower():
                text = text[: -len(suffix)].strip()
                break
        if text.lower().startswith(("x", "×")):
            text = text[1:].strip()
        # Decimal() reads any script's digits ("١٢" is 12) and "1_000": only 0-9 are numbers here.
        if not text.isascii() or "_" in text:
            raise ValidationFailed(
                f"{self.label}: write '{raw}' with the digits 0-9, like \"{self.example}\".", field=self.key
            )
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValidationFailed(f"{self.label}: '{raw}' is not a number.", field=self.key) from None
        if not value.is_finite():
            raise ValidationFailed(f"{self.label}: '{raw}' is not a number.", field=self.key)
        # Range first: it also keeps absurd exponents (1e999999) away from the arithmetic.
        if not self.minimum <= value <= self.maximum:
            raise ValidationFailed(
                f"{self.label} must be between {self.show_human(self.minimum)} and "
                f"{self.show_human(self.maximum)}; '{raw}' is outside that range.",
                field=self.key,
            )
        scaled = value * self.scale
        if scaled != scaled.to_integral_value():
            if self.decimals == 0:
                raise ValidationFailed(f"{self.label} must be a whole number.", field=self.key)
            raise ValidationFailed(f"{self.label} can have at most {self.decimals} decimal places.", field=self.key)
        return int(scaled)

    def to_human(self, ledger_value: int) -> Decimal:
        """The ledger's integer as an exact Decimal in human units."""
        return Decimal(ledger_value) / Decimal(self.scale)

    def show_human(self, value: Decimal) -> str:
        text = _plain(value)
        return {
            "%": f"{text} %",
            "x": f"x{text}",
            "credits": f"{text} credits",
            "EUR": f"{text} EUR",
            "seconds": f"{text} s",
            "plays": f"{text} plays",
        }[self.unit]

    def show(self, ledger_value: int) -> str:
        """The ledger's integer for people, e.g. 2000 micro -> '0.002 credits'."""
        return self.show_human(self.to_human(ledger_value))

    def text(self, ledger_value: int) -> str:
        """The ledger's integer as the plain text a form field holds (round-trips through parse)."""
        return _plain(self.to_human(ledger_value))

    @property
    def example(self) -> str:
        return _plain(self.minimum)


def _plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 0.0020 -> '0.002', 2E+3 -> '2000'."""
    value = value.normalize()
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value, "f")


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "first_play_price",
        "First play price",
        "first_play_price",
        "new_first_play_price",
        "credits",
        1_000_000,
        Decimal("0.0001"),
        Decimal("0.1"),
    ),
    Parameter(
        "growth",
        "Growth per repeat play",
        "growth_permille",
        "new_growth_permille",
        "x",
        1000,
        Decimal("1.0"),
        Decimal("4.0"),
    ),
    Parameter("plays_to_own", "Plays to own", "plays_to_own", "new_plays_to_own", "plays", 1, Decimal(1), Decimal(20)),
    Parameter(
        "count_after_seconds",
        "Count a play after",
        "count_after_seconds",
        "new_count_after_seconds",
        "seconds",
        1,
        Decimal(5),
        Decimal(300),
    ),
    Parameter(
        "artist_share", "Artist share", "artist_share_bp", "new_artist_share_bp", "%", 100, Decimal(50), Decimal(95)
    ),
    Parameter(
        "credit_price",
        "Credit price",
        "credit_price_cents",
        "new_credit_price_cents",
        "EUR",
        100,
        Decimal("0.10"),
        Decimal("10.00"),
    ),
    Parameter(
        "starter_grant",
        "Starter grant",
        "starter_grant",
        "new_starter_grant",
        "credits",
        1_000_000,
        Decimal(0),
        Decimal(10),
    ),
    Parameter(
        "payout_minimum",
        "Payout minimum",
        "payout_minimum_cents",
        "new_payout_minimum_cents",
        "EUR",
        100,
        Decimal(1),
        Decimal(1000),
    ),
)
BY_KEY = {p.key: p for p in PARAMETERS}

# Whole-schedule sanity: growth x4 over 20 plays would price the last play at 0.1 * 4^19
# credits. Each parameter may be in range while the combination is absurd; cap the cost of
# owning one track.
MAX_OWNERSHIP_COST_MICRO = 1_000 * 1_000_000


def format_micro(micro: int) -> str:
    """Micro-credits for people: 1022000 -> '1.022 credits'."""
    return f"{format_credits(micro)} credits"


def format_cents(cents: int) -> str:
    """EUR cents for people, always two decimals: 1250 -> '12.50 EUR'."""
    return format_money(cents, "EUR")


def proposed_values(proposal) -> dict[Parameter, int]:
    """The parameters ``proposal`` changes, with their new ledger values, in table order."""
    return {p: getattr(proposal, p.column) for p in PARAMETERS if getattr(proposal, p.column) is not None}
