"""How shared values look in JSON. Each domain's models have their own ``representations``
module (``app.catalog.representations``, ...); core knows none of them."""

from __future__ import annotations

from ledger.units import format_credits


def money(micro: int) -> dict:
    """An amount both ways: exact integer micro-credits, and decimal credits as text."""
    return {"micro": micro, "credits": format_credits(micro)}
