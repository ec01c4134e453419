"""Credits as integers, and their decimal text for people.

1 credit = 1,000,000 micro-credits. Amounts are ``int`` everywhere in the ledger; the only
conversions are to and from decimal *text*, done with integer arithmetic (never floats).
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal

from ledger.errors import InvalidOperation

MICRO_PER_CREDIT = 1_000_000
# The largest amount one posting may move: a billion credits. Far above any real payment, and
# small enough that balances adding up many of them stay inside a BIGINT (2^63 - 1).
MAX_AMOUNT = 10**9 * MICRO_PER_CREDIT
# ASCII digits only: Python's \d (and int()) also read "١٢" or "１２" as 12.
_DECIMAL = re.compile(r"^([0-9]+)(?:\.([0-9]{1,6}))?$")


def require_amount(value: object, what: str = "amount") -> int:
    """Return ``value`` if it is a plain int (not a bool, not a float), else refuse."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidOperation(f"{what} must be an integer number of micro-credits, not {value!r}")
    return value


def format_credits(micro: int) -> str:
    """``2000`` -> ``"0.002"``, ``1_022_000`` -> ``"1.022"``, ``5_000_000`` -> ``"5"``."""
    micro = require_amount(micro)
    sign = "-" if micro < 0 else ""
    whole, fraction = divmod(abs(micro), MICRO_PER_CREDIT)
    digits = f"{fraction:06d}".rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def parse_credits(text: str) -> int:
    """``"1.5"`` -> ``1_500_000``. At most six decimals and ``MAX_AMOUNT``; no sign, no exponent."""
    match = _DECIMAL.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidOperation(f"{text!r} is not an amount of credits like 2 or 0.25 (digits 0-9, at most 6 decimals)")
    whole, fraction = match.group(1), (match.group(2) or "")
    micro = int(whole) * MICRO_PER_CREDIT + int(fraction.ljust(6, "0")) if len(whole) <= 10 else MAX_AMOUNT + 1
    if micro > MAX_AMOUNT:
        raise InvalidOperation(f"{text!r} is more than {format_credits(MAX_AMOUNT)} credits")
    return micro


def credits_for_cents(cents: int, credit_price_cents: int) -> int:
    """Micro-credits bought by ``cents`` EUR cents at ``credit_price_cents`` per credit,
    rounded down to the micro-credit (the payer never gets more than they paid for)."""
    require_amount(cents, "cents")
    require_amount(credit_price_cents, "credit price")
    if cents < 0 or credit_price_cents <= 0:
        raise InvalidOperation("cents must be >= 0 and the credit price > 0")
    return cents * MICRO_PER_CREDIT // credit_price_cents


def format_money(minor: int, currency: str) -> str:
    """``1250, "EUR"`` -> ``"12.50 EUR"``, from the integer (two-decimal currencies), rounded down."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"an amount of money is an integer of minor units, not {minor!r}")
    value = (Decimal(minor) / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"{value} {currency}"
