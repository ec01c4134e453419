"""Keeping the analytics rollups up to date from the ledger.

``update()`` reads what the ledger recorded since its last run - counted plays
(``ledger_plays``) and transfers with their postings (``ledger_transfers``) - and adds it to
the rollups (``app.analytics.models``). It runs as a queued job (``analytics.rollups``, every
minute) and from ``flask analytics update``; ``rebuild()`` (``flask analytics rebuild``)
empties the rollups and reads the whole ledger again.

Correctness under concurrency:

* Runs are serialised: each run first takes a transaction-level advisory lock with
  ``pg_try_advisory_xact_lock``; a run that finds it taken returns at once (the running
  one does the work). Everything a
  run writes, cursors included, commits together, so a crashed run leaves nothing half-read.
* A cursor per source holds the highest id read. Ids are handed out when rows are inserted
  but become visible only at commit, so a run can see id 105 while 104 is still being
  written. Each id skipped below the cursor is remembered as a *gap* and looked up again on
  later runs; a gap still missing after ``GAP_RETENTION`` was a rolled-back insert and is
  forgotten. So every committed row is read exactly once.

What counts (documented in README "Analytics"): a *counted play* is any ledger play (charged,
free track, owned track) except an artist playing their own track, which is left out of
every figure. Earnings are the artist's and the co-op's parts of play charges and buy-nows,
net of corrections, on the day of each transfer; their EUR value uses the credit price of the
pricing version each charge was made under (a correction: the version of what it corrects).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, literal_column, select, text, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, aliased

from app.accounts.models import User
from app.analytics.models import (
    ArtistCountry,
    ArtistDay,
    ArtistListener,
    CoopDay,
    Cursor,
    Funnel,
    Gap,
    MoneyDay,
    TrackDay,
    TrackListener,
)
from app.analytics.services import listener_sets
from app.analytics.services.rollup_rebuild import clear, rebuild_all  # noqa: F401 (clear: rollups.clear is its API)
from app.catalog.models import Release, Track
from app.core.extensions import db
from app.core.types import utcnow
from app.streaming.models import PreviewPlay
from ledger.schema import Account, AccountKind, Play, PlayKind, Posting, PricingVersion, Transfer, TransferKind

BATCH = 20_000
GAP_RETENTION = timedelta(minutes=15)  # no ledger transaction stays open this long
MAX_GAPS_PER_RUN = 10_000
_LOCK_KEY = 0x456E636F7265  # "Encore": the advisory lock of the rollup job

# Figures of a day row, in the order the accumulator keeps them.
FIGURES = (
    "plays",
    "charged_plays",
    "first_plays",
    "artist_micro",
    "coop_micro",
    "artist_value",
    "coop_value",
    "buy_nows",
    "buy_now_micro",
    "previews",
)
_I = {name: i for i, name in enumerate(FIGURES)}


def funnel_stage(stage: int, owned: bool) -> int | None:
    """The funnel bucket of a listener's state with a track: 0 owners, n at play n, None
    when they have paid nothing for it (a free track)."""
    if owned:
        return 0
    return stage if stage >= 1 else None


@dataclass
class Summary:
    """What one run read."""

    plays: int = 0
    transfers: int = 0
    previews: int = 0
    gaps_open: int = 0
    skipped: bool = False  # another run held the lock

    def add(self, other: "Summary") -> None:
        self.plays += other.plays
        self.transfers += other.transfers
        self.previews += other.previews
        self.gaps_open = other.gaps_open


@dataclass
class _Batch:
    """Deltas gathered from a batch of ledger rows, written in one go by ``_write``."""

    track_days: dict = field(default_factory=lambda: defaultdict(lambda: [0] * len(FIGURES)))
    artist_days: dict = field(default_factory=lambda: defaultdict(lambda: [0] * len(FIGURES)))
    coop_days: dict = field(default_factory=lambda: defaultdict(lambda: [0] * len(FIGURES)))
    track_day_listeners: dict = field(default_factory=lambda: defaultdict(set))
    artist_day_listeners: dict = field(default_factory=lambda: defaultdict(set))
    coop_day_listeners: dict = field(default_factory=lambda: defaultdict(set))
    track_artist: dict = field(default_factory=dict)
    money: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    # (track, listener) -> [artist, plays delta, max stage seen, owned seen]
    pairs: dict = field(default_factory=dict)

    def figures(self, track_id, artist_id, day, values: dict, listener_id=None) -> None:
        self.track_artist[track_id] = artist_id
        for target, key in (
            (self.track_days, (track_id, day)),
            (self.artist_days, (artist_id, day)),
            (self.coop_days, day),
        ):
            row = target[key]
            for name, value in values.items():
                row[_I[name]] += value
        if listener_id is not None:
            self.track_day_listeners[(track_id, day)].add(listener_id)
            self.artist_day_listeners[(artist_id, day)].add(listener_id)
            self.coop_day_listeners[day].add(listener_id)

    def pair(self, track_id, listener_id, artist_id, *, plays=0, stage=0, owned=False) -> None:
        entry = self.pairs.get((track_id, listener_id))
        if entry is None:
            self.pairs[(track_id, listener_id)] = [artist_id, plays, stage, owned]
        else:
            entry[1] += plays
            entry[2] = max(entry[2], stage)
            entry[3] = entry[3] or owned


class _Versions:
    """Pricing versions by id (few rows; read once per run)."""

    def __init__(self) -> None:
        rows = db.session.execute(
            select(PricingVersion.id, PricingVersion.credit_price_cents, PricingVersion.plays_to_own)
        )
        self.cents = {}
        self.plays_to_own = {}
        for row in rows:
            self.cents[row.id] = row.credit_price_cents
            self.plays_to_own[row.id] = row.plays_to_own


# --- running ----------------------------------------------------------------------------------


def _try_lock() -> bool:
    return bool(db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _LOCK_KEY}))


def update(*, max_batches: int | None = None) -> Summary:
    """Read everything new in the ledger into the rollups, in batches of ``BATCH`` rows per
    source (at most ``max_batches`` each). Flushes; the caller commits. Idempotent: a second
    run reads nothing twice."""
    summary = Summary()
    if not _try_lock():
        summary.skipped = True
        return summary
    versions = _Versions()
    for source, read in (("plays", _read_plays), ("transfers", _read_transfers), ("previews", _read_previews)):
        cursor = _cursor(source)
        batch = _Batch()
        count = _read_gaps(source, read, batch, versions)
        if count:
            _write(batch)
            batch = _Batch()
        done = 0
        while max_batches is None or done < max_batches:
            read_count, last_id, last_at = _read_next(source, read, cursor.position, batch, versions)
            if read_count == 0:
                break
            _write(batch)
            batch = _Batch()
            cursor.position = last_id
            cursor.last_event_at = last_at
            cursor.updated_at = utcnow()
            count += read_count
            done += 1
        setattr(summary, source, count)
    db.session.execute(delete(Gap).where(Gap.noticed_at < utcnow() - GAP_RETENTION))
    db.session.flush()
    summary.gaps_open = db.session.scalar(select(func.count()).select_from(Gap))
    return summary


def run_until_current(checkpoint=None, progress=None) -> Summary:
    """Run ``update`` batch by batch until nothing is left, calling ``checkpoint`` after each
    batch: the CLI passes ``db.session.commit`` (short transactions, visible progress). Flushes;
    without a checkpoint the caller commits the whole run."""
    total = Summary()
    while True:
        step = update(max_batches=1)
        if checkpoint is not None:
            checkpoint()
        total.add(step)
        if progress is not None:
            progress(total)
        if step.skipped or (step.plays == 0 and step.transfers == 0 and step.previews == 0):
            return total


def rebuild(progress=None, checkpoint=None) -> Summary:
    """Recompute every rollup from the whole ledger, in bulk (see
    ``app.analytics.services.rollup_rebuild``); then read anything newer incrementally.
    ``checkpoint`` (the CLI's ``db.session.commit``) is called after the bulk step and after
    each incremental batch; flushes, the caller commits."""
    if not _try_lock():
        raise RuntimeError("a rollup job is running; try again when it has finished")
    done = rebuild_all(progress=progress)
    if checkpoint is not None:
        checkpoint()
    summary = run_until_current(checkpoint=checkpoint)
    summary.plays += done["plays"]
    summary.transfers += done["transfers"]
    return summary


# --- cursors and gaps -------------------------------------------------------------------------


def _cursor(source: str) -> Cursor:
    cursor = db.session.get(Cursor, source)
    if cursor is None:
        cursor = Cursor(source=source, position=0, updated_at=utcnow())
        db.session.add(cursor)
        db.session.flush()
    return cursor


def cursors(session: Session | None = None) -> dict[str, Cursor]:
    """The cursors by source (what the rollups include), read through ``session`` (default:
    the primary's)."""
    return {c.source: c for c in (session or db.session).scalars(select(Cursor))}


def _read_next(source, read, position: int, batch: _Batch, versions) -> tuple[int, int, object]:
    """Read the next batch after ``position``; remember skipped ids as gaps."""
    ids, last_at = read(batch, versions, after=position, limit=BATCH)
    if not ids:
        return 0, position, None
    last_id = max(ids)
    if last_id - position > len(ids):
        seen = set(ids)
        missing = [i for i in range(position + 1, last_id) if i not in seen][:MAX_GAPS_PER_RUN]
        now = utcnow()
        db.session.add_all([Gap(source=source, item_id=i, noticed_at=now) for i in missing])
    return len(ids), last_id, last_at


def _read_gaps(source, read, batch: _Batch, versions) -> int:
    """Read the rows of earlier gaps that have become visible since."""
    gaps = list(db.session.scalars(select(Gap.item_id).where(Gap.source == source)))
    if not gaps:
        return 0
    ids, _ = read(batch, versions, only=gaps)
    if ids:
        db.session.execute(delete(Gap).where(Gap.source == source, Gap.item_id.in_(ids)))
    return len(ids)


# --- reading the ledger -----------------------------------------------------------------------


def _window(query, id_column, *, after, limit, only):
    """Rows ``only`` (earlier gaps), or the next ``limit`` rows after the cursor ``after``."""
    if only is not None:
        return query.where(id_column.in_(only))
    return query.where(id_column > after).order_by(id_column).limit(limit)


def _read_plays(batch: _Batch, versions: _Versions, *, after=None, limit=None, only=None):
    query = select(
        Play.id,
        Play.listener_id,
        Play.track_id,
        Play.artist_id,
        Play.kind,
        Play.play_number,
        Play.artist_part,
        Play.coop_part,
        Play.pricing_version_id,
        Play.created_at,
    )
    ids, last_at = [], None
    for p in db.session.execute(_window(query, Play.id, after=after, limit=limit, only=only)):
        ids.append(p.id)
        last_at = p.created_at
        if p.kind is PlayKind.OWN_ARTIST:
            continue
        day = p.created_at.date()
        values = {"plays": 1}
        stage, owned = 0, p.kind is PlayKind.OWNED
        if p.kind is PlayKind.CHARGED:
            cents = versions.cents[p.pricing_version_id]
            values.update(
                charged_plays=1,
                first_plays=int(p.play_number == 1),
                artist_micro=p.artist_part,
                coop_micro=p.coop_part,
                artist_value=p.artist_part * cents,
                coop_value=p.coop_part * cents,
            )
            stage = p.play_number
            owned = p.play_number == versions.plays_to_own[p.pricing_version_id]
        batch.figures(p.track_id, p.artist_id, day, values, listener_id=p.listener_id)
        batch.pair(p.track_id, p.listener_id, p.artist_id, plays=1, stage=stage, owned=owned)
    return ids, last_at


_TRACK_KINDS = (TransferKind.BUY_NOW, TransferKind.CORRECTION)


def _read_transfers(batch: _Batch, versions: _Versions, *, after=None, limit=None, only=None):
    if only is not None:
        id_filter = Transfer.id.in_(only)
    else:
        upto = db.session.scalar(
            select(func.max(Transfer.id)).where(
                Transfer.id.in_(select(Transfer.id).where(Transfer.id > after).order_by(Transfer.id).limit(limit))
            )
        )
        if upto is None:
            return [], None
        id_filter = Transfer.id.between(after + 1, upto)
    corrected = aliased(Transfer)
    rows = db.session.execute(
        select(
            Transfer.id,
            Transfer.kind,
            Transfer.listener_id,
            Transfer.track_id,
            Transfer.created_at,
            Transfer.effective_at,
            func.coalesce(Transfer.pricing_version_id, corrected.pricing_version_id).label("version_id"),
            Posting.amount,
            Account.kind.label("account_kind"),
            Account.owner_id,
        )
        .join(Posting, Posting.transfer_id == Transfer.id)
        .join(Account, Account.id == Posting.account_id)
        .outerjoin(corrected, corrected.id == Transfer.corrects_transfer_id)
        .where(id_filter)
        .order_by(Transfer.id)
    ).all()
    artists = _artists_of({r.track_id for r in rows if r.track_id is not None and r.kind in _TRACK_KINDS})
    ids, last_at = [], None
    current = None
    per_transfer: list = []

    def finish(legs):
        first = legs[0]
        day = first.effective_at.date()  # a play charge counts on the day the play started
        for leg in legs:
            money = batch.money[(day, leg.kind.value, leg.account_kind.value)]
            money[0] += leg.amount
            money[1] += 1
        if first.kind not in _TRACK_KINDS or first.track_id is None:
            return
        artist_id = artists.get(first.track_id)
        if artist_id is None:  # the track is gone from the catalog: use the credited artist
            artist_id = next((leg.owner_id for leg in legs if leg.account_kind is AccountKind.ARTIST_EARNINGS), None)
        if artist_id is None:
            return
        cents = versions.cents.get(first.version_id) or 0
        artist_part = sum(leg.amount for leg in legs if leg.account_kind is AccountKind.ARTIST_EARNINGS)
        coop_part = sum(leg.amount for leg in legs if leg.account_kind is AccountKind.COOP_REVENUE)
        values = {
            "artist_micro": artist_part,
            "coop_micro": coop_part,
            "artist_value": artist_part * cents,
            "coop_value": coop_part * cents,
        }
        if first.kind is TransferKind.BUY_NOW:
            paid = -sum(leg.amount for leg in legs if leg.account_kind is AccountKind.WALLET)
            values.update(buy_nows=1, buy_now_micro=paid)
            batch.pair(first.track_id, first.listener_id, artist_id, owned=True)
        batch.figures(first.track_id, artist_id, day, values)

    for row in rows:
        if current is not None and row.id != current:
            finish(per_transfer)
            per_transfer = []
        if row.id != current:
            ids.append(row.id)
            last_at = row.created_at
        current = row.id
        per_transfer.append(row)
    if per_transfer:
        finish(per_transfer)
    return ids, last_at


def _read_previews(batch: _Batch, versions: _Versions, *, after=None, limit=None, only=None):
    """Previews played (the streaming layer records them): a figure per track-day, no listener
    (a preview is not a counted play, and visitors have no id)."""
    query = (
        select(PreviewPlay.id, PreviewPlay.track_id, PreviewPlay.at, Release.artist_id)
        .join(Track, Track.id == PreviewPlay.track_id)
        .join(Release, Release.id == Track.release_id)
    )
    ids, last_at = [], None
    for p in db.session.execute(_window(query, PreviewPlay.id, after=after, limit=limit, only=only)):
        ids.append(p.id)
        last_at = p.at
        batch.figures(p.track_id, p.artist_id, p.at.date(), {"previews": 1})
    return ids, last_at


def _artists_of(track_ids: set[int]) -> dict[int, int]:
    if not track_ids:
        return {}
    rows = db.session.execute(
        select(Track.id, Release.artist_id).join(Release, Release.id == Track.release_id).where(Track.id.in_(track_ids))
    )
    return {row.id: row.artist_id for row in rows}


# --- writing the rollups ----------------------------------------------------------------------


def _insert(model):
    return postgresql.insert(model.__table__)


def _chunks(items: list, size: int = 2_000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert_days(model, keys: tuple[str, ...], deltas: dict, listeners: dict, extra=None) -> None:
    """Add ``deltas`` (key -> figures) and ``listeners`` (key -> ids) to the day rows of
    ``model``: read the existing rows, add in Python, write back with one upsert."""
    if not deltas:
        return
    table = model.__table__
    key_columns = [table.c[k] for k in keys]
    wanted = list(deltas)
    existing = {}
    for chunk in _chunks(wanted):
        match = key_columns[0].in_(chunk) if len(keys) == 1 else tuple_(*key_columns).in_(chunk)
        for row in db.session.execute(select(table).where(match)):
            key = getattr(row, keys[0]) if len(keys) == 1 else tuple(getattr(row, k) for k in keys)
            existing[key] = row
    out = []
    for key, delta in deltas.items():
        old = existing.get(key)
        values = dict(zip(keys, (key,) if len(keys) == 1 else key, strict=True))
        for name, value in zip(FIGURES, delta, strict=True):
            values[name] = (getattr(old, name) if old is not None else 0) + value
        added = listeners.get(key)
        old_blob = old.listeners if old is not None else b""
        values["listeners"] = listener_sets.add(old_blob, added) if added else old_blob
        if extra:
            values.update(extra(key))
        out.append(values)
    _upsert(model, keys, out)


def _upsert(model, keys, rows: list[dict]) -> None:
    if not rows:
        return
    for chunk in _chunks(rows):
        statement = _insert(model)
        columns = [c for c in chunk[0] if c not in keys]
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={c: statement.excluded[c] for c in columns}
        )
        db.session.execute(statement, chunk)


def _write(batch: _Batch) -> None:
    _upsert_days(
        TrackDay,
        ("track_id", "day"),
        batch.track_days,
        batch.track_day_listeners,
        extra=lambda key: {"artist_id": batch.track_artist[key[0]]},
    )
    _upsert_days(ArtistDay, ("artist_id", "day"), batch.artist_days, batch.artist_day_listeners)
    _upsert_days(CoopDay, ("day",), batch.coop_days, batch.coop_day_listeners)
    _write_money(batch.money)
    _write_pairs(batch.pairs)


def _write_money(money: dict) -> None:
    if not money:
        return
    statement = _insert(MoneyDay)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "transfer_kind", "account_kind"],
        set_={
            "amount": MoneyDay.__table__.c.amount + statement.excluded.amount,
            "postings": MoneyDay.__table__.c.postings + statement.excluded.postings,
        },
    )
    rows = [
        {"day": day, "transfer_kind": tk, "account_kind": ak, "amount": amount, "postings": count}
        for (day, tk, ak), (amount, count) in money.items()
    ]
    for chunk in _chunks(rows):
        db.session.execute(statement, chunk)


def _write_pairs(pairs: dict) -> None:
    """Apply listener-track states: new totals, funnel moves, artist-listener totals."""
    if not pairs:
        return
    table = TrackListener.__table__
    existing = {}
    for chunk in _chunks(list(pairs)):
        rows = db.session.execute(select(table).where(tuple_(table.c.track_id, table.c.listener_id).in_(chunk)))
        existing.update({(r.track_id, r.listener_id): r for r in rows})
    funnel: dict = defaultdict(int)
    funnel_artist: dict = {}
    artist_pairs: dict = defaultdict(lambda: [0, 0])
    out = []
    for (track_id, listener_id), (artist_id, plays, stage, owned) in pairs.items():
        old = existing.get((track_id, listener_id))
        old_plays, old_stage, old_owned = (old.plays, old.stage, old.owned) if old is not None else (0, 0, False)
        new_stage, new_owned = max(old_stage, stage), old_owned or owned
        before, after = (
            funnel_stage(old_stage, old_owned) if old is not None else None,
            funnel_stage(new_stage, new_owned),
        )
        if before != after:
            if before is not None:
                funnel[(track_id, before)] -= 1
            if after is not None:
                funnel[(track_id, after)] += 1
            funnel_artist[track_id] = artist_id
        totals = artist_pairs[(artist_id, listener_id)]
        totals[0] += plays
        totals[1] += int(new_owned and not old_owned)
        out.append(
            {
                "track_id": track_id,
                "listener_id": listener_id,
                "artist_id": artist_id,
                "plays": old_plays + plays,
                "stage": new_stage,
                "owned": new_owned,
            }
        )
    _upsert(TrackListener, ("track_id", "listener_id"), out)

    funnel_rows = [
        {"track_id": t, "stage": s, "artist_id": funnel_artist[t], "listeners": n} for (t, s), n in funnel.items() if n
    ]
    if funnel_rows:
        statement = _insert(Funnel)
        statement = statement.on_conflict_do_update(
            index_elements=["track_id", "stage"],
            set_={"listeners": Funnel.__table__.c.listeners + statement.excluded.listeners},
        )
        for chunk in _chunks(funnel_rows):
            db.session.execute(statement, chunk)

    listener_rows = [
        {"artist_id": a, "listener_id": who, "plays": p, "owned": o} for (a, who), (p, o) in artist_pairs.items()
    ]
    statement = _insert(ArtistListener)
    statement = statement.on_conflict_do_update(
        index_elements=["artist_id", "listener_id"],
        set_={
            "plays": ArtistListener.__table__.c.plays + statement.excluded.plays,
            "owned": ArtistListener.__table__.c.owned + statement.excluded.owned,
        },
    )
    for chunk in _chunks(listener_rows):
        db.session.execute(statement, chunk)
    _recount_countries({artist_id for (artist_id, _listener) in artist_pairs})


def _recount_countries(artist_ids: set[int]) -> None:
    """Recount the listeners per country of these artists, from the listeners' profiles now."""
    for chunk in _chunks(sorted(artist_ids)):
        db.session.execute(delete(ArtistCountry).where(ArtistCountry.artist_id.in_(chunk)))
        country = func.coalesce(User.country, literal_column("''"))
        rows = db.session.execute(
            select(ArtistListener.artist_id, country, func.count())
            .join(User, User.id == ArtistListener.listener_id)
            .where(ArtistListener.artist_id.in_(chunk), ArtistListener.plays > 0)
            .group_by(ArtistListener.artist_id, country)
        ).all()
        if rows:
            db.session.execute(
                _insert(ArtistCountry), [{"artist_id": a, "country": c, "listeners": n} for a, c, n in rows]
            )


def today() -> date:
    return utcnow().date()
