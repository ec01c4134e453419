"""The renditions a track is played from, and the ffmpeg commands that make them.

One transcode pass decodes the original once and encodes, in parallel ffmpeg threads:

- ``stream.mp3``  MP3 192 kb/s CBR, the rendition every browser plays;
- ``stream.opus`` Opus 128 kb/s in Ogg, smaller at the same quality where supported;
- ``preview.mp3`` a 30-second public preview with a fade in and out.

A second, concurrent analysis pass measures loudness and streams low-rate PCM for the
waveform (see ``audio.pipeline``): on a machine with two cores or more it fills the time the
encoders leave idle, instead of serialising behind them in one filter graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audio.ffmpeg import BASE_ARGS, ffmpeg_exe
from audio.loudness import EBUR128_FILTER
from audio.waveform import PCM_RATE

PREVIEW_SECONDS = 30.0
FADE_IN = 1.0
FADE_OUT = 3.0


@dataclass(frozen=True)
class Rendition:
    name: str  # file name, also the last part of its object key
    content_type: str
    codec_args: tuple[str, ...]


STREAM_MP3 = Rendition("stream.mp3", "audio/mpeg", ("-c:a", "libmp3lame", "-b:a", "192k"))
STREAM_OPUS = Rendition("stream.opus", "audio/ogg", ("-c:a", "libopus", "-b:a", "128k", "-vbr", "on"))
PREVIEW_MP3 = Rendition("preview.mp3", "audio/mpeg", ("-c:a", "libmp3lame", "-b:a", "128k"))
RENDITIONS = (STREAM_MP3, STREAM_OPUS, PREVIEW_MP3)


def preview_window(duration_s: float) -> tuple[float, float]:
    """Where the preview starts and how long it is: from a quarter in, so it skips the intro,
    moved earlier if needed to fit 30 s; a short track previews whole."""
    if duration_s <= PREVIEW_SECONDS:
        return 0.0, duration_s
    start = min(duration_s * 0.25, duration_s - PREVIEW_SECONDS)
    return round(start, 3), PREVIEW_SECONDS


def _preview_filter(start: float, length: float) -> str:
    fade_out = min(FADE_OUT, length / 3)
    return (
        f"atrim=start={start}:duration={length},asetpts=PTS-STARTPTS,"
        f"afade=t=in:d={min(FADE_IN, length / 3):.3f},afade=t=out:st={length - fade_out:.3f}:d={fade_out:.3f}"
    )


def transcode_command(source: str | Path, out_dir: str | Path, duration_s: float) -> list[str]:
    """The one-pass command writing every rendition of ``source`` into ``out_dir``."""
    out = Path(out_dir)
    start, length = preview_window(duration_s)
    graph = (
        # MP3 and Opus take at most stereo; anything wider is folded down once, up front.
        "[0:a:0]aformat=channel_layouts=mono|stereo,asplit=3[mp3][opus][pre];"
        f"[pre]{_preview_filter(start, length)}[preview]"
    )
    args = [ffmpeg_exe(), *BASE_ARGS, "-v", "error", "-i", str(source), "-filter_complex", graph]
    for label, rendition in zip(("[mp3]", "[opus]", "[preview]"), RENDITIONS, strict=True):
        # -map_metadata -1: renditions are public; the original's tags (and any private
        # comments in them) stay with the original.
        args += ["-map", label, *rendition.codec_args, "-map_metadata", "-1", "-y", str(out / rendition.name)]
    return args


def analysis_command(source: str | Path) -> list[str]:
    """Loudness (logged at the end) and mono s16 PCM at ``PCM_RATE`` on stdout, for peaks."""
    graph = f"[0:a:0]{EBUR128_FILTER},aformat=sample_fmts=s16:channel_layouts=mono,aresample={PCM_RATE}[pcm]"
    return [
        ffmpeg_exe(), *BASE_ARGS, "-v", "info", "-i", str(source), "-filter_complex", graph,
        "-map", "[pcm]", "-f", "s16le", "pipe:1",
    ]
