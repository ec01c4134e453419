"""Finding, checking and running ffmpeg: the imageio-ffmpeg wheel's binary, unless the
application names another (``use_ffmpeg``, from ``ENCORE_FFMPEG``).

The wheel's binary is the default so every ``pip install`` runs the same, known-good ffmpeg;
whatever happens to be on PATH is not used (Debian 12's ffmpeg 5.1, for one, writes an
ebur128 summary we cannot read, so every track lost its loudness). ``check_ffmpeg`` proves
at start that the chosen binary has the version, filters and encoders Encore needs, and
that its loudness summary parses.

There is no ffprobe on a machine that only has the wheel, so everything here uses ffmpeg
alone (its decode log and ``-progress`` output tell us what ffprobe would).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from audio.errors import FFmpegError

BASE_ARGS = ["-nostdin", "-hide_banner", "-nostats"]

MIN_VERSION = (6, 0)
# Every filter and encoder audio/ uses: transcode graphs, analysis, previews, the demo synth.
REQUIRED_FILTERS = frozenset(
    {"aformat", "asplit", "atrim", "asetpts", "afade", "aresample", "ebur128", "aevalsrc", "aecho", "volume"}
)
REQUIRED_ENCODERS = frozenset({"libmp3lame", "libopus", "pcm_s16le"})

_configured: str | None = None


def _die_with_parent(parent: int) -> Callable[[], None]:
    """A ``preexec_fn`` (Linux): the child gets SIGKILL when the thread that started it ends,
    its process killed with -9 included, so no ffmpeg outlives its worker."""
    import ctypes
    import signal as _signal

    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, int(_signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def child_options() -> dict[str, Any]:
    """``subprocess`` options for every ffmpeg Encore starts: in a session of its own (a
    terminal's Ctrl-C stops the worker gracefully, not the transcode it is finishing) and,
    on Linux, killed when its worker dies."""
    options: dict[str, Any] = {"start_new_session": True}
    if sys.platform.startswith("linux"):
        options["preexec_fn"] = _die_with_parent(os.getpid())
    return options


class FFmpegUnusable(FFmpegError):
    """The ffmpeg binary is missing, too old, or lacks what Encore needs (refuse to start)."""


def use_ffmpeg(path: str | None) -> None:
    """Use the ffmpeg at ``path`` (a path or a name on PATH); None: the wheel's binary."""
    global _configured
    _configured = path or None
    ffmpeg_exe.cache_clear()


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary to use."""
    if _configured:
        found = shutil.which(_configured)
        if found is None:
            raise FFmpegUnusable(f"ENCORE_FFMPEG names {_configured!r}, which is not an executable file")
        return found
    import imageio_ffmpeg

    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


@dataclass(frozen=True)
class FFmpegInfo:
    path: str
    version: str  # as the binary says, e.g. "n9.0.2-17-g2a571b6068-20260930" or "5.1.6-0+deb12u1"


def _listed(exe: str, what: str) -> set[str]:
    """Names in ``ffmpeg -filters`` / ``-encoders`` output (the second column)."""
    out = subprocess.run([exe, "-hide_banner", what], capture_output=True, text=True, timeout=30).stdout
    return {line.split()[1] for line in out.splitlines() if len(line.split()) > 2 and line.startswith(" ")}


def parse_version(banner: str) -> tuple[str, tuple[int, int] | None]:
    """The version text of ``ffmpeg -version``'s first line and its (major, minor), or None
    for a build without a release number (a git snapshot, "N-12345-g...")."""
    match = re.match(r"ffmpeg version (\S+)", banner)
    if not match:
        raise FFmpegUnusable(f"not an ffmpeg binary (it says {banner[:80]!r})")
    text = match.group(1)
    number = re.match(r"n?(\d+)\.(\d+)", text)
    return text, (int(number.group(1)), int(number.group(2))) if number else None


def check_ffmpeg(exe: str | None = None) -> FFmpegInfo:
    """Prove ``exe`` (default: the chosen binary) fit for Encore, or raise ``FFmpegUnusable``
    saying what is wrong. Cached per binary: it runs four short ffmpeg commands."""
    return _check(exe or ffmpeg_exe())


@functools.cache
def _check(exe: str) -> FFmpegInfo:
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        raise FFmpegUnusable(f"ffmpeg {exe!r} is not an executable file")
    try:
        banner = subprocess.run(
            [exe, "-hide_banner", "-version"], capture_output=True, text=True, timeout=30
        ).stdout.splitlines()
        version, number = parse_version(banner[0] if banner else "")
        if number is not None and number < MIN_VERSION:
            raise FFmpegUnusable(
                f"ffmpeg {version} at {exe} is older than {MIN_VERSION[0]}.{MIN_VERSION[1]}, which Encore needs "
                "(older ebur128 summaries cannot be read). Unset ENCORE_FFMPEG to use the imageio-ffmpeg wheel's binary."
            )
        missing = sorted(
            (REQUIRED_FILTERS - _listed(exe, "-filters")) | (REQUIRED_ENCODERS - _listed(exe, "-encoders"))
        )
        if missing:
            raise FFmpegUnusable(
                f"ffmpeg {version} at {exe} lacks {', '.join(missing)}, which Encore needs. "
                "Unset ENCORE_FFMPEG to use the imageio-ffmpeg wheel's binary."
            )
        _check_loudness(exe, version)
    except (OSError, subprocess.SubprocessError) as exc:
        raise FFmpegUnusable(f"ffmpeg {exe!r} could not be run: {exc}") from exc
    return FFmpegInfo(path=exe, version=version)


def _check_loudness(exe: str, version: str) -> None:
    """Measure a second of tone the way the pipeline does; its summary must parse."""
    from audio.loudness import EBUR128_FILTER, parse_ebur128_summary

    proc = subprocess.run(
        [
            exe,
            *BASE_ARGS,
            "-v",
            "info",
            "-filter_complex",
            f"aevalsrc=0.5*sin(2*PI*1000*t):s=48000:d=1,{EBUR128_FILTER}",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    try:
        if proc.returncode != 0 or parse_ebur128_summary(proc.stderr).integrated_lufs is None:
            raise ValueError("no loudness measured")
    except ValueError as exc:
        raise FFmpegUnusable(
            f"ffmpeg {version} at {exe} measures no loudness ({exc}). "
            "Unset ENCORE_FFMPEG to use the imageio-ffmpeg wheel's binary."
        ) from None


def run_ffmpeg(args: list[str], *, timeout: float | None = None) -> str:
    """Run ffmpeg with ``args`` (after the common flags); return its log, raise on failure.

    The log goes to a temporary file, not a pipe, so a chatty run can never fill a pipe
    buffer and stall; only its tail is read back.
    """
    with tempfile.TemporaryFile() as log:
        try:
            proc = subprocess.run(
                [ffmpeg_exe(), *BASE_ARGS, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                timeout=timeout,
                **child_options(),
            )
        except subprocess.TimeoutExpired:
            raise FFmpegError("ffmpeg took too long") from None
        text = read_tail(log)
    if proc.returncode != 0:
        raise FFmpegError(f"ffmpeg exited with status {proc.returncode}", text)
    return text


def read_tail(handle: BinaryIO, limit: int = 64 * 1024) -> str:
    """The last ``limit`` bytes of an open log file, decoded leniently."""
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(max(0, size - limit))
    return handle.read().decode("utf-8", "replace")


@dataclass(frozen=True)
class DecodeCheck:
    """What a full decode of the first audio stream found."""

    seconds: float  # decoded duration
    errors: list[str]  # decoder error lines, if any


def decode_check(path: str, *, timeout: float | None = None) -> DecodeCheck:
    """Decode the first audio stream of ``path`` to nowhere and report how much decoded.

    Raises ``FFmpegError`` when ffmpeg cannot open the file as media at all.
    """
    with tempfile.TemporaryFile() as log, tempfile.TemporaryFile() as progress:
        proc = subprocess.run(
            [
                ffmpeg_exe(),
                *BASE_ARGS,
                "-v",
                "error",
                "-i",
                path,
                "-map",
                "0:a:0",
                "-vn",
                "-sn",
                "-dn",
                "-f",
                "null",
                "-",
                "-progress",
                "pipe:1",
            ],
            stdin=subprocess.DEVNULL,
            stdout=progress,
            stderr=log,
            timeout=timeout,
            **child_options(),
        )
        errors = [line for line in read_tail(log).splitlines() if line.strip()]
        progress.seek(0)
        seconds = 0.0
        for line in progress.read().decode("utf-8", "replace").splitlines():
            if line.startswith("out_time_us=") and line[12:].strip().lstrip("-").isdigit():
                seconds = max(seconds, int(line[12:]) / 1_000_000)
    if proc.returncode != 0:
        raise FFmpegError(f"ffmpeg could not read the file (status {proc.returncode})", "\n".join(errors[-20:]))
    return DecodeCheck(seconds=seconds, errors=errors)


def input_format(path: str) -> tuple[str | None, str | None]:
    """The container and audio codec ffmpeg sees in ``path`` (e.g. ``("mov,mp4,m4a", "aac")``),
    read from its input banner; ``(None, None)`` when it is not media ffmpeg understands."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    container = codec = None
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("Input #0, ") and container is None:
            container = line[len("Input #0, ") :].rsplit(", from ", 1)[0]
        elif "Audio: " in line and codec is None:
            codec = line.split("Audio: ", 1)[1].split(None, 1)[0].rstrip(",")
    return container, codec


def audio_stream(path: str) -> tuple[int | None, str | None]:
    """Sample rate and channel layout of the first audio stream ffmpeg sees in ``path``
    (e.g. ``(96000, "5.1")``); ``(None, None)`` when it cannot tell."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        match = re.search(r"Audio: .*?, (\d+) Hz, ([^,]+)", line)
        if match:
            return int(match.group(1)), match.group(2).strip()
    return None, None
