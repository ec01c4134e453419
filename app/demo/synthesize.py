"""Synthetic co-op data at scale: ``flask demo synthesize``.

Fills a migrated, empty database with listeners, artists, releases, tracks and months of
listening: a few popular artists and a long tail (Zipf), heavy and light listeners, play
numbers 1..n per listener and track, ownership after the schedule, some buy-nows. Every
credit moves through consistent double-entry transfers - a starter grant and a top-up per
listener, one charge per counted play, one transfer per buy-now - so ``flask ledger verify``
passes on the result.

Speed: rows are generated in one pass, listener by listener, and streamed with PostgreSQL
COPY (one connection per big table) with the big tables' secondary indexes and unique
constraints dropped during the load and rebuilt after it. The load runs with
``session_replication_role = replica`` (needs a superuser), which suspends triggers and
foreign-key checks: the rows are consistent by construction, and ``flask ledger verify``
checks afterwards every invariant the triggers guard.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text

from app.accounts.models import User
from app.catalog.models import Artist, Release, Track
from app.core.extensions import db
from app.governance.models import Membership
from ledger.accounts import account_ids
from ledger.allocation import split_charge
from ledger.pricing import play_price, remaining_cost
from ledger.schema import SYSTEM_OWNER, Account, AccountKind, Play, Posting, PricingVersion, Transfer
from ledger.transfers import fingerprint
from ledger.types import utcnow

DEMO_PASSWORD = "encore-demo"
COUNTRIES = [
    "FR",
    "DE",
    "GB",
    "ES",
    "IT",
    "NL",
    "BE",
    "PT",
    "SE",
    "PL",
    "US",
    "CA",
    "BR",
    "JP",
    "AU",
    "IE",
    "AT",
    "CH",
    "DK",
    "NO",
    "FI",
    "CZ",
    "GR",
    "MX",
    "AR",
    "IS",
    "EE",
    "LU",
    "MT",
    "NZ",
]
BIG_TABLES = ("ledger_plays", "ledger_transfers", "ledger_postings", "ledger_ownerships", "ledger_accounts")


@dataclass
class Options:
    listeners: int = 1_000
    tracks: int = 5_000
    plays: int = 100_000
    artists: int | None = None  # default: one per 10 tracks
    days: int = 180
    seed: int = 1
    artist_zipf: float = 1.1  # popularity of artists by rank
    track_zipf: float = 0.9  # popularity of an artist's tracks by rank
    buy_now_rate: float = 0.02  # share of listener-track pairs bought outright at some point
    visible_rate: float = 0.1
    member_rate: float = 0.03


@dataclass(frozen=True)
class _Version:
    id: int
    effective_from: datetime
    plays_to_own: int
    artist_share_bp: int
    starter_grant: int
    prices: list
    first_play_price: int
    growth_permille: int


@dataclass
class Report:
    counts: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


def artist_name(rank: int) -> str:
    """Synthetic artists are named by popularity rank (1 = most played): the benchmark picks
    a popular and a long-tail artist by name. Two made-up words (as varied as real names, so
    search sees a realistic spread of words) and the rank, which keeps names unique."""
    words = random.Random(f"artist-{rank}")
    return f"{_made_up_word(words).title()} {_made_up_word(words).title()} {rank}"


# Made-up words for titles: two or three syllables of these give ~70,000 distinct words, of
# which a catalogue uses a vocabulary of ``VOCABULARY`` (plus a few real ones), so a word is
# about as common as in real titles.
_SYLLABLES = [
    "ba",
    "ca",
    "da",
    "fe",
    "ga",
    "hi",
    "jo",
    "ka",
    "lu",
    "ma",
    "ne",
    "no",
    "pa",
    "ra",
    "se",
    "ta",
    "tu",
    "va",
    "wi",
    "zo",
    "el",
    "an",
    "or",
    "is",
    "um",
    "ar",
    "en",
    "ol",
    "ri",
    "sa",
    "mi",
    "ko",
    "la",
    "ve",
    "di",
    "ro",
    "be",
    "ni",
    "to",
    "mo",
]
VOCABULARY = 5_000
REAL_WORDS = [
    "harbour",
    "window",
    "salt",
    "light",
    "night",
    "river",
    "stone",
    "summer",
    "winter",
    "blue",
    "red",
    "golden",
    "silver",
    "paper",
    "glass",
    "fire",
    "water",
    "heart",
    "ghost",
    "dream",
    "morning",
    "ocean",
    "city",
    "road",
    "home",
    "wild",
    "quiet",
    "echo",
    "garden",
]
GENRES = [
    "ambient",
    "electronic",
    "techno",
    "house",
    "jazz",
    "soul",
    "funk",
    "folk",
    "indie",
    "rock",
    "post-rock",
    "metal",
    "punk",
    "pop",
    "hip-hop",
    "classical",
    "baroque",
    "drone",
    "experimental",
    "field-recording",
    "dub",
    "reggae",
    "blues",
    "country",
    "afrobeat",
    "cumbia",
    "synthwave",
    "shoegaze",
    "lo-fi",
    "trip-hop",
    "downtempo",
    "noise",
]


def _made_up_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3))))


class _Titles:
    """Release and track titles of one to three words from the catalogue's vocabulary, with
    their own random stream (the listening generated afterwards is the same with or without)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"titles-{seed}")
        self.words = sorted({_made_up_word(self.rng) for _ in range(VOCABULARY)}) + list(REAL_WORDS)

    def title(self) -> str:
        words = self.rng.choices(self.words, k=self.rng.choice((1, 2, 2, 3)))
        return " ".join(words).capitalize()

    def tags(self) -> list[str]:
        return sorted(set(self.rng.choices(GENRES, k=self.rng.choice((1, 2)))))


# --- writing rows -----------------------------------------------------------------------------


class _Sink:
    """Streams rows into tables with COPY, a connection per table."""

    def __init__(self) -> None:
        self.engine = db.engine
        self._open: dict[str, object] = {}
        self.counts: Counter = Counter()

    def writer(self, table: str, columns: tuple[str, ...]):
        if table in self._open:
            return self._open[table]
        raw = self.engine.raw_connection()
        conn = raw.driver_connection
        conn.execute("SET session_replication_role = replica")
        copy_cm = conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
        copy = copy_cm.__enter__()
        counts = self.counts

        class W:
            def row(self, values, _write=copy.write_row):
                counts[table] += 1
                _write(values)

            def close(self):
                copy_cm.__exit__(None, None, None)
                conn.commit()
                raw.close()

        writer = self._open[table] = W()
        return writer

    def close(self) -> None:
        for writer in self._open.values():
            writer.close()
        self._open.clear()


# --- indexes during the load ----------------------------------------------------------------


def _drop_secondary_indexes(conn) -> list[str]:
    """Drop the big tables' unique constraints and non-primary indexes; return the DDL that
    recreates them."""
    names = ", ".join(f"'{t}'" for t in BIG_TABLES)
    recreate = []
    constraints = conn.exec_driver_sql(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        f" WHERE contype = 'u' AND conrelid::regclass::text IN ({names})"
    ).all()
    for table, name, definition in constraints:
        conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        recreate.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    indexes = conn.exec_driver_sql(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        f" WHERE i.indrelid::regclass::text IN ({names}) AND NOT i.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
    ).all()
    for name, definition in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
        recreate.append(definition)
    return recreate


# --- the generator ----------------------------------------------------------------------------


def _zipf_weights(n: int, s: float) -> list[float]:
    return [1.0 / (rank**s) for rank in range(1, n + 1)]


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def synthesize(options: Options, progress=print) -> Report:
    """Generate the data described by ``options`` into the (empty) database. Commits."""
    if db.session.scalar(select(func.count()).select_from(Play)) or db.session.scalar(
        select(func.count()).select_from(User).where(User.email.like("synth-%"))
    ):
        raise ValueError("synthesize needs a database without plays or synthetic users (a fresh `flask db upgrade`)")
    rng = random.Random(options.seed)
    report = Report()
    started = time.monotonic()
    now = utcnow().replace(microsecond=0)
    window_start = now - timedelta(days=options.days)
    n_artists = options.artists or max(1, options.tracks // 10)

    versions = [
        _Version(
            v.id,
            v.effective_from,
            v.plays_to_own,
            v.artist_share_bp,
            v.starter_grant,
            [play_price(v, n) for n in range(1, v.plays_to_own + 1)],
            v.first_play_price,
            v.growth_permille,
        )
        for v in db.session.scalars(select(PricingVersion).order_by(PricingVersion.effective_from))
    ]
    version_starts = [v.effective_from for v in versions]
    schedules = {v.id: (v.prices, [split_charge(p, v.artist_share_bp) for p in v.prices]) for v in versions}

    def version_at(at: datetime) -> _Version:
        return versions[bisect.bisect_right(version_starts, at) - 1]

    # Ensure the co-op's own accounts exist (through the ledger, as in real life).
    system = account_ids(
        db.session,
        [
            (k, SYSTEM_OWNER)
            for k in (AccountKind.COOP_REVENUE, AccountKind.COOP_PROMOTIONS, AccountKind.PAYMENTS_CLEARING)
        ],
    )
    db.session.commit()
    coop_revenue = system[(AccountKind.COOP_REVENUE, SYSTEM_OWNER)]
    promotions = system[(AccountKind.COOP_PROMOTIONS, SYSTEM_OWNER)]
    clearing = system[(AccountKind.PAYMENTS_CLEARING, SYSTEM_OWNER)]

    ids = {
        name: _next_id(model)
        for name, model in (
            ("user", User),
            ("artist", Artist),
            ("release", Release),
            ("track", Track),
            ("membership", Membership),
            ("account", Account),
            ("transfer", Transfer),
            ("posting", Posting),
            ("play", Play),
        )
    }
    db.session.commit()  # hold no lock on the tables the load alters

    sink = _Sink()
    with db.engine.begin() as conn:
        recreate = _drop_secondary_indexes(conn)
    try:
        # --- catalog ---
        from app.accounts.services import _hasher

        password_hash = _hasher.hash(DEMO_PASSWORD)
        users = sink.writer(
            "users",
            (
                "id",
                "email",
                "password_hash",
                "display_name",
                "country",
                "role",
                "created_at",
                "visible_to_artists",
                "email_verified_at",
            ),
        )
        artists_w = sink.writer("artists", ("id", "name", "slug", "bio", "created_at"))
        members_w = sink.writer("artist_members", ("user_id", "artist_id", "created_at"))
        releases_w = sink.writer(
            "releases", ("id", "artist_id", "title", "kind", "release_date", "cover_key", "created_at", "published_at")
        )
        tracks_w = sink.writer(
            "tracks",
            ("id", "release_id", "title", "position", "duration_ms", "status", "status_reason", "free", "created_at"),
        )
        tags_w = sink.writer("release_tags", ("release_id", "tag"))
        accounts_w = sink.writer("ledger_accounts", ("id", "kind", "owner_id", "balance", "created_at"))
        joined = window_start - timedelta(days=30)
        titles = _Titles(options.seed)

        # Tracks per artist: popular artists have more (weights ~ rank^-0.3: ~110 for the top one of
        # 10,000 artists with 100,000 tracks), at least one each.
        shares = _zipf_weights(n_artists, 0.3)
        total_share = sum(shares)
        per_artist = [max(1, int(options.tracks * s / total_share)) for s in shares]
        excess = sum(per_artist) - options.tracks
        index = n_artists - 1
        while excess > 0:  # trim from the tail, never below one track
            take = min(excess, per_artist[index] - 1)
            per_artist[index] -= take
            excess -= take
            index = (index - 1) % n_artists
        while excess < 0:
            per_artist[-excess % n_artists] += 1
            excess += 1

        artist_ids, artist_account, track_ids, track_artist, track_weights = [], {}, [], [], []
        artist_popularity = _zipf_weights(n_artists, options.artist_zipf)
        user_id, release_id, track_id, account_id = ids["user"], ids["release"], ids["track"], ids["account"]
        for rank in range(1, n_artists + 1):
            artist_id = ids["artist"] + rank - 1
            name = artist_name(rank)
            artists_w.row((artist_id, name, f"synth-artist-{rank:06d}", "", joined))
            users.row(
                (
                    user_id,
                    f"synth-artist-{rank}@encore.test",
                    password_hash,
                    name,
                    rng.choice(COUNTRIES),
                    "artist",
                    joined,
                    False,
                    joined,
                )
            )
            members_w.row((user_id, artist_id, joined))
            user_id += 1
            accounts_w.row((account_id, "artist_earnings", artist_id, None, joined))
            artist_account[artist_id] = account_id
            account_id += 1
            artist_ids.append(artist_id)
            count = per_artist[rank - 1]
            within = _zipf_weights(count, options.track_zipf)
            within_total = sum(within)
            for position in range(count):
                if position % 10 == 0:
                    releases_w.row(
                        (
                            release_id,
                            artist_id,
                            titles.title(),
                            "album",
                            (joined - timedelta(days=rng.randrange(900))).date(),
                            None,
                            joined,
                            joined,  # published when made: a synthetic catalogue is a public one
                        )
                    )
                    for tag in titles.tags():
                        tags_w.row((release_id, tag))
                    release_id += 1
                tracks_w.row(
                    (
                        track_id,
                        release_id - 1,
                        titles.title(),
                        position % 10 + 1,
                        rng.randrange(120_000, 360_000),
                        "ready",
                        None,
                        False,
                        joined,
                    )
                )
                track_ids.append(track_id)
                track_artist.append(artist_id)
                track_weights.append(artist_popularity[rank - 1] * within[position] / within_total)
                track_id += 1
        cumulative = list(itertools.accumulate(track_weights))
        report.seconds["catalog"] = time.monotonic() - started
        progress(f"catalog: {n_artists} artists, {len(track_ids)} tracks")

        # --- listeners and their listening ---
        transfers_w = sink.writer(
            "ledger_transfers",
            (
                "id",
                "idempotency_key",
                "fingerprint",
                "kind",
                "listener_id",
                "track_id",
                "pricing_version_id",
                "corrects_transfer_id",
                "memo",
                "created_at",
                "effective_at",
            ),
        )
        postings_w = sink.writer("ledger_postings", ("id", "transfer_id", "account_id", "amount"))
        plays_w = sink.writer(
            "ledger_plays",
            (
                "id",
                "idempotency_key",
                "fingerprint",
                "listener_id",
                "track_id",
                "artist_id",
                "kind",
                "play_number",
                "price",
                "artist_part",
                "coop_part",
                "transfer_id",
                "pricing_version_id",
                "created_at",
            ),
        )
        owners_w = sink.writer(
            "ledger_ownerships",
            ("listener_id", "track_id", "artist_id", "via", "transfer_id", "pricing_version_id", "paid", "acquired_at"),
        )
        memberships_w = sink.writer(
            "memberships",
            (
                "id",
                "user_id",
                "member_class",
                "source",
                "reference",
                "started_at",
                "ended_at",
                "end_reason",
                "recorded_by_id",
                "created_at",
            ),
        )
        activity = [rng.lognormvariate(0, 1) for _ in range(options.listeners)]
        scale = options.plays / sum(activity)
        quotas = [int(a * scale) for a in activity]
        for i in rng.sample(range(options.listeners), options.plays - sum(quotas)):
            quotas[i] += 1
        transfer_id, posting_id, play_id, membership_id = (
            ids["transfer"],
            ids["posting"],
            ids["play"],
            ids["membership"],
        )
        window = (now - window_start).total_seconds() - 120
        grant_version = version_at(joined)
        t0 = time.monotonic()
        for index, quota in enumerate(quotas):
            listener = user_id
            user_id += 1
            country = rng.choice(COUNTRIES) if rng.random() < 0.95 else None
            users.row(
                (
                    listener,
                    f"synth-listener-{index + 1}@encore.test",
                    password_hash,
                    f"Listener {index + 1}",
                    country,
                    "listener",
                    joined,
                    rng.random() < options.visible_rate,
                    joined,
                )
            )
            if rng.random() < options.member_rate:
                started_at = window_start + timedelta(seconds=rng.random() * window)
                memberships_w.row(
                    (
                        membership_id,
                        listener,
                        "listener",
                        "admin_record",
                        f"synth-share-{listener}",
                        started_at,
                        None,
                        None,
                        None,
                        started_at,
                    )
                )
                membership_id += 1
            wallet = account_id
            account_id += 1
            first_at = window_start + timedelta(seconds=rng.random() * window * 0.2)
            spent = 0
            plays, charges, legs, owned_rows = [], [], [], []
            counts = Counter(rng.choices(range(len(track_ids)), cum_weights=cumulative, k=quota))
            for t_index, n in counts.items():
                track, artist = track_ids[t_index], track_artist[t_index]
                span = (now - first_at).total_seconds() - 60
                times = sorted(first_at + timedelta(seconds=rng.random() * span) for _ in range(n))
                play_fp = fingerprint("play", listener, track, artist, False, False)
                buy_after = rng.randint(1, min(n - 1, 8)) if n >= 2 and rng.random() < options.buy_now_rate else None
                owned = False
                for number, at in enumerate(times, 1):
                    key = f"synth-play-{play_id}"
                    if owned:
                        plays.append(
                            (play_id, key, play_fp, listener, track, artist, "owned", None, 0, 0, 0, None, None, at)
                        )
                        play_id += 1
                        continue
                    version = version_at(at)
                    prices, splits = schedules[version.id]
                    price = prices[number - 1]
                    artist_part, coop_part = splits[number - 1]
                    charges.append(
                        (transfer_id, "play:" + key, play_fp, "play_charge", listener, track, version.id, None, "", at)
                    )
                    legs += [(wallet, -price), (artist_account[artist], artist_part), (coop_revenue, coop_part)]
                    plays.append(
                        (
                            play_id,
                            key,
                            play_fp,
                            listener,
                            track,
                            artist,
                            "charged",
                            number,
                            price,
                            artist_part,
                            coop_part,
                            transfer_id,
                            version.id,
                            at,
                        )
                    )
                    spent += price
                    if number == version.plays_to_own:
                        owned_rows.append((listener, track, artist, "plays", transfer_id, version.id, 0, at))
                        owned = True
                    transfer_id += 1
                    play_id += 1
                    if buy_after == number and not owned:
                        bought_at = at + timedelta(seconds=30)
                        version = version_at(bought_at)
                        price = remaining_cost(version, number)
                        artist_part, coop_part = split_charge(price, version.artist_share_bp)
                        buy_fp = fingerprint("buy_now", listener, track, artist, False, False)
                        charges.append(
                            (
                                transfer_id,
                                f"synth-buy:{listener}:{track}",
                                buy_fp,
                                "buy_now",
                                listener,
                                track,
                                version.id,
                                None,
                                "",
                                bought_at,
                            )
                        )
                        legs += [(wallet, -price), (artist_account[artist], artist_part), (coop_revenue, coop_part)]
                        owned_rows.append(
                            (listener, track, artist, "buy_now", transfer_id, version.id, price, bought_at)
                        )
                        spent += price
                        transfer_id += 1
                        owned = True

            # Money in first: the starter grant, then a top-up covering the listening, rounded
            # up to whole 5 credits (so the wallet never goes below zero at any moment).
            grant = grant_version.starter_grant
            top_up = max(5_000_000, -(-(spent - grant + 1_000_000) // 5_000_000) * 5_000_000)
            money_at = first_at - timedelta(hours=1)
            grant_legs = ((promotions, -grant), (wallet, grant))
            transfers_w.row(
                (
                    transfer_id,
                    f"starter-grant:{listener}",
                    fingerprint("starter_grant", listener),
                    "starter_grant",
                    listener,
                    None,
                    grant_version.id,
                    None,
                    "",
                    money_at,
                    money_at,
                )
            )
            for account, amount in grant_legs:
                postings_w.row((posting_id, transfer_id, account, amount))
                posting_id += 1
            transfer_id += 1
            top_legs = tuple(sorted(((clearing, -top_up), (wallet, top_up))))
            transfers_w.row(
                (
                    transfer_id,
                    f"synth-top-up:{listener}",
                    fingerprint("transfer", "top_up", top_legs, "synthetic top-up", listener, None, None, None),
                    "top_up",
                    listener,
                    None,
                    None,
                    None,
                    "synthetic top-up",
                    money_at + timedelta(minutes=1),
                    money_at + timedelta(minutes=1),
                )
            )
            for account, amount in top_legs:
                postings_w.row((posting_id, transfer_id, account, amount))
                posting_id += 1
            transfer_id += 1
            leg_index = 0
            for charge in charges:
                transfers_w.row(charge + (charge[-1],))  # effective when made (a play's start)
                for account, amount in legs[leg_index : leg_index + 3]:
                    if amount:
                        postings_w.row((posting_id, charge[0], account, amount))
                        posting_id += 1
                leg_index += 3
            for play in plays:
                plays_w.row(play)
            for row in owned_rows:
                owners_w.row(row)
            accounts_w.row((wallet, "wallet", listener, grant + top_up - spent, joined))
            if index % 500 == 499:
                done = play_id - ids["play"]
                rate = done / max(time.monotonic() - t0, 1e-9)
                progress(f"listeners {index + 1}/{options.listeners}, plays {done:,}/{options.plays:,} ({rate:,.0f}/s)")
        sink.close()
        report.seconds["rows"] = time.monotonic() - started
    except BaseException:
        sink.close()
        raise
    finally:
        if recreate:
            progress(f"building {len(recreate)} indexes and constraints")
            t1 = time.monotonic()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
                for statement in recreate:
                    conn.exec_driver_sql(statement)
            report.seconds["indexes"] = time.monotonic() - t1
    with db.engine.begin() as conn:
        for table in (
            "users",
            "artists",
            "releases",
            "tracks",
            "memberships",
            "ledger_accounts",
            "ledger_transfers",
            "ledger_postings",
            "ledger_plays",
        ):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    t2 = time.monotonic()
    progress("building the search index")
    report.counts["search_documents"] = rebuild_search_index()
    report.seconds["search_index"] = time.monotonic() - t2
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    report.counts = dict(sink.counts) | report.counts
    report.seconds["total"] = time.monotonic() - started
    return report


def rebuild_search_index() -> int:
    """Fill ``search_documents`` and its vocabulary ``search_words`` from the catalogue (the
    load ran without the triggers that keep them), with their GIN indexes dropped meanwhile
    and built once at the end; returns the number of documents."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
        indexes = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('search_documents', 'search_words')"
            " AND indexdef LIKE '%%USING gin%%'"
        ).all()
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        count = conn.exec_driver_sql("SELECT search_documents_rebuild()").scalar_one()
        for _, definition in indexes:
            conn.exec_driver_sql(definition)
    return count


def database_size() -> int | None:
    """Bytes the database takes on disk."""
    return db.session.scalar(text("SELECT pg_database_size(current_database())"))
