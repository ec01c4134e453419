"""How models look in JSON. One function per model, used by every endpoint that shows it."""

from __future__ import annotations

from flask import url_for

from app.models import Artist, Release, Track, User


def user_json(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "country": user.country,
        "role": user.role.value,
        "artists": [artist_ref(a) for a in user.artists],
    }


def artist_ref(artist: Artist) -> dict:
    return {"id": artist.id, "name": artist.name, "url": url_for("api.get_artist", artist_id=artist.id)}


def artist_json(artist: Artist, releases: list[Release] | None = None) -> dict:
    out = artist_ref(artist) | {"slug": artist.slug, "bio": artist.bio}
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
    }


def release_json(release: Release, tracks: list[Track]) -> dict:
    return release_ref(release) | {"tracks": [track_json(t, with_release=False) for t in tracks]}


def track_json(track: Track, *, with_release: bool = True) -> dict:
    out = {
        "id": track.id,
        "title": track.title,
        "position": track.position,
        "duration_ms": track.duration_ms,
        "status": track.status.value,
        "free": track.free,
        "url": url_for("api.get_track", track_id=track.id),
    }
    if with_release:
        out["release"] = release_ref(track.release)
    return out
