"""Why the audio pipeline refuses a file or fails, in words an artist understands."""

from __future__ import annotations


class AudioError(Exception):
    """Base of the pipeline's errors; ``str(exc)`` is a message for a person."""


class AudioRejected(AudioError):
    """The uploaded file is not acceptable audio (the web layer answers 4xx)."""


class UnsupportedAudio(AudioRejected):
    """Not a file we can take: not audio at all, or an audio format we do not accept."""


class CorruptAudio(AudioRejected):
    """Recognised as audio, but truncated, damaged, or without any sound frames."""


class AudioTooLong(AudioRejected):
    """Longer than the configured limit."""


class ImageRejected(AudioError):
    """Cover art that is not an image we can read, or too large."""


class FFmpegError(AudioError):
    """ffmpeg failed; ``detail`` holds the end of its log."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail
