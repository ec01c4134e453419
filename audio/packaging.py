"""Where a rendition can be cut: for each whole second, the byte at which the audio so far ends.

A metered play is handed only the first part of a rendition (its *head*) until it counts.
The head must be a prefix of the file that holds no more than a given amount of audio and
still decodes; and the rest, fetched later with a Range request, must continue it without a
gap. Both hold when the cut falls between MP3 frames or between Ogg pages: the head is a
shorter but valid file, and head + rest is the rendition byte for byte.

``cut_points`` reads a rendition once (no decoding, no ffmpeg) and returns, for t = 0, 1 s,
2 s, ..., the length of the longest prefix whose audio ends at or before t: every frame (or
page) in it ends by t. The last entry is the file's size. Counting is conservative: the
LAME/Xing info frame counts as audio and so does Opus's pre-skip, so the decoded head is never
longer than t.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

STEP_MS = 1000

# MPEG audio Layer III, kbit/s, by [MPEG-1?][bitrate index]; sample rates by [version][index].
_MP3_BITRATES = {
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44_100, 48_000, 32_000), 2: (22_050, 24_000, 16_000), 0: (11_025, 12_000, 8_000)}


class PackagingError(ValueError):
    """The rendition is not the MP3 or Ogg stream it should be."""


def _mp3_frames(data: bytes) -> Iterator[tuple[int, int, int]]:
    """Each MP3 frame as (offset, length, duration in µs)."""
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:  # an ID3v2 tag: 10-byte header + syncsafe size
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        pos = 10 + size + (10 if data[5] & 0x10 else 0)
    while pos + 4 <= len(data):
        b1, b2 = data[pos + 1], data[pos + 2]
        if data[pos] != 0xFF or b1 & 0xE0 != 0xE0:
            if data[pos : pos + 3] == b"TAG":  # an ID3v1 tag at the end
                return
            raise PackagingError(f"no MP3 frame at byte {pos}")
        version = (b1 >> 3) & 0x03
        layer = (b1 >> 1) & 0x03
        bitrate_index, rate_index, padding = b2 >> 4, (b2 >> 2) & 0x03, (b2 >> 1) & 0x01
        if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
            raise PackagingError(f"not an MP3 (Layer III) frame at byte {pos}")
        mpeg1 = version == 3
        rate = _MP3_RATES[version][rate_index]
        bitrate = _MP3_BITRATES[mpeg1][bitrate_index] * 1000
        samples = 1152 if mpeg1 else 576
        length = (samples // 8) * bitrate // rate + padding
        yield pos, length, samples * 1_000_000 // rate
        pos += length


def _ogg_pages(data: bytes) -> Iterator[tuple[int, int, int]]:
    """Each Ogg page as (offset, length, end time in µs from its granule position)."""
    pos = 0
    while pos + 27 <= len(data):
        if data[pos : pos + 4] != b"OggS":
            raise PackagingError(f"no Ogg page at byte {pos}")
        granule = int.from_bytes(data[pos + 6 : pos + 14], "little", signed=True)
        segments = data[pos + 26]
        body = pos + 27 + segments
        length = 27 + segments + sum(data[pos + 27 : body])
        # Granule positions count 48 kHz samples, Opus's pre-skip included (so the head
        # decodes a little shorter than counted); header pages carry 0.
        end_us = max(granule, 0) * 1_000_000 // 48_000
        yield pos, length, end_us
        pos += length


def cut_points(path: str | os.PathLike[str], kind: str) -> list[int]:
    """For t = 0, STEP_MS, 2 STEP_MS... the byte length of the longest prefix of the rendition
    at ``path`` (``kind`` "mp3" or "opus") whose audio ends by t; the last entry is the size."""
    data = Path(path).read_bytes()
    return cut_points_of(data, kind)


def cut_points_of(data: bytes, kind: str) -> list[int]:
    """``cut_points`` of bytes held in memory."""
    if kind == "mp3":
        units = _mp3_frames_with_end(data)
    elif kind == "opus":
        units = ((offset + length, end_us) for offset, length, end_us in _ogg_pages(data))
    else:
        raise PackagingError(f"unknown rendition kind {kind!r}")
    points = [0]
    last_end = 0
    for end_byte, end_us in units:
        # each second t before this unit's end: the prefix up to the unit before is the longest
        while len(points) * STEP_MS * 1000 < end_us:
            points.append(last_end)
        last_end = end_byte
    if last_end != len(data) and kind == "opus":
        raise PackagingError("the Ogg stream ends in the middle of a page")
    points.append(len(data))
    return points


def _mp3_frames_with_end(data: bytes) -> Iterator[tuple[int, int]]:
    elapsed = 0
    for offset, length, duration_us in _mp3_frames(data):
        elapsed += duration_us
        yield offset + length, elapsed


def head_length(points: list[int], allowed_ms: int) -> int:
    """Bytes of the longest prefix holding at most ``allowed_ms`` of audio (the whole file when
    it is shorter than that)."""
    index = max(0, allowed_ms) // STEP_MS
    return points[-1] if index >= len(points) - 1 else points[index]
