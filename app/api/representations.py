"""How models look in JSON. One function per model, used by every endpoint that shows it."""

from __future__ import annotations

from flask import url_for

from app.models import Artist, Release, Track, User
from ledger.units import format_credits


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


def money(micro: int) -> dict:
    """An amount both ways: exact integer micro-credits, and decimal credits as text."""
    return {"micro": micro, "credits": format_credits(micro)}


def track_ref(track: Track | None, track_id: int) -> dict:
    if track is None:
        return {"id": track_id, "title": None, "url": None}
    return {"id": track.id, "title": track.title, "artist": artist_ref(track.release.artist),
            "url": url_for("api.get_track", track_id=track.id)}


def progress_json(item) -> dict:
    p = item.progress
    return {
        "track": track_ref(item.track, item.track.id),
        "costs_nothing": item.costs_nothing,
        "plays_counted": p.plays_counted,
        "plays_to_own": p.plays_to_own,
        "credits_paid": money(p.credits_paid),
        "credits_to_own": money(0 if item.costs_nothing else p.credits_to_own),
        "next_price": money(0 if item.costs_nothing else p.next_price) if p.next_price is not None else None,
        "owned": p.owned,
        "owned_via": p.owned_via.value if p.owned_via else None,
        "pricing_version_id": p.pricing_version_id,
    }


def play_json(record, track: Track | None) -> dict:
    return {
        "id": record.id,
        "track": track_ref(track, record.track_id),
        "kind": record.kind.value,
        "play_number": record.play_number,
        "price": money(record.price),
        "artist_part": money(record.artist_part),
        "coop_part": money(record.coop_part),
        "pricing_version_id": record.pricing_version_id,
        "at": record.created_at.isoformat(),
    }


def statement_json(line, track: Track | None) -> dict:
    return {
        "id": line.posting_id,
        "transfer_id": line.transfer_id,
        "kind": line.kind.value,
        "amount": money(line.amount),
        "track": track_ref(track, line.track_id) if line.track_id else None,
        "memo": line.memo,
        "at": line.created_at.isoformat(),
    }
