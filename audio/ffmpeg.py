"""Finding and running ffmpeg: the one on PATH if present, else the imageio-ffmpeg wheel's.

There is no ffprobe on a machine that only has the wheel, so everything here uses ffmpeg
alone (its decode log and ``-progress`` output tell us what ffprobe would).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from audio.errors import FFmpegError

BASE_ARGS = ["-nostdin", "-hide_banner", "-nostats"]


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary to use."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


def run_ffmpeg(args: list[str], *, timeout: float | None = None) -> str:
    """Run ffmpeg with ``args`` (after the common flags); return its log, raise on failure.

    The log goes to a temporary file, not a pipe, so a chatty run can never fill a pipe
    buffer and stall; only its tail is read back.
    """
    with tempfile.TemporaryFile() as log:
        try:
            proc = subprocess.run(
                [ffmpeg_exe(), *BASE_ARGS, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=log, timeout=timeout,
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
            [ffmpeg_exe(), *BASE_ARGS, "-v", "error", "-i", path, "-map", "0:a:0", "-vn", "-sn", "-dn",
             "-f", "null", "-", "-progress", "pipe:1"],
            stdin=subprocess.DEVNULL, stdout=progress, stderr=log, timeout=timeout,
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
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", path], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60,
    )
    container = codec = None
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("Input #0, ") and container is None:
            container = line[len("Input #0, "):].rsplit(", from ", 1)[0]
        elif "Audio: " in line and codec is None:
            codec = line.split("Audio: ", 1)[1].split(None, 1)[0].rstrip(",")
    return container, codec
