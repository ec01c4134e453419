"""What an uploaded file is: its audio format (decided by content, never by name), its
duration, and its tags and embedded cover art.

mutagen reads the headers first (cheap, and it knows the tag formats); where it cannot,
ffmpeg's own probe decides. Every accepted file is then decoded in full once, because only
a decode proves that the audio is not truncated or damaged.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

import mutagen
from mutagen.aac import AAC
from mutagen.aiff import AIFF
from mutagen.flac import FLAC, Picture
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from audio.errors import AudioTooLong, CorruptAudio, FFmpegError, UnsupportedAudio
from audio.ffmpeg import decode_check, input_format

ACCEPTED_FORMATS = ("WAV", "AIFF", "FLAC", "MP3", "Ogg Vorbis", "Opus", "M4A/AAC")
ACCEPTED = ", ".join(ACCEPTED_FORMATS[:-1]) + " or " + ACCEPTED_FORMATS[-1]

# kind -> (what people call it, MIME type of the original)
KINDS = {
    "wav": ("WAV", "audio/wav"),
    "aiff": ("AIFF", "audio/aiff"),
    "flac": ("FLAC", "audio/flac"),
    "mp3": ("MP3", "audio/mpeg"),
    "vorbis": ("Ogg Vorbis", "audio/ogg"),
    "opus": ("Opus", "audio/ogg"),
    "m4a": ("M4A", "audio/mp4"),
    "aac": ("AAC", "audio/aac"),
}

# A file that decodes to less than this share of the length its header declares is truncated.
TRUNCATION_TOLERANCE = 0.9


@dataclass(frozen=True)
class AudioFormat:
    """An accepted file: its kind (a key of ``KINDS``) and decoded duration."""

    kind: str
    duration_ms: int

    @property
    def label(self) -> str:
        return KINDS[self.kind][0]

    @property
    def mime_type(self) -> str:
        return KINDS[self.kind][1]


@dataclass
class Tags:
    """The tags we use; any may be missing. ``cover`` is the embedded front cover's bytes."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    track_number: int | None = None
    disc_number: int | None = None
    isrc: str | None = None
    cover: bytes | None = field(default=None, repr=False)


class _Nameless(io.BufferedReader):
    """An open file without a name, so mutagen's guess cannot lean on the file extension."""

    @property
    def name(self) -> str:  # noqa: D401 - mutagen reads .name to score extensions
        return ""


def _mutagen_file(path: str) -> Any:
    with _Nameless(io.FileIO(path, "rb")) as handle:
        return mutagen.File(handle)


def _kind_from_mutagen(media: Any) -> str:
    """Our kind for a file mutagen parsed, or raise ``UnsupportedAudio`` for other formats."""
    if isinstance(media, WAVE):
        return "wav"
    if isinstance(media, AIFF):
        return "aiff"
    if isinstance(media, FLAC):
        return "flac"
    if isinstance(media, MP3):
        layer = getattr(media.info, "layer", 3)
        if layer != 3:
            raise UnsupportedAudio(f"This is MPEG layer {layer} audio; we accept {ACCEPTED}.")
        return "mp3"
    if isinstance(media, OggOpus):
        return "opus"
    if isinstance(media, OggVorbis):
        return "vorbis"
    if isinstance(media, MP4):
        codec = (getattr(media.info, "codec", "") or "").lower()
        if codec.startswith("mp4a") or codec == "alac":
            return "m4a"
        raise UnsupportedAudio(f"This MP4 file holds '{codec or 'no audio'}', not AAC; we accept {ACCEPTED}.")
    if isinstance(media, AAC):
        return "aac"
    name = type(media).__name__
    raise UnsupportedAudio(f"This is a {name} file; we accept {ACCEPTED}.")


def _kind_from_ffmpeg(path: str) -> str:
    container, codec = input_format(path)
    if container is None or codec is None:
        raise UnsupportedAudio(f"This file is not audio we can read. Please upload {ACCEPTED}.")
    formats = set(container.split(","))
    if "wav" in formats:
        return "wav"
    if "aiff" in formats:
        return "aiff"
    if "flac" in formats and codec == "flac":
        return "flac"
    if "mp3" in formats and codec == "mp3":
        return "mp3"
    if "ogg" in formats and codec in ("vorbis", "opus"):
        return codec
    if "mp4" in formats and codec in ("aac", "alac"):
        return "m4a"
    if "aac" in formats and codec == "aac":
        return "aac"
    raise UnsupportedAudio(f"This is {codec} audio in a {container} file; we accept {ACCEPTED}.")


def identify(path: str, *, max_seconds: float) -> AudioFormat:
    """Decide what ``path`` holds and check it decodes completely, or raise an ``AudioRejected``.

    ``UnsupportedAudio``: not audio, or a format we do not take. ``CorruptAudio``: empty,
    truncated, damaged, or no sound frames. ``AudioTooLong``: over ``max_seconds``.
    """
    with open(path, "rb") as handle:
        if not handle.read(1):
            raise CorruptAudio("The file is empty (0 bytes).")

    declared = None
    try:
        media = _mutagen_file(path)
    except Exception:
        # mutagen recognised a header but choked on it (a damaged tag, say); let ffmpeg judge
        # the audio itself. Tags of such a file are ignored later for the same reason.
        media = None
    if media is not None:
        kind = _kind_from_mutagen(media)
        declared = getattr(media.info, "length", None) or None
    else:
        kind = _kind_from_ffmpeg(path)

    limit_text = _minutes(max_seconds)
    if declared and declared > max_seconds + 1:
        raise AudioTooLong(f"This track is {_minutes(declared)} long; the limit is {limit_text}.")

    try:
        # Decoding runs at 100x real time or more; the timeout only guards against a hang.
        check = decode_check(path, timeout=max(60.0, max_seconds / 5))
    except FFmpegError:
        raise CorruptAudio(f"This {KINDS[kind][0]} file is damaged: it could not be decoded.") from None
    if check.seconds <= 0:
        raise CorruptAudio(f"This {KINDS[kind][0]} file contains no audio (zero duration).")
    if check.seconds > max_seconds + 1:
        raise AudioTooLong(f"This track is {_minutes(check.seconds)} long; the limit is {limit_text}.")
    if declared and check.seconds < declared * TRUNCATION_TOLERANCE:
        raise CorruptAudio(
            f"This {KINDS[kind][0]} file is truncated or damaged: its header says {_clock(declared)} "
            f"but only {_clock(check.seconds)} of audio could be decoded."
        )
    return AudioFormat(kind=kind, duration_ms=round(check.seconds * 1000))


def _minutes(seconds: float) -> str:
    minutes = seconds / 60
    if minutes >= 60 and minutes % 60 == 0:
        return f"{int(minutes // 60)} h"
    return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}.{int((seconds - whole) * 10)}"


def read_tags(path: str) -> Tags:
    """The file's tags and front cover; a file whose tags cannot be parsed has none."""
    try:
        media = _mutagen_file(path)
    except Exception:
        return Tags()
    if media is None or media.tags is None:
        return Tags()
    tags = media.tags
    if isinstance(media, MP4):
        return _mp4_tags(tags)
    if hasattr(tags, "getall"):  # ID3 (MP3, WAV, AIFF)
        return _id3_tags(tags)
    return _vorbis_tags(media)


def _first(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _track_number(value: Any) -> int | None:
    text = _first(value)
    if not text:
        return None
    head = text.split("/")[0].strip()
    return int(head) if head.isdigit() and 0 < int(head) < 10_000 else None


def _id3_tags(tags: Any) -> Tags:
    def text(frame_id: str) -> str | None:
        frames = tags.getall(frame_id)
        return _first(frames[0].text) if frames and getattr(frames[0], "text", None) else None

    cover = None
    pictures = tags.getall("APIC")
    front = [p for p in pictures if getattr(p, "type", None) == 3] or pictures
    if front:
        cover = front[0].data
    return Tags(
        title=text("TIT2"),
        artist=text("TPE1"),
        album=text("TALB"),
        track_number=_track_number(text("TRCK")),
        disc_number=_track_number(text("TPOS")),
        isrc=_isrc(text("TSRC")),
        cover=cover,
    )


def _mp4_tags(tags: Any) -> Tags:
    isrc = tags.get("----:com.apple.iTunes:ISRC")
    cover = tags.get("covr")
    trkn = tags.get("trkn")
    disk = tags.get("disk")
    return Tags(
        title=_first(tags.get("\xa9nam")),
        artist=_first(tags.get("\xa9ART")),
        album=_first(tags.get("\xa9alb")),
        track_number=trkn[0][0] if trkn and trkn[0] and trkn[0][0] else None,
        disc_number=disk[0][0] if disk and disk[0] and disk[0][0] else None,
        isrc=_isrc(bytes(isrc[0]).decode("utf-8", "replace") if isrc else None),
        cover=bytes(cover[0]) if cover else None,
    )


def _vorbis_tags(media: Any) -> Tags:
    tags = media.tags

    def get(key: str) -> str | None:
        return _first(tags.get(key))

    cover = None
    pictures = list(getattr(media, "pictures", []) or [])
    for encoded in tags.get("metadata_block_picture", []):
        try:
            pictures.append(Picture(base64.b64decode(encoded)))  # type: ignore[no-untyped-call]
        except Exception:
            continue  # a damaged picture block is skipped, not fatal
    front = [p for p in pictures if p.type == 3] or pictures
    if front:
        cover = front[0].data
    return Tags(
        title=get("title"),
        artist=get("artist"),
        album=get("album"),
        track_number=_track_number(tags.get("tracknumber")),
        disc_number=_track_number(tags.get("discnumber")),
        isrc=_isrc(get("isrc")),
        cover=cover,
    )


def _isrc(value: str | None) -> str | None:
    """An ISRC without dashes, upper case (CC-XXX-YY-NNNNN -> CCXXXYYNNNNN), or None if malformed."""
    if not value:
        return None
    code = value.replace("-", "").strip().upper()
    return code if len(code) == 12 and code[:2].isalpha() and code[2:].isalnum() else None
