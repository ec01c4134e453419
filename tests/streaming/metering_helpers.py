"""A greedy client for the metering tests: it starts a play and fetches every byte it can with
every Range trick, before the play counts; then the audio it got is decoded and measured."""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from app.core.extensions import db
from app.core.types import utcnow
from app.uploads.services import processing, uploads
from audio.ffmpeg import ffmpeg_exe
from ledger.pricing import DEFAULT_PRICING, enact_pricing
from tests import media
from tests.factories import make_release, make_user

COUNT_AFTER_SECONDS = 8


def short_count_point() -> None:
    """A pricing version counting plays after 8 s (so a 20-s track is metered)."""
    from dataclasses import replace

    enact_pricing(
        db.session,
        replace(DEFAULT_PRICING, count_after_seconds=COUNT_AFTER_SECONDS),
        effective_from=utcnow() - timedelta(seconds=1),
    )
    db.session.commit()


def processed_track(tmp: Path, seconds: float = 20, release=None):
    """A real upload, transcoded and packaged by the processing pipeline."""
    release = release or make_release()
    uploader = make_user()
    path = media.make_audio(tmp / f"metered-{seconds}", "wav", seconds=seconds)
    received = uploads.ReceivedFile(path, path.name, path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    (track,) = uploads.add_tracks(release, uploader, [received]).tracks
    db.session.commit()
    processing.process_track(track.id)
    db.session.commit()
    return track


def decoded_seconds(data: bytes, suffix: str) -> float:
    """How much audio ffmpeg decodes from ``data`` (0 when nothing decodes)."""
    if not data:
        return 0.0
    with tempfile.NamedTemporaryFile(suffix=suffix) as f:
        f.write(data)
        f.flush()
        out = subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", f.name, "-f", "null", "-", "-progress", "pipe:1"],
            capture_output=True,
            text=True,
        ).stdout
    times = re.findall(r"out_time_us=(\d+)", out)
    return int(times[-1]) / 1e6 if times else 0.0


@dataclass
class Haul:
    """What the greedy client got: byte intervals of the rendition, and every answer's status."""

    pieces: dict[int, bytes] = field(default_factory=dict)  # start offset -> bytes
    statuses: list[tuple[str, int]] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)

    def add(self, what: str, status: int, headers, body: bytes) -> None:
        self.statuses.append((what, status))
        if status not in (200, 206) or not body:
            return
        start = 0
        content_range = headers.get("Content-Range")
        if status == 206 and content_range:
            start = int(re.match(r"bytes (\d+)-", content_range).group(1))
        self.pieces[start] = max(self.pieces.get(start, b""), body, key=len)

    def end(self) -> int:
        """The furthest byte received, +1."""
        return max((s + len(b) for s, b in self.pieces.items()), default=0)

    def stitched(self) -> bytes:
        """The longest prefix the pieces make together (what an attacker could play)."""
        out = b""
        for start in sorted(self.pieces):
            piece = self.pieces[start]
            if start <= len(out) < start + len(piece):
                out += piece[len(out) - start :]
        return out


class Greedy:
    """Requests through the app; a redirect (S3) is followed with the same headers."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def fetch(self, method: str, url: str, extra: dict | None = None):
        extra = extra or {}
        r = self.client.open(url, method=method, headers=self.headers | extra)
        if r.status_code != 302:
            return r.status_code, r.headers, r.data, None
        request = urllib.request.Request(r.location, method=method, headers=extra)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, response.headers, response.read(), r.location
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, b"", r.location

    def grab_everything(self, play: dict, fmt: str = "mp3") -> Haul:
        """Every trick, before the play counts."""
        url = play["streams"][fmt]
        haul = Haul()

        def get(what, extra=None, method="GET", target=url):
            status, headers, body, location = self.fetch(method, target, extra)
            haul.add(what, status, headers, body if method == "GET" else b"")
            if location:
                haul.locations.append(location)
            return status, headers, body

        _, first_headers, first = get("plain")
        etag = first_headers.get("ETag")
        head = len(first)
        for _ in range(3):
            get("again")
        get("open-ended", {"Range": "bytes=0-"})
        for start in (head - 1, head, head + 1, head * 2, 10**6, 10**8):
            get(f"from {start}", {"Range": f"bytes={start}-"})
            get(f"from {start} bounded", {"Range": f"bytes={start}-{start + 100_000}"})
        for n in (1_000, head, head * 3, 10**8):
            get(f"suffix {n}", {"Range": f"bytes=-{n}"})
        get("multiple", {"Range": f"bytes=0-10,{head}-"})
        get("multiple suffix", {"Range": "bytes=-100,0-"})
        get("overlapping", {"Range": f"bytes=0-{head * 4}"})
        if etag:
            get("if-range", {"Range": f"bytes={head}-", "If-Range": etag})
            get("if-range stale", {"Range": f"bytes={head}-", "If-Range": '"stale"'})
        get("head request", {"Range": f"bytes={head}-"}, method="HEAD")
        get("head request plain", method="HEAD")
        for guess in (
            url + "?whole=1",
            url.replace("/stream.", "/tail."),
            url.replace("/stream.", "/full."),
            f"/api/v1/tracks/{play['track_id']}/original",
            f"/api/v1/tracks/{play['track_id']}/stream.{fmt}",
        ):
            get(f"guess {guess}", target=guess)
        return haul
