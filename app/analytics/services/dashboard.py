"""The artist dashboard: what an artist's tracks did over a date range, read from rollups.

Every figure comes from the rollup tables (``app.analytics.models``), never from scanning
plays, so the cost is bounded by days x tracks and by the number of listeners, whatever the
number of plays. Definitions:

* plays: counted plays (charged, free track, owned track); an artist's own plays are left out;
* unique listeners: distinct listeners with a counted play in the range (exact: the union of
  the day sets);
* earnings: the artist's part (and the co-op's) of play charges and buy-nows in the range, net
  of corrections; in EUR at the credit price of each charge's pricing version, rounded down
  to the cent once, on the total;
* funnel: where the listeners of the track(s) stand *today* - how many are at play 1..n, how
  many own it - whatever the range (for an artist: summed over its tracks, a listener counted
  once per track);
* countries and visible listeners: everyone who ever made a counted play of the track(s);
  a country with fewer than ``MIN_COUNTRY_LISTENERS`` listeners is folded into "other".

The figures are read through ``replica_session()``: from the streaming replica when one is
configured (a moment behind the primary), else from the primary. The artist and track the
request names are loaded from the primary, where the right to see them is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import func, select, true

from app.accounts.models import User
from app.analytics.models import ArtistCountry, ArtistDay, ArtistListener, Funnel, TrackDay, TrackListener
from app.analytics.services import listener_sets, rollups
from app.catalog.models import Artist, Release, Track
from app.core.converters import id_from_form
from app.core.errors import NotFound, ValidationFailed
from app.core.extensions import db
from app.core.replica import replica_session
from ledger.types import int_sum

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
MIN_COUNTRY_LISTENERS = 5
VISIBLE_LISTENERS_SHOWN = 100
OTHER = "other"
MICRO_CENTS_PER_CENT = 1_000_000


def eur(micro_cents: int) -> str:
    """Micro-cents as EUR text, rounded down to the cent: ``123_456_789`` -> ``"1.23"``."""
    cents = Decimal(micro_cents) / MICRO_CENTS_PER_CENT
    return str((cents / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN))


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


# Days a range may name: wide enough for any real query, narrow enough that the arithmetic on
# them (a default start 30 days back, the day after the end) stays inside Python's dates.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(9998, 12, 31)
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _parse_day(text: str | None, name: str) -> date | None:
    if text is None or text == "":
        return None
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"'{name}' must be a date like 2026-11-01.", field=name) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationFailed(f"'{name}' must be between {FIRST_DAY} and {LAST_DAY}.", field=name)
    return day


def parse_range(start_text: str | None, end_text: str | None, *, today: date | None = None) -> DateRange:
    """The range asked for (``from`` and ``to``, inclusive, YYYY-MM-DD); by default the last
    ``DEFAULT_RANGE_DAYS`` days up to today. At most ``MAX_RANGE_DAYS`` days."""
    today = today or rollups.today()
    end = _parse_day(end_text, "to") or today
    start = _parse_day(start_text, "from") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise ValidationFailed("'from' must not be after 'to'.", field="from")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(f"A range covers at most {MAX_RANGE_DAYS} days.", field="from")
    return DateRange(start, end)


@dataclass
class Totals:
    plays: int = 0
    charged_plays: int = 0
    first_plays: int = 0
    unique_listeners: int = 0
    artist_micro: int = 0
    coop_micro: int = 0
    artist_value: int = 0  # micro-cents
    coop_value: int = 0
    buy_nows: int = 0
    buy_now_micro: int = 0
    previews: int = 0


@dataclass
class DayRow:
    day: date
    plays: int = 0
    charged_plays: int = 0
    listeners: int = 0
    artist_micro: int = 0
    coop_micro: int = 0
    buy_nows: int = 0
    previews: int = 0


@dataclass
class TrackRow:
    track_id: int
    title: str
    plays: int = 0
    charged_plays: int = 0
    artist_micro: int = 0
    artist_value: int = 0
    buy_nows: int = 0
    previews: int = 0
    owners: int = 0  # today


@dataclass
class Dashboard:
    artist: Artist
    track: Track | None
    range: DateRange
    totals: Totals
    daily: list[DayRow]
    funnel: list[tuple[int, int]]  # (play number, listeners) for 1..n, then owners separately
    owners: int
    countries: list[tuple[str, int]]
    visible_listeners: list[dict]
    tracks: list[TrackRow] = field(default_factory=list)
    as_of: datetime | None = None  # the newest ledger play the rollups include


def track_of(artist: Artist, track_text: str | None) -> Track | None:
    """The artist's track named by a ``?track=`` value, None when absent, else 404."""
    if not track_text:
        return None
    track_id = id_from_form(track_text)  # 0 (no row) unless an id an INTEGER column can hold
    track = db.session.get(Track, track_id) if track_id else None
    if track is None or track.release.artist_id != artist.id:
        raise NotFound(f"{artist.name} has no track {track_text}.")
    return track


def artist_dashboard(artist: Artist, date_range: DateRange, track: Track | None = None) -> Dashboard:
    """Figures for ``artist`` (or one of its tracks) over ``date_range``."""
    if track is not None and track.release.artist_id != artist.id:
        raise ValidationFailed("That track is not this artist's.", field="track")
    model = TrackDay if track is not None else ArtistDay
    owner = model.track_id == track.id if track is not None else model.artist_id == artist.id
    rows = (
        replica_session()
        .execute(
            select(
                model.day,
                model.plays,
                model.charged_plays,
                model.first_plays,
                model.artist_micro,
                model.coop_micro,
                model.artist_value,
                model.coop_value,
                model.buy_nows,
                model.buy_now_micro,
                model.previews,
                model.listeners,
            ).where(owner, model.day.between(date_range.start, date_range.end))
        )
        .all()
    )
    totals = Totals()
    union = listener_sets.Union()
    by_day = {}
    for row in rows:
        for name in rollups.FIGURES:
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
        union.update(row.listeners)
        by_day[row.day] = DayRow(
            row.day,
            row.plays,
            row.charged_plays,
            listener_sets.union_size([row.listeners]),
            row.artist_micro,
            row.coop_micro,
            row.buy_nows,
            row.previews,
        )
    totals.unique_listeners = len(union)
    daily = [by_day.get(day) or DayRow(day) for day in date_range.days]

    stages, owners = _funnel(artist, track)
    cursor = rollups.cursors(replica_session()).get("plays")
    return Dashboard(
        artist=artist,
        track=track,
        range=date_range,
        totals=totals,
        daily=daily,
        funnel=stages,
        owners=owners,
        countries=_countries(artist, track),
        visible_listeners=_visible_listeners(artist, track),
        tracks=_track_rows(artist, date_range) if track is None else [],
        as_of=cursor.last_event_at if cursor is not None else None,
    )


def _funnel(artist: Artist, track: Track | None) -> tuple[list[tuple[int, int]], int]:
    where = Funnel.track_id == track.id if track is not None else Funnel.artist_id == artist.id
    counts = dict(
        replica_session()
        .execute(select(Funnel.stage, int_sum(Funnel.listeners)).where(where).group_by(Funnel.stage))
        .all()
    )
    owners = counts.pop(0, 0)
    top = max([9, *counts]) if counts else 9
    return [(n, counts.get(n, 0)) for n in range(1, top + 1)], owners


def fold_countries(counts: dict[str | None, int], minimum: int = MIN_COUNTRY_LISTENERS) -> list[tuple[str, int]]:
    """Countries by listeners, most first; those under ``minimum`` listeners (and listeners
    with no country) are summed into "other", listed last."""
    shown, other = [], 0
    for country, n in counts.items():
        if country is None or n < minimum:
            other += n
        else:
            shown.append((country, n))
    shown.sort(key=lambda item: (-item[1], item[0]))
    if other:
        shown.append((OTHER, other))
    return shown


def _countries(artist: Artist, track: Track | None) -> list[tuple[str, int]]:
    if track is None:  # kept counted by the rollup job (an artist may have all the listeners)
        rows = replica_session().execute(
            select(ArtistCountry.country, ArtistCountry.listeners).where(ArtistCountry.artist_id == artist.id)
        )
        return fold_countries({country or None: n for country, n in rows})
    query = (
        select(User.country, func.count())
        .join(TrackListener, TrackListener.listener_id == User.id)
        .where(TrackListener.track_id == track.id, TrackListener.plays > 0)
    )
    return fold_countries(dict(replica_session().execute(query.group_by(User.country)).all()))


def _visible_listeners(artist: Artist, track: Track | None) -> list[dict]:
    """Listeners who chose to be visible, with their plays and what they own, most plays
    first. Visibility is read live from the profile, so switching it off hides a listener at
    once (with a replica: once the replica has replayed it, a moment later). (The visible
    users come through a partial index; the planner joins them with the artist's or track's
    listener rows by primary key.)"""
    source = TrackListener if track is not None else ArtistListener
    scope = source.track_id == track.id if track is not None else source.artist_id == artist.id
    # Drive the join from the visible users, probing the listener rows by primary key: its
    # cost follows the number of visible users, whatever the artist's audience, and it
    # keeps that plan when psycopg prepares the statement. (OFFSET 0 stops the planner
    # from flattening the lateral subquery into a hash join over the whole audience.)
    mine = select(source.plays, source.owned).where(scope, source.listener_id == User.id).offset(0).lateral()
    query = (
        select(User.display_name, mine.c.plays, mine.c.owned)
        .select_from(User)
        .join(mine, true())
        .where(User.visible_to_artists.is_(True), mine.c.plays > 0)
        .order_by(mine.c.plays.desc(), User.display_name, User.id)
    )
    rows = replica_session().execute(query.limit(VISIBLE_LISTENERS_SHOWN))
    # ``owned``: tracks owned (artist view) or whether this track is owned (track view).
    return [
        {
            "display_name": r.display_name,
            "plays": r.plays,
            "owned": bool(r.owned) if track is not None else int(r.owned),
        }
        for r in rows
    ]


def _track_rows(artist: Artist, date_range: DateRange) -> list[TrackRow]:
    tracks = (
        replica_session()
        .execute(
            select(Track.id, Track.title)
            .join(Release, Release.id == Track.release_id)
            .where(Release.artist_id == artist.id)
        )
        .all()
    )
    rows = {t.id: TrackRow(t.id, t.title) for t in tracks}
    sums = replica_session().execute(
        select(
            TrackDay.track_id,
            int_sum(TrackDay.plays),
            int_sum(TrackDay.charged_plays),
            int_sum(TrackDay.artist_micro),
            int_sum(TrackDay.artist_value),
            int_sum(TrackDay.buy_nows),
            int_sum(TrackDay.previews),
        )
        .where(TrackDay.artist_id == artist.id, TrackDay.day.between(date_range.start, date_range.end))
        .group_by(TrackDay.track_id)
    )
    for track_id, plays, charged, artist_micro, artist_value, buy_nows, previews in sums:
        row = rows.setdefault(track_id, TrackRow(track_id, f"track {track_id}"))
        row.plays, row.charged_plays, row.artist_micro, row.artist_value = plays, charged, artist_micro, artist_value
        row.buy_nows, row.previews = buy_nows, previews
    owners = replica_session().execute(
        select(Funnel.track_id, Funnel.listeners).where(Funnel.artist_id == artist.id, Funnel.stage == 0)
    )
    for track_id, n in owners:
        if track_id in rows:
            rows[track_id].owners = n
    return sorted(rows.values(), key=lambda r: (-r.plays, -r.artist_micro, r.title, r.track_id))
