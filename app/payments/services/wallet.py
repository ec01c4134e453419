"""The listener's money, through the ledger: starter grants, charges, buy-now, reads.

The ledger knows listeners, artists and tracks only by id; this module supplies what it needs
from the web layer (which artist a track belongs to, whether it is free, whether the listener
manages that artist) and turns ledger refusals into ``ServiceError``s. It flushes, never
commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

import ledger
from app.accounts.models import User
from app.accounts.suspension import require_not_suspended
from app.catalog.models import Release, Track
from app.catalog.services import is_own_track, track_visible_to
from app.core.errors import NotFound, ValidationFailed, service_error_for
from app.core.extensions import db
from ledger import reads
from ledger.pricing import costs_nothing


def _play_terms(user: User, track: Track) -> dict:
    """Who plays what, as the ledger's charge and buy-now take it."""
    return dict(
        listener_id=user.id,
        track_id=track.id,
        artist_id=track.release.artist_id,
        track_is_free=track.free,
        listener_is_artist=is_own_track(user, track),
    )


def _track(track_id: int) -> Track:
    track = db.session.get(Track, track_id)
    if track is None:
        raise NotFound(f"There is no track {track_id}.")
    return track


def grant_starter(user: User) -> None:
    """Give a new member the co-op's starter credits (once; a second call changes nothing)."""
    ledger.grant_starter(db.session, listener_id=user.id)


def charge_play(user: User, track: Track, key: str) -> ledger.PlayResult:
    """Charge one counted play (the streaming issue calls this with the play's id as ``key``)."""
    try:
        return ledger.charge_play(db.session, key=key, **_play_terms(user, track))
    except ledger.LedgerError as exc:
        raise service_error_for(exc) from None


def buy_now(user: User, track_id: int, key: str) -> ledger.PurchaseResult:
    """Pay the rest of the track's schedule and own it."""
    require_not_suspended(user, "buy")
    track = _track(track_id)
    if not track_visible_to(user, track):
        raise NotFound(f"There is no track {track_id}.")
    try:
        return ledger.buy_now(db.session, key=key, **_play_terms(user, track))
    except ledger.LedgerError as exc:
        raise service_error_for(exc) from None


def admin_top_up(user_id: int, credits_text: str, key: str) -> ledger.TransferResult:
    """Credit a wallet by hand (demo and support), from payments clearing."""
    if db.session.get(User, user_id) is None:
        raise NotFound(f"There is no user {user_id}.")
    try:
        amount = ledger.parse_credits(credits_text)
    except ledger.InvalidOperation as exc:
        raise ValidationFailed(str(exc), field="credits") from None
    if amount <= 0:
        raise ValidationFailed("Top up a positive amount.", field="credits")
    try:
        return ledger.top_up(db.session, key=key, listener_id=user_id, amount=amount, memo="manual top-up")
    except ledger.LedgerError as exc:
        raise service_error_for(exc) from None


def balance(user: User) -> int:
    return reads.wallet_balance(db.session, user.id)


@dataclass(frozen=True)
class Progress:
    track: Track
    progress: reads.TrackProgress
    costs_nothing: str | None  # "free" or "own_artist" when plays of it cost this listener nothing


def track_progress(user: User, track_id: int) -> Progress:
    track = _track(track_id)
    try:
        progress = reads.track_progress(db.session, user.id, track.id)
    except ledger.LedgerError as exc:
        raise service_error_for(exc) from None
    free = costs_nothing(track_is_free=track.free, listener_is_artist=is_own_track(user, track))
    return Progress(track, progress, free)


def tracks_by_id(ids) -> dict[int, Track]:
    """Tracks (with release and artist loaded) for ids the ledger returned; a deleted track is
    simply missing from the result."""
    ids = set(ids)
    if not ids:
        return {}
    query = select(Track).where(Track.id.in_(ids)).options(selectinload(Track.release).selectinload(Release.artist))
    return {t.id: t for t in db.session.scalars(query)}


def owned(user: User) -> list[tuple[reads.OwnedTrack, Track | None]]:
    rows = reads.owned_tracks(db.session, user.id)
    tracks = tracks_by_id(r.track_id for r in rows)
    return [(r, tracks.get(r.track_id)) for r in rows]


def play_history(user: User, *, limit: int = 50, before_id: int | None = None):
    rows = reads.play_history(db.session, user.id, limit=limit, before_id=before_id)
    tracks = tracks_by_id(r.track_id for r in rows)
    return [(r, tracks.get(r.track_id)) for r in rows]


def statement(user: User, *, limit: int = 50, before_id: int | None = None):
    rows = reads.wallet_statement(db.session, user.id, limit=limit, before_id=before_id)
    tracks = tracks_by_id(r.track_id for r in rows if r.track_id)
    return [(r, tracks.get(r.track_id) if r.track_id else None) for r in rows]
