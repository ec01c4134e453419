"""Streamable tracks without transcoding: known bytes stored as the renditions, so Range
answers can be checked byte for byte. (Real transcodes are tested in the audio tests and by
the browser test.)"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import update

from app.core.extensions import db
from app.core.storage import get_store
from app.streaming.models import Play
from app.uploads.models import TrackAudio
from tests.factories import make_track


def audio_bytes(size: int = 200_000, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def make_streamable_track(*, data: bytes | None = None, duration_ms: int = 180_000, peaks=True, **kwargs):
    """A ready track whose MP3, Opus, preview and original are ``data`` (random by default)."""
    track = make_track(duration_ms=duration_ms, **kwargs)
    data = data if data is not None else audio_bytes(seed=track.id)
    store = get_store()
    keys = {name: f"tracks/{track.id}/{name}" for name in ("original", "stream.mp3", "stream.opus", "preview.mp3")}
    for key in keys.values():
        store.put_bytes(key, data)
    db.session.add(
        TrackAudio(
            track_id=track.id,
            artist_id=track.release.artist_id,
            sha256=f"{track.id:064x}",
            original_key=keys["original"],
            original_name="master.wav",
            original_size=len(data),
            original_format="wav",
            original_mime="audio/wav",
            source_duration_ms=duration_ms,
            stream_mp3_key=keys["stream.mp3"],
            stream_opus_key=keys["stream.opus"],
            preview_key=keys["preview.mp3"],
            preview_start_ms=0,
            gain_db=-3.5,
            peaks=[0.5, 1.0, 0.25] if peaks else None,
            stream_cuts=linear_cuts(len(data), duration_ms),
        )
    )
    db.session.commit()
    return track


def linear_cuts(size: int, duration_ms: int) -> dict:
    """Cut points for bytes that stand for ``duration_ms`` of audio at a constant rate."""
    seconds = -(-duration_ms // 1000)
    points = [size * i * 1000 // duration_ms for i in range(seconds)] + [size]
    return {"step_ms": 1000, "token": "t0", "mp3": points, "opus": points}


def backdate(play_id: str, seconds: float) -> None:
    """Pretend the play started ``seconds`` earlier (server time), so tests need not sleep."""
    play = db.session.get(Play, play_id)
    db.session.execute(
        update(Play)
        .where(Play.id == play_id)
        .values(
            started_at=play.started_at - timedelta(seconds=seconds),
            expires_at=play.expires_at - timedelta(seconds=seconds),
            reported_at=play.reported_at - timedelta(seconds=seconds),
        )
    )
    db.session.commit()
    db.session.expire_all()
