"""How an upload looks in JSON to its artist's managers."""

from __future__ import annotations

from flask import url_for

from app.catalog.models import Track
from app.catalog.representations import track_json


def upload_json(track: Track) -> dict:
    """A track as its managers see it: status and failure reason, the original's facts."""
    audio = track.audio
    out = track_json(track, with_release=False) | {"status_reason": track.status_reason}
    if audio is not None:
        out["original"] = {
            "name": audio.original_name,
            "format": audio.original_format,
            "size": audio.original_size,
            "sha256": audio.sha256,
            "url": url_for("api.track_original", track_id=track.id),
        }
        out["reprocess_url"] = url_for("api.reprocess_track", track_id=track.id)
    return out
