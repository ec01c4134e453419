"""Splitting an integer amount by weights so that the parts always add up to the whole."""

from __future__ import annotations

from ledger.errors import InvalidOperation
from ledger.units import require_amount


def allocate(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder allocation of ``total`` over integer ``weights``.

    Each part is the floor of its exact share ``total * w / sum(weights)``; the units left
    over go, one each, to the parts with the largest remainders (ties: the earlier weight).
    So the parts sum to ``total`` exactly and each is within 1 of its exact share.
    """
    require_amount(total, "total")
    if total < 0:
        raise InvalidOperation("cannot allocate a negative total")
    if not weights:
        raise InvalidOperation("allocate needs at least one weight")
    for w in weights:
        require_amount(w, "weight")
        if w < 0:
            raise InvalidOperation("weights must be >= 0")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise InvalidOperation("weights must not all be zero")

    parts = []
    remainders = []
    for index, w in enumerate(weights):
        quotient, remainder = divmod(total * w, weight_sum)
        parts.append(quotient)
        remainders.append((-remainder, index))
    left_over = total - sum(parts)  # always < len(weights)
    for _, index in sorted(remainders)[:left_over]:
        parts[index] += 1
    return parts


def split_charge(price: int, artist_share_bp: int) -> tuple[int, int]:
    """(artist part, co-op part) of a charge, by the artist share in basis points."""
    artist, coop = allocate(price, [artist_share_bp, 10_000 - artist_share_bp])
    return artist, coop
