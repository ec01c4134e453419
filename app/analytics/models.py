"""Analytics rollups: figures per track per day (and per artist, and for the whole co-op),
kept up to date from the ledger by a queued job (``app.analytics.services.rollups``).

Nothing here is the truth: the ledger is. Every table can be dropped and rebuilt from it
(``flask analytics rebuild``); a test checks the rollups equal a full recount.

Units: credits in integer micro-credits; ``*_value`` columns hold the same amounts in
*micro-cents* (micro-credits x the EUR cents one credit cost under the charge's pricing
version), summed exactly as integers and rounded to cents only for display.

Unique listeners are exact. Each day row carries the set of listener ids seen that day
(``listeners``, encoded by ``app.analytics.services.listener_sets``: a sorted id array when small, a
bitmap when large). Unique listeners over a date range is the size of the union of the
day sets, so the cost is bounded by the number of days and of listeners, never by plays.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.core.types import UTCDateTime, utcnow


class _DayFigures:
    """Columns shared by the per-track, per-artist and co-op day rows."""

    plays: Mapped[int] = mapped_column(Integer, default=0)  # counted plays, charged or free
    charged_plays: Mapped[int] = mapped_column(Integer, default=0)
    first_plays: Mapped[int] = mapped_column(Integer, default=0)  # charged plays numbered 1
    artist_micro: Mapped[int] = mapped_column(BigInteger, default=0)  # artist part, net of corrections
    coop_micro: Mapped[int] = mapped_column(BigInteger, default=0)  # co-op part, net of corrections
    artist_value: Mapped[int] = mapped_column(BigInteger, default=0)  # micro-cents
    coop_value: Mapped[int] = mapped_column(BigInteger, default=0)  # micro-cents
    buy_nows: Mapped[int] = mapped_column(Integer, default=0)
    buy_now_micro: Mapped[int] = mapped_column(BigInteger, default=0)  # what the buy-nows cost
    previews: Mapped[int] = mapped_column(Integer, default=0)  # previews played (streaming)
    listeners: Mapped[bytes] = mapped_column(LargeBinary, default=b"")  # encoded listener id set


class TrackDay(_DayFigures, db.Model):
    __tablename__ = "analytics_track_days"
    __table_args__ = (Index("ix_analytics_track_days_artist_id_day", "artist_id", "day"),)

    track_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    artist_id: Mapped[int] = mapped_column(Integer)


class ArtistDay(_DayFigures, db.Model):
    __tablename__ = "analytics_artist_days"

    artist_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class CoopDay(_DayFigures, db.Model):
    """The whole co-op's plays and listeners per day (active listeners per month)."""

    __tablename__ = "analytics_coop_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class MoneyDay(db.Model):
    """Every posting of a day, summed by the transfer's kind and the account's kind: the
    public books of a month are sums of these rows."""

    __tablename__ = "analytics_money_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    transfer_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # signed sum of postings
    postings: Mapped[int] = mapped_column(Integer, default=0)


class TrackListener(db.Model):
    """Where one listener stands with one track: counted plays, the highest play number
    charged (the funnel stage) and whether they own it. One row per pair, so bounded by
    listeners x tracks, not by plays."""

    __tablename__ = "analytics_track_listeners"

    track_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listener_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artist_id: Mapped[int] = mapped_column(Integer)
    plays: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[int] = mapped_column(Integer, default=0)  # highest play number charged
    owned: Mapped[bool] = mapped_column(Boolean, default=False)


class ArtistListener(db.Model):
    """One listener's totals with one artist (for listeners visible to artists, and countries)."""

    __tablename__ = "analytics_artist_listeners"

    artist_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listener_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plays: Mapped[int] = mapped_column(Integer, default=0)
    owned: Mapped[int] = mapped_column(Integer, default=0)  # tracks of the artist owned


class ArtistCountry(db.Model):
    """How many of an artist's listeners (anyone with a counted play) live in each country,
    from their profiles ("" when unknown). Recounted for every artist the job touches, so a
    listener's change of country shows at the artist's next play; a rebuild recounts all."""

    __tablename__ = "analytics_artist_countries"

    artist_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    listeners: Mapped[int] = mapped_column(Integer, default=0)


class Funnel(db.Model):
    """How many listeners of a track are at each stage today: stage n = n plays charged and
    not owned (n >= 1), stage 0 = owners. (Listeners of a free track, who pay nothing, are
    in no stage.)"""

    __tablename__ = "analytics_funnel"
    __table_args__ = (Index("ix_analytics_funnel_artist_id", "artist_id"),)

    track_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[int] = mapped_column(Integer, primary_key=True)
    artist_id: Mapped[int] = mapped_column(Integer)
    listeners: Mapped[int] = mapped_column(Integer, default=0)


class Cursor(db.Model):
    """How far the rollup job has read a source (ledger plays, ledger transfers, ...)."""

    __tablename__ = "analytics_cursors"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)  # highest id read
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # newest row read


class Gap(db.Model):
    """An id below a cursor that was not visible when read: a row still being written by an
    open transaction (read later) or a rolled-back insert (forgotten after a while)."""

    __tablename__ = "analytics_gaps"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
