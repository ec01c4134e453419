"""What the studio shows for one artist: releases by state, uploads in progress, earnings."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.catalog import services as catalog
from app.catalog.models import Artist, Release, Track, TrackStatus
from app.core.extensions import db
from app.payments.services import payouts
from app.studio.services.releases import state_of

STATES = ("draft", "scheduled", "published")


@dataclass
class Studio:
    artist: Artist
    releases: dict[str, list[Release]] = field(default_factory=dict)  # by state, newest first
    in_progress: list[Track] = field(default_factory=list)  # processing or failed, newest first
    earnings: int = 0  # micro-credits earned and not yet paid out


def managed_artists(user: User) -> list[Artist]:
    """The artists whose studio ``user`` opens (the ones they manage; admins reach any other
    artist's studio from its page)."""
    if not user.is_authenticated:
        return []
    return list(user.artists)


def studio(artist: Artist) -> Studio:
    releases = list(
        db.session.scalars(
            select(Release)
            .where(Release.artist_id == artist.id)
            .options(selectinload(Release.tracks))
            .order_by(Release.release_date.desc().nulls_first(), Release.id.desc())
        )
    )
    today = catalog.today_utc()
    grouped: dict[str, list[Release]] = {state: [] for state in STATES}
    for release in releases:
        grouped[state_of(release, today).name].append(release)
    in_progress = list(
        db.session.scalars(
            select(Track)
            .join(Track.release)
            .where(
                Release.artist_id == artist.id,
                Track.status.in_((TrackStatus.PROCESSING, TrackStatus.FAILED)),
                Track.removed_at.is_(None),
            )
            .options(selectinload(Track.release))
            .order_by(Track.id.desc())
            .limit(100)
        )
    )
    return Studio(artist=artist, releases=grouped, in_progress=in_progress, earnings=payouts.earnings(artist))
