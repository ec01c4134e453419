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
# MP3 renditions play at 44.1 or 48 kHz, whatever the source's rate: every player plays those.
MP3_RATES = (44_100, 48_000)


def played_layout(source_layout: str | None) -> str:
    """What is played: mono stays mono, anything wider is folded down to stereo."""
    return "mono" if source_layout == "mono" else "stereo"


def mp3_rate(source_rate: int | None) -> int:
    """44.1 kHz for the 44.1 family (22.05, 88.2, 176.4 kHz...), else 48 kHz."""
    return 44_100 if source_rate and source_rate % 11_025 == 0 else 48_000


def _downmix(layout: str, rate: int | None = None) -> str:
    """The fold-down to what is played, pinned to one layout, rate and sample format.

    Left to ffmpeg's format negotiation, the same graph text downmixes differently: to a 5.1
    source it may give mono, and the rematrix is normalised for integer samples but not for
    float ones (8 LU apart on a surround-only source), so the analysis pass would measure
    another signal than the renditions carry. Pinned, both passes fold down identically."""
    return f"aformat=sample_fmts=fltp:channel_layouts={layout}" + (f":sample_rates={rate}" if rate else "")


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


def transcode_command(
    source: str | Path, out_dir: str | Path, duration_s: float, *, layout: str = "stereo", rate: int = 48_000
) -> list[str]:
    """The one-pass command writing every rendition of ``source`` into ``out_dir``, in
    ``layout`` (``played_layout``) at ``rate`` (``mp3_rate``; Opus resamples to 48 kHz itself)."""
    out = Path(out_dir)
    start, length = preview_window(duration_s)
    graph = (
        # MP3 and Opus take at most stereo, MP3 plays everywhere at 44.1/48 kHz: folded down
        # and resampled once, up front, exactly as the analysis pass does.
        f"[0:a:0]{_downmix(layout, rate)},asplit=3[mp3][opus][pre];[pre]{_preview_filter(start, length)}[preview]"
    )
    args = [ffmpeg_exe(), *BASE_ARGS, "-v", "error", "-i", str(source), "-filter_complex", graph]
    for label, rendition in zip(("[mp3]", "[opus]", "[preview]"), RENDITIONS, strict=True):
        # -map_metadata -1: renditions are public; the original's tags (and any private
        # comments in them) stay with the original.
        args += ["-map", label, *rendition.codec_args, "-map_metadata", "-1", "-y", str(out / rendition.name)]
    return args


def analysis_command(source: str | Path, *, layout: str = "stereo") -> list[str]:
    """Loudness of what is played (``source`` folded down to ``layout``, as the renditions
    are), logged at the end, and mono s16 PCM at ``PCM_RATE`` on stdout, for peaks."""
    graph = f"[0:a:0]{_downmix(layout)},{EBUR128_FILTER},aformat=sample_fmts=s16:channel_layouts=mono,aresample={PCM_RATE}[pcm]"
    return [
        ffmpeg_exe(),
        *BASE_ARGS,
        "-v",
        "info",
        "-i",
        str(source),
        "-filter_complex",
        graph,
        "-map",
        "[pcm]",
        "-f",
        "s16le",
        "pipe:1",
    ]
