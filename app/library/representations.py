"""How the library looks in JSON: playlists, their entries (each with the listener's progress
to owning the track, as the streaming API shows it) and share links."""

from __future__ import annotations

from flask import url_for

from app.catalog.representations import track_json
from app.core.representations import money
from app.library.models import Playlist
from app.library.services import Entry


def share_url(playlist: Playlist) -> str:
    return url_for("web.shared_playlist", token=playlist.share_token, _external=True)


def playlist_ref(playlist: Playlist, *, owner: bool, size: int | None = None) -> dict:
    out = {
        "id": playlist.id,
        "name": playlist.name,
        "description": playlist.description,
        "public": playlist.public,
        "owner": {"id": playlist.owner.id, "display_name": playlist.owner.display_name},
        "created_at": playlist.created_at.isoformat(),
        "updated_at": playlist.updated_at.isoformat(),
        "url": url_for("api.get_playlist", playlist_id=playlist.id),
        "page_url": url_for("web.playlist_page", playlist_id=playlist.id),
        # The owner may hand the link out; others already hold it (the playlist is public).
        "share_url": share_url(playlist) if owner or playlist.public else None,
    }
    if size is not None:
        out["size"] = size
    return out


def standing_json(s) -> dict | None:
    """A track's standing (``streaming.services.TrackStanding``), None for visitors."""
    if s is None:
        return None
    return {
        "label": s.label,
        "plays_counted": s.plays_counted,
        "plays_to_own": s.plays_to_own,
        "owned": s.owned,
        "costs_nothing": s.costs_nothing,
        "credits_to_own": money(s.credits_to_own),
    }


def entry_json(entry: Entry, standings: dict) -> dict:
    return {
        "id": entry.item.id,
        "position": entry.item.position,
        "added_at": entry.item.added_at.isoformat(),
        "available": entry.track is not None,
        "track": track_json(entry.track) if entry.track is not None else None,
        "progress": standing_json(standings.get(entry.track.id)) if entry.track is not None else None,
    }


def playlist_json(playlist: Playlist, entries: list[Entry], standings: dict, *, owner: bool) -> dict:
    return playlist_ref(playlist, owner=owner, size=len(entries)) | {
        "items": [entry_json(e, standings) for e in entries]
    }
