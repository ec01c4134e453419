"""How an upload looks in JSON to its artist's managers."""

from __future__ import annotations

from flask import url_for

from app.catalog.models import Track
from app.catalog.representations import track_json


def upload_json(track: Track) -> dict:
    """A track as its managers see it: status and failure reason, the original's facts, and
    the replacement audio being processed (or the reason it failed), if any."""
    audio = track.audio
    out = track_json(track, with_release=False) | {"status_reason": track.status_reason, "replacement": None}
    if audio is not None:
        out["original"] = {
            "name": audio.original_name,
            "format": audio.original_format,
            "size": audio.original_size,
            "sha256": audio.sha256,
            "url": url_for("api.track_original", track_id=track.id),
        }
        out["version"] = audio.version
        out["tags"] = {
            "title": audio.tag_title,
            "track_number": audio.tag_track_number,
            "disc_number": audio.tag_disc_number,
        }
        out["reprocess_url"] = url_for("api.reprocess_track", track_id=track.id)
        out["replace_url"] = url_for("api.replace_track_audio", track_id=track.id)
    replacement = track.replacement
    if replacement is not None:
        out["replacement"] = {
            "version": replacement.version,
            "status": replacement.status.value,
            "status_reason": replacement.status_reason,
            "name": replacement.original_name,
            "format": replacement.original_format,
            "size": replacement.original_size,
        }
    return out
