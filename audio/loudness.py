"""EBU R128 loudness: what ffmpeg's ``ebur128`` filter measured, and the gain it implies.

Players apply ``gain_db`` so every track plays at about the same loudness (-14 LUFS, what the
big streaming services use), without pushing its true peak above -1 dBTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TARGET_LUFS = -14.0
PEAK_CEILING_DBTP = -1.0
MAX_BOOST_DB = 12.0
MAX_CUT_DB = -24.0
# ebur128 reports -70 LUFS (its absolute gate) for silence: there is nothing to normalise.
SILENCE_LUFS = -70.0

# The analysis filter: integrated loudness and 4x-oversampled true peak. framelog=verbose
# keeps its per-frame lines out of an info-level log, where only the summary is wanted.
EBUR128_FILTER = "ebur128=peak=true:framelog=verbose"

_SUMMARY = re.compile(r"Summary:(.*)", re.S)
_INTEGRATED = re.compile(r"I:\s+(-?inf|-?\d+(?:\.\d+)?)\s+LUFS")
_TRUE_PEAK = re.compile(r"True peak:\s+Peak:\s+(-?inf|-?\d+(?:\.\d+)?)\s+dBFS")


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float | None  # None: silence
    true_peak_dbtp: float | None  # None: digital silence


def _number(text: str) -> float | None:
    return None if "inf" in text else float(text)


def parse_ebur128_summary(log: str) -> Loudness:
    """Read the summary block the ``ebur128`` filter logs when it finishes."""
    match = _SUMMARY.search(log)
    if not match:
        raise ValueError("no ebur128 summary in the ffmpeg log")
    summary = match.group(1)
    integrated = _INTEGRATED.search(summary)
    peak = _TRUE_PEAK.search(summary)
    if not integrated:
        raise ValueError("the ebur128 summary has no integrated loudness")
    lufs = _number(integrated.group(1))
    if lufs is not None and lufs <= SILENCE_LUFS:
        lufs = None
    return Loudness(integrated_lufs=lufs, true_peak_dbtp=_number(peak.group(1)) if peak else None)


def track_gain(loudness: Loudness, target: float = TARGET_LUFS, ceiling: float = PEAK_CEILING_DBTP) -> float:
    """Gain in dB that brings the track to ``target`` without its true peak passing ``ceiling``."""
    if loudness.integrated_lufs is None:
        return 0.0
    gain = target - loudness.integrated_lufs
    if loudness.true_peak_dbtp is not None:
        gain = min(gain, ceiling - loudness.true_peak_dbtp)
    return round(max(MAX_CUT_DB, min(MAX_BOOST_DB, gain)), 2)
