"""Test audio and images, generated on the spot with ffmpeg, mutagen and Pillow.

Every format we accept, with or without tags and cover art, and the broken inputs the
upload must refuse. Files are short (a few seconds) so the suite stays fast.
"""

from __future__ import annotations

import base64
import io
import random
import subprocess
from pathlib import Path

from mutagen.aiff import AIFF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TALB, TIT2, TPE1, TPOS, TRCK, TSRC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import Image

from audio.ffmpeg import ffmpeg_exe

# kind -> (suffix, ffmpeg output args)
FORMATS = {
    "wav": (".wav", ["-c:a", "pcm_s16le", "-f", "wav"]),
    "aiff": (".aiff", ["-c:a", "pcm_s16be", "-f", "aiff"]),
    "flac": (".flac", ["-c:a", "flac", "-f", "flac"]),
    "mp3": (".mp3", ["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"]),
    "vorbis": (".ogg", ["-c:a", "libvorbis", "-q:a", "3", "-f", "ogg"]),
    "opus": (".opus", ["-c:a", "libopus", "-b:a", "64k", "-ar", "48000", "-f", "ogg"]),
    "m4a": (".m4a", ["-c:a", "aac", "-b:a", "128k", "-f", "ipod"]),
}

TAGS = {
    "title": "Tidal Song",
    "artist": "Test Artist",
    "album": "Test Album",
    "track_number": 3,
    "isrc": "GBABC2612345",
}


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *args], check=True)


def make_audio(
    path: Path,
    kind: str = "wav",
    *,
    seconds: float = 3.0,
    tags: bool | dict = False,
    cover: bool = False,
    rate: int = 44100,
    channels: int = 2,
) -> Path:
    """A chord-ish tone with a little noise in the given format (optionally tagged: ``tags``
    True writes ``TAGS``, a dict writes ``TAGS`` updated with it, ``disc_number`` included)."""
    suffix, codec = FORMATS[kind]
    path = Path(path)
    if path.suffix == "":
        path = path.with_suffix(suffix)
    source = f"aevalsrc=0.3*sin(2*PI*220*t)+0.2*sin(2*PI*277*t)+0.05*(random(0)-0.5):s={rate}:d={seconds}"
    ffmpeg("-f", "lavfi", "-i", source, "-ac", str(channels), "-ar", str(rate), *codec, str(path))
    if tags or cover:
        values = TAGS | tags if isinstance(tags, dict) else TAGS if tags else None
        write_tags(path, kind, tags=values, cover=png_bytes() if cover else None)
    return path


def png_bytes(size=(640, 480), color=(200, 60, 80)) -> bytes:
    image = Image.new("RGB", size, color)
    for x in range(0, size[0], 40):  # stripes, so a wrong crop would show
        for y in range(size[1]):
            image.putpixel((x, y), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(size=(800, 800)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


def write_tags(path: Path, kind: str, *, tags: dict | None, cover: bytes | None) -> None:
    """Tag a file the way real-world taggers do for its format."""
    if kind in ("mp3", "wav", "aiff"):
        media = {"mp3": MP3, "wav": WAVE, "aiff": AIFF}[kind](path)
        if media.tags is None:
            media.add_tags()
        id3: ID3 = media.tags
        if tags:
            id3.add(TIT2(encoding=3, text=tags["title"]))
            id3.add(TPE1(encoding=3, text=tags["artist"]))
            id3.add(TALB(encoding=3, text=tags["album"]))
            id3.add(TRCK(encoding=3, text=f"{tags['track_number']}/10"))
            id3.add(TSRC(encoding=3, text=tags["isrc"]))
            if tags.get("disc_number"):
                id3.add(TPOS(encoding=3, text=f"{tags['disc_number']}/2"))
        if cover:
            id3.add(APIC(encoding=3, mime="image/png", type=3, desc="cover", data=cover))
        media.save()
    elif kind == "m4a":
        media = MP4(path)
        if tags:
            media["\xa9nam"] = [tags["title"]]
            media["\xa9ART"] = [tags["artist"]]
            media["\xa9alb"] = [tags["album"]]
            media["trkn"] = [(tags["track_number"], 10)]
            media["----:com.apple.iTunes:ISRC"] = [MP4FreeForm(tags["isrc"].encode())]
            if tags.get("disc_number"):
                media["disk"] = [(tags["disc_number"], 2)]
        if cover:
            media["covr"] = [MP4Cover(cover, imageformat=MP4Cover.FORMAT_PNG)]
        media.save()
    else:
        media = {"flac": FLAC, "vorbis": OggVorbis, "opus": OggOpus}[kind](path)
        if tags:
            media["title"], media["artist"], media["album"] = tags["title"], tags["artist"], tags["album"]
            media["tracknumber"], media["isrc"] = str(tags["track_number"]), tags["isrc"]
            if tags.get("disc_number"):
                media["discnumber"] = str(tags["disc_number"])
        if cover:
            picture = Picture()
            picture.type, picture.mime, picture.data = 3, "image/png", cover
            picture.width, picture.height, picture.depth = 640, 480, 24
            if kind == "flac":
                media.add_picture(picture)
            else:
                media["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
        media.save()


# Broken inputs --------------------------------------------------------------------------


def zero_bytes(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def random_bytes(path: Path, size: int = 50_000) -> Path:
    path.write_bytes(random.Random(4).randbytes(size))
    return path


def text_file(path: Path) -> Path:
    path.write_text("This is not a song.\n" * 200)
    return path


def truncated_flac(path: Path) -> Path:
    full = make_audio(path.with_name("full-" + path.name), "flac", seconds=4)
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 3])
    full.unlink()
    return path


def zero_frame_wav(path: Path) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-frames:a", "0", "-c:a", "pcm_s16le", "-f", "wav", str(path)
    )
    return path


def malformed_id3_mp3(path: Path) -> Path:
    """An MP3 whose ID3v2 tag is garbage inside (frame sizes pointing past the tag, an
    unknown version, a bad text encoding), followed by intact audio frames."""
    clean = make_audio(path.with_name("clean-" + path.name), "mp3", seconds=3)
    audio = clean.read_bytes()
    clean.unlink()
    body = (b"TIT2\x00\x7f\x7f\x7f\x00\x00\x09garbage" + b"\xfe" * 20) * 3
    size = len(body)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    path.write_bytes(b"ID3\x05\x00\x00" + syncsafe + body + audio)
    return path
