"""The whole processing of one original, on local files: renditions, loudness, peaks, tags.

``process_original`` runs the transcode and the analysis ffmpeg passes side by side and
reads the analysis PCM as it streams, so no file is ever held in Python's memory. Storage is
the caller's business: this module only reads and writes files in a work folder.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from audio.errors import FFmpegError
from audio.ffmpeg import audio_stream, child_options, read_tail
from audio.loudness import Loudness, parse_ebur128_summary, track_gain
from audio.probe import Tags, read_tags
from audio.transcode import (
    RENDITIONS,
    Rendition,
    analysis_command,
    mp3_rate,
    played_layout,
    preview_window,
    transcode_command,
)
from audio.waveform import PCM_RATE, POINTS, PeakMeter

READ_SIZE = 64 * 1024


@dataclass
class ProcessedAudio:
    """What processing produced; ``files`` maps each rendition to its file in the work folder."""

    files: dict[Rendition, Path]
    duration_ms: int
    loudness: Loudness
    gain_db: float
    peaks: list[float]
    preview_start_ms: int
    tags: Tags = field(default_factory=Tags)


def process_original(
    source: str | Path, work_dir: str | Path, *, duration_ms: int, points: int = POINTS
) -> ProcessedAudio:
    """Transcode, measure and draw ``source``; ``duration_ms`` (from the upload check) sizes
    the waveform buckets and places the preview. Raises ``FFmpegError`` on failure."""
    work = Path(work_dir)
    duration_s = duration_ms / 1000
    tags = read_tags(str(source))
    meter = PeakMeter(round(duration_s * PCM_RATE), points)
    source_rate, source_layout = audio_stream(str(source))
    layout = played_layout(source_layout)

    with tempfile.TemporaryFile(dir=work) as transcode_log, tempfile.TemporaryFile(dir=work) as analysis_log:
        transcode = subprocess.Popen(
            transcode_command(source, work, duration_s, layout=layout, rate=mp3_rate(source_rate)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=transcode_log,
            **child_options(),
        )
        try:
            analysis = subprocess.Popen(
                analysis_command(source, layout=layout),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=analysis_log,
                **child_options(),
            )
            assert analysis.stdout is not None  # stdout=PIPE
            try:
                while chunk := analysis.stdout.read(READ_SIZE):
                    meter.feed(chunk)
                meter.finish()
                analysis_status = analysis.wait()
            finally:
                if analysis.poll() is None:
                    analysis.kill()
                    analysis.wait()
                analysis.stdout.close()
            transcode_status = transcode.wait()
        finally:
            if transcode.poll() is None:
                transcode.kill()
                transcode.wait()
        if transcode_status != 0:
            raise FFmpegError("transcoding failed", read_tail(transcode_log))
        if analysis_status != 0:
            raise FFmpegError("loudness analysis failed", read_tail(analysis_log))
        try:
            loudness = parse_ebur128_summary(read_tail(analysis_log))
        except ValueError as exc:
            raise FFmpegError(f"loudness analysis failed: {exc}", read_tail(analysis_log)) from None

    files = {r: work / r.name for r in RENDITIONS}
    missing = [r.name for r, path in files.items() if not path.is_file() or path.stat().st_size == 0]
    if missing:
        raise FFmpegError(f"transcoding produced no {', '.join(missing)}")
    start, _ = preview_window(duration_s)
    return ProcessedAudio(
        files=files,
        duration_ms=meter.duration_ms or duration_ms,
        loudness=loudness,
        gain_db=track_gain(loudness),
        peaks=meter.peaks(),
        preview_start_ms=round(start * 1000),
        tags=tags,
    )
