"""Waveform peaks from a streamed PCM pipe, in bounded memory.

The analysis pass hands us mono 16-bit samples at a low rate. Knowing roughly how many will
come (the duration is known from the upload check), we cut them into ``points`` buckets and
keep only each bucket's peak: memory is one bucket plus one read, whatever the length.
"""

from __future__ import annotations

import sys
from array import array

POINTS = 1800
PCM_RATE = 8000  # samples per second of the analysis stream; plenty for a picture


class PeakMeter:
    """Feed it little-endian s16 mono PCM; ``peaks()`` gives one 0..1 value per bucket.

    Bucket ``k`` ends at sample ``round((k + 1) * expected / points)``, so exactly ``points``
    buckets come out when the stream is as long as expected (a shorter stream gives a shorter
    last bucket, a longer one more buckets of the same size).
    """

    def __init__(self, expected_samples: int, points: int = POINTS):
        self.expected = max(1, expected_samples)
        self.points = points
        self.samples = 0
        self._peaks: list[int] = []
        self._pending = bytearray()

    def _bucket_end(self) -> int:
        k = len(self._peaks) + 1
        return max(self.samples + 1, round(k * self.expected / self.points))

    def feed(self, data: bytes) -> None:
        """Take the next chunk of PCM (any length)."""
        self._pending += data
        view = memoryview(self._pending)
        start = 0
        while True:
            need = (self._bucket_end() - self.samples) * 2
            if len(view) - start < need:
                break
            self._add(view[start : start + need])
            start += need
        view.release()
        del self._pending[:start]

    def _add(self, chunk: bytes | memoryview) -> None:
        samples = array("h")
        samples.frombytes(chunk)
        if sys.byteorder == "big":
            samples.byteswap()
        self.samples += len(samples)
        self._peaks.append(max(max(samples), -min(samples)))

    def finish(self) -> None:
        """Count the last, partial bucket."""
        usable = len(self._pending) - len(self._pending) % 2
        if usable:
            self._add(bytes(self._pending[:usable]))
        self._pending.clear()

    def peaks(self) -> list[float]:
        """Peak amplitude of each bucket, 0 (silence) to 1 (full scale), 3 decimals."""
        return [round(min(p, 32767) / 32767, 3) for p in self._peaks]

    @property
    def duration_ms(self) -> int:
        return round(self.samples * 1000 / PCM_RATE)
