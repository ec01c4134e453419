"""How a listener's money looks in JSON: progress to owning a track, plays, statement lines."""

from __future__ import annotations

from app.catalog.models import Track
from app.catalog.representations import track_ref
from app.core.representations import money


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
        "at": line.effective_at.isoformat(),
    }
