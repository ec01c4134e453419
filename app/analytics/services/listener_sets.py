"""Exact sets of listener ids, stored compactly in one bytes value per day row.

Why: unique listeners over a date range are not the sum of daily uniques, and counting
distinct listeners from the plays themselves costs as much as there are plays. A day row
keeps the *set* of listeners seen that day; the listeners of a range are the union of its
day sets, whose cost is bounded by days x listeners however many plays there were. Exact,
no HyperLogLog.

Encoding (whichever is smaller, like a one-level roaring bitmap):

* ``b""`` - the empty set;
* ``b"\\x01"`` + sorted ids as little-endian unsigned 32-bit integers - few listeners;
* ``b"\\x02"`` + a little-endian bitmap, bit i set for id i - many listeners (15,000
  listeners cost 1.9 KB however many of them came).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

SPARSE, DENSE = 1, 2
_ARRAY_IS_LITTLE = array("I", [1]).tobytes()[0] == 1 and array("I").itemsize == 4
# The bit positions set in each byte value, to expand bitmaps a byte at a time.
_BITS_OF_BYTE = [tuple(bit for bit in range(8) if value >> bit & 1) for value in range(256)]


def _bitmap_ids(bitmap: bytes) -> set[int]:
    return {index * 8 + bit for index, byte in enumerate(bitmap) if byte for bit in _BITS_OF_BYTE[byte]}


def encode(ids: Iterable[int]) -> bytes:
    """The smallest encoding of a set of non-negative ids (below 2**32)."""
    ordered = sorted(set(ids))
    if not ordered:
        return b""
    if ordered[0] < 0 or ordered[-1] >= 1 << 32:
        raise ValueError("listener ids are between 0 and 2**32 - 1")
    dense_size = ordered[-1] // 8 + 1
    if 4 * len(ordered) <= dense_size:
        packed = array("I", ordered)
        if not _ARRAY_IS_LITTLE:
            packed.byteswap()
        return bytes([SPARSE]) + packed.tobytes()
    bits = 0
    for i in ordered:
        bits |= 1 << i
    return bytes([DENSE]) + bits.to_bytes(dense_size, "little")


def _sparse_ids(blob: bytes) -> array:
    ids = array("I")
    ids.frombytes(blob[1:])
    if not _ARRAY_IS_LITTLE:
        ids.byteswap()
    return ids


def decode(blob: bytes | None) -> set[int]:
    """The ids in an encoded set."""
    if not blob:
        return set()
    if blob[0] == SPARSE:
        return set(_sparse_ids(blob))
    if blob[0] == DENSE:
        return _bitmap_ids(blob[1:])
    raise ValueError(f"not an encoded listener set (tag {blob[0]})")


def add(blob: bytes | None, ids: Iterable[int]) -> bytes:
    """``blob`` with ``ids`` added."""
    return encode(decode(blob) | set(ids))


class Union:
    """The union of many encoded sets, without expanding the large ones: bitmaps are OR-ed
    as integers, small sets kept as ids."""

    def __init__(self) -> None:
        self._bits = 0
        self._ids: set[int] = set()

    def update(self, blob: bytes | None) -> None:
        if not blob:
            return
        if blob[0] == SPARSE:
            self._ids.update(_sparse_ids(blob))
        elif blob[0] == DENSE:
            self._bits |= int.from_bytes(blob[1:], "little")
        else:
            raise ValueError(f"not an encoded listener set (tag {blob[0]})")

    def __len__(self) -> int:
        if not self._bits:
            return len(self._ids)
        bitmap = self._bits.to_bytes((self._bits.bit_length() + 7) // 8, "little")
        size = len(bitmap)
        extra = sum(1 for i in self._ids if (i >> 3) >= size or not (bitmap[i >> 3] >> (i & 7)) & 1)
        return self._bits.bit_count() + extra

    def ids(self) -> set[int]:
        return self._ids | _bitmap_ids(self._bits.to_bytes((self._bits.bit_length() + 7) // 8, "little"))


def union_size(blobs: Iterable[bytes | None]) -> int:
    """How many distinct ids the encoded sets hold together."""
    union = Union()
    for blob in blobs:
        union.update(blob)
    return len(union)
