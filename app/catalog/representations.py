"""How the catalogue looks in JSON: artists, releases, tracks and their audio. One function per
model, used by every endpoint that shows it."""

from __future__ import annotations

from flask import url_for

from app.catalog.models import Artist, Release, Track


def artist_ref(artist: Artist) -> dict:
    return {"id": artist.id, "name": artist.name, "url": url_for("api.get_artist", artist_id=artist.id)}


def artist_json(artist: Artist, releases: list[Release] | None = None) -> dict:
    out = artist_ref(artist) | {
        "slug": artist.slug,
        "bio": artist.bio,
        "location": artist.location,
        "links": list(artist.links or []),
        "image": artist_image_urls(artist),
    }
    if releases is not None:
        out["releases"] = [release_ref(r) for r in releases]
    return out


def release_ref(release: Release) -> dict:
    return {
        "id": release.id,
        "title": release.title,
        "kind": release.kind.value,
        "release_date": release.release_date.isoformat() if release.release_date else None,
        "artist": artist_ref(release.artist),
        "url": url_for("api.get_release", release_id=release.id),
        "cover": cover_urls(release),
    }


def artist_image_urls(artist: Artist) -> dict | None:
    """URLs of the artist's image in each size, or None without one."""
    if not artist.image_key:
        return None
    return {size: url_for("api.artist_image", artist_id=artist.id, size=size) for size in ("small", "medium", "large")}


def cover_urls(release: Release) -> dict | None:
    """URLs of the cover in each size, or None when the release has no cover."""
    if not release.cover_key:
        return None
    return {
        size: url_for("api.release_cover", release_id=release.id, size=size) for size in ("small", "medium", "large")
    }


def audio_json(track: Track) -> dict | None:
    """What a player needs: preview, waveform and the gain that normalises loudness.
    Never the keys of the private original or of the full renditions."""
    audio = track.audio
    if audio is None or audio.processed_at is None:
        return None
    return {
        "stream": bool(audio.stream_mp3_key),
        "formats": [f for f, key in (("mp3", audio.stream_mp3_key), ("opus", audio.stream_opus_key)) if key],
        "preview_url": url_for("api.track_preview", track_id=track.id) if audio.preview_key else None,
        "preview_start_ms": audio.preview_start_ms,
        "waveform_url": url_for("api.track_waveform", track_id=track.id) if audio.peaks else None,
        "gain_db": audio.gain_db,
        "loudness_lufs": audio.loudness_lufs,
        "true_peak_dbtp": audio.true_peak_dbtp,
        "isrc": audio.isrc,
    }


def release_json(release: Release, tracks: list[Track]) -> dict:
    return release_ref(release) | {
        "description": release.description,
        "credits": release.credits,
        "license_note": release.license_note,
        "published": release.published,
        "tags": release.tags,
        "tracks": [track_json(t, with_release=False) for t in tracks],
    }


def track_json(track: Track, *, with_release: bool = True) -> dict:
    out = {
        "id": track.id,
        "title": track.title,
        "position": track.position,
        "duration_ms": track.duration_ms,
        "status": track.status.value,
        "free": track.free,
        "explicit": track.explicit,
        "lyrics": track.lyrics,
        "removed": track.removed,
        "url": url_for("api.get_track", track_id=track.id),
        "audio": audio_json(track),
    }
    if with_release:
        out["release"] = release_ref(track.release)
    return out


def track_ref(track: Track | None, track_id: int) -> dict:
    if track is None:
        return {"id": track_id, "title": None, "url": None}
    return {
        "id": track.id,
        "title": track.title,
        "artist": artist_ref(track.release.artist),
        "url": url_for("api.get_track", track_id=track.id),
    }
