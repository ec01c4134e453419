"""Rebuilding every rollup from the whole ledger, in bulk (``flask analytics rebuild``).

The incremental job (``app.analytics.services.rollups.update``) reads the ledger row by row in Python,
which is plenty for a minute's plays but slow for ten million. The rebuild lets the database
do the sums (``INSERT ... SELECT ... GROUP BY``) and streams only the distinct (track, day,
listener) triples through Python to encode the listener sets. It runs in one transaction:
dashboards keep reading the old rollups until it commits, and a crash leaves them untouched.

It produces the same rows as the incremental job (a test checks it), with one deliberate
difference: whether a listener owns a track is read from the ledger's ownerships, the truth,
where the job infers it from the events it reads.
"""

from __future__ import annotations

import time
from itertools import groupby, islice

from sqlalchemy import func, select, text

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
from app.core.extensions import db
from app.core.types import utcnow
from ledger.schema import Play, Transfer

# Ids this close below the newest one are checked for gaps (rows of transactions still open
# when the rebuild read the ledger); older missing ids are rolled-back inserts.
GAP_WINDOW = 10_000


def _day(column: str) -> str:
    return f"({column} AT TIME ZONE 'UTC')::date"


def _bulk(table: str, columns: tuple[str, ...], rows, chunk: int = 20_000) -> int:
    """Insert rows into a temporary table with COPY, a chunk at a time. ``rows`` may stream from a server-side cursor on the same connection: each
    chunk is read before its COPY starts (a connection cannot fetch while it copies)."""
    count = 0
    connection = db.session.connection()
    iterator = iter(rows)
    while True:
        batch = list(islice(iterator, chunk))
        if not batch:
            return count
        count += len(batch)
        raw = connection.connection.driver_connection
        with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row(row)


def _sets(query: str, key_width: int):
    """Stream (key..., listener) rows ordered by key; yield (key..., encoded set)."""
    result = db.session.connection().exec_driver_sql(
        query, execution_options={"stream_results": True, "yield_per": 50_000}
    )
    for key, rows in groupby(result, key=lambda r: tuple(r[:key_width])):
        yield (*key, listener_sets.encode(r[key_width] for r in rows))


ROLLUP_MODELS = (
    TrackDay,
    ArtistDay,
    CoopDay,
    MoneyDay,
    TrackListener,
    ArtistListener,
    ArtistCountry,
    Funnel,
    Cursor,
    Gap,
)


def clear() -> None:
    """Empty every rollup table and reset the cursors (the first half of a rebuild)."""
    names = ", ".join(model.__tablename__ for model in ROLLUP_MODELS)
    db.session.execute(text(f"TRUNCATE {names}"))
    db.session.flush()


def rebuild_all(progress=None) -> dict:
    """Empty and refill every rollup table from the ledger. Flushes; the caller commits."""
    timings = {}
    started = time.monotonic()
    s = db.session
    clear()
    top_play = s.scalar(select(func.max(Play.id))) or 0
    top_transfer = s.scalar(select(func.max(Transfer.id))) or 0
    day_p = _day("p.created_at")
    day_t = _day("t.effective_at")  # the day a transfer counts (a play charge: the play's start)
    counted = f"p.kind <> 'own_artist' AND p.id <= {int(top_play)}"
    empty = "''::bytea"

    def say(what):
        timings[what] = time.monotonic() - started
        if progress:
            progress(f"{what} ({timings[what]:.0f} s)")

    # 1. Listener sets per track-day, artist-day and co-op day.
    blob = "BYTEA"
    for name, key_sql, width in (
        ("tmp_track_sets", "p.track_id, {day}", 2),
        ("tmp_artist_sets", "p.artist_id, {day}", 2),
        ("tmp_coop_sets", "{day}", 1),
    ):
        columns = ("owner_id", "day", "listeners") if width == 2 else ("day", "listeners")
        definition = (
            f"(owner_id INTEGER, day DATE, listeners {blob})" if width == 2 else f"(day DATE, listeners {blob})"
        )
        s.execute(text(f"DROP TABLE IF EXISTS {name}"))
        s.execute(text(f"CREATE TEMP TABLE {name} {definition}"))
        query = (
            f"SELECT DISTINCT {key_sql.format(day=day_p)}, p.listener_id FROM ledger_plays p WHERE {counted} "
            f"ORDER BY {', '.join(str(i + 1) for i in range(width))}"
        )
        _bulk(name, columns, _sets(query, width))
        say(f"listener sets {name[4:]}")

    # 2. Figures per track-day: counted plays, plus buy-nows and corrections. Previews are left
    #    at 0 here: ``rollups.rebuild`` reads them right after with the incremental job, whose
    #    "previews" cursor the clear() above reset to the start.
    s.execute(
        text(f"""
        INSERT INTO analytics_track_days (track_id, day, artist_id, plays, charged_plays, first_plays,
            artist_micro, coop_micro, artist_value, coop_value, buy_nows, buy_now_micro, previews, listeners)
        SELECT g.*, coalesce(ts.listeners, {empty}) FROM (
        SELECT f.track_id AS track_id, f.day AS day, max(f.artist_id) AS artist_id, sum(f.plays) AS plays,
            sum(f.charged_plays) AS charged_plays, sum(f.first_plays) AS first_plays,
            sum(f.artist_micro) AS artist_micro, sum(f.coop_micro) AS coop_micro,
            sum(f.artist_value) AS artist_value, sum(f.coop_value) AS coop_value, sum(f.buy_nows) AS buy_nows,
            sum(f.buy_now_micro) AS buy_now_micro, 0 AS previews
        FROM (
            SELECT p.track_id, {day_p} AS day, max(p.artist_id) AS artist_id, count(*) AS plays,
                sum(CASE WHEN p.kind = 'charged' THEN 1 ELSE 0 END) AS charged_plays,
                sum(CASE WHEN p.play_number = 1 THEN 1 ELSE 0 END) AS first_plays,
                sum(p.artist_part) AS artist_micro, sum(p.coop_part) AS coop_micro,
                sum(p.artist_part * coalesce(v.credit_price_cents, 0)) AS artist_value,
                sum(p.coop_part * coalesce(v.credit_price_cents, 0)) AS coop_value,
                0 AS buy_nows, 0 AS buy_now_micro
            FROM ledger_plays p LEFT JOIN ledger_pricing_versions v ON v.id = p.pricing_version_id
            WHERE {counted}
            GROUP BY p.track_id, {day_p}
            UNION ALL
            SELECT x.track_id, x.day, coalesce(r.artist_id, x.credited) AS artist_id, 0, 0, 0,
                x.artist_micro, x.coop_micro, x.artist_value, x.coop_value, x.buy_nows, x.buy_now_micro
            FROM (
                SELECT t.track_id, {day_t} AS day,
                    max(CASE WHEN a.kind = 'artist_earnings' THEN a.owner_id END) AS credited,
                    sum(CASE WHEN a.kind = 'artist_earnings' THEN g.amount ELSE 0 END) AS artist_micro,
                    sum(CASE WHEN a.kind = 'coop_revenue' THEN g.amount ELSE 0 END) AS coop_micro,
                    sum(CASE WHEN a.kind = 'artist_earnings' THEN g.amount * coalesce(v.credit_price_cents, 0)
                        ELSE 0 END) AS artist_value,
                    sum(CASE WHEN a.kind = 'coop_revenue' THEN g.amount * coalesce(v.credit_price_cents, 0)
                        ELSE 0 END) AS coop_value,
                    count(DISTINCT CASE WHEN t.kind = 'buy_now' THEN t.id END) AS buy_nows,
                    sum(CASE WHEN t.kind = 'buy_now' AND a.kind = 'wallet' THEN -g.amount ELSE 0 END)
                        AS buy_now_micro
                FROM ledger_transfers t
                JOIN ledger_postings g ON g.transfer_id = t.id
                JOIN ledger_accounts a ON a.id = g.account_id
                LEFT JOIN ledger_transfers c ON c.id = t.corrects_transfer_id
                LEFT JOIN ledger_pricing_versions v ON v.id = coalesce(t.pricing_version_id, c.pricing_version_id)
                WHERE t.kind IN ('buy_now', 'correction') AND t.track_id IS NOT NULL AND t.id <= {int(top_transfer)}
                GROUP BY t.track_id, {day_t}
            ) x
            LEFT JOIN tracks k ON k.id = x.track_id
            LEFT JOIN releases r ON r.id = k.release_id
            WHERE coalesce(r.artist_id, x.credited) IS NOT NULL
        ) f
        GROUP BY f.track_id, f.day
        ) g
        LEFT JOIN tmp_track_sets ts ON ts.owner_id = g.track_id AND ts.day = g.day
    """)
    )
    say("track days")
    figures = (
        "plays, charged_plays, first_plays, artist_micro, coop_micro, artist_value, coop_value, buy_nows, "
        "buy_now_micro, previews"
    )
    sums = ", ".join(f"sum(d.{c.strip()})" for c in figures.split(","))
    s.execute(
        text(f"""
        INSERT INTO analytics_artist_days (artist_id, day, {figures}, listeners)
        SELECT g.*, coalesce(x.listeners, {empty}) FROM (
            SELECT d.artist_id AS artist_id, d.day AS day, {sums} FROM analytics_track_days d
            GROUP BY d.artist_id, d.day
        ) g LEFT JOIN tmp_artist_sets x ON x.owner_id = g.artist_id AND x.day = g.day
    """)
    )
    s.execute(
        text(f"""
        INSERT INTO analytics_coop_days (day, {figures}, listeners)
        SELECT g.*, coalesce(x.listeners, {empty}) FROM (
            SELECT d.day AS day, {sums} FROM analytics_track_days d GROUP BY d.day
        ) g LEFT JOIN tmp_coop_sets x ON x.day = g.day
    """)
    )
    say("artist and co-op days")

    # 3. Money per day by transfer kind and account kind.
    s.execute(
        text(f"""
        INSERT INTO analytics_money_days (day, transfer_kind, account_kind, amount, postings)
        SELECT {day_t}, t.kind, a.kind, sum(g.amount), count(*)
        FROM ledger_transfers t JOIN ledger_postings g ON g.transfer_id = t.id
        JOIN ledger_accounts a ON a.id = g.account_id
        WHERE t.id <= {int(top_transfer)}
        GROUP BY {day_t}, t.kind, a.kind
    """)
    )
    say("money days")

    # 4. Listener states, the funnel and listener totals per artist.
    owned_true = "true"
    s.execute(
        text(f"""
        INSERT INTO analytics_track_listeners (track_id, listener_id, artist_id, plays, stage, owned)
        SELECT u.track_id, u.listener_id, max(u.artist_id), sum(u.plays), max(u.stage),
            CASE WHEN max(u.owned) > 0 THEN {owned_true} ELSE NOT {owned_true} END
        FROM (
            SELECT p.track_id, p.listener_id, max(p.artist_id) AS artist_id, count(*) AS plays,
                coalesce(max(p.play_number), 0) AS stage, 0 AS owned
            FROM ledger_plays p WHERE {counted}
            GROUP BY p.track_id, p.listener_id
            UNION ALL
            SELECT o.track_id, o.listener_id, o.artist_id, 0, 0, 1 FROM ledger_ownerships o
        ) u
        GROUP BY u.track_id, u.listener_id
    """)
    )
    s.execute(
        text("""
        INSERT INTO analytics_funnel (track_id, stage, artist_id, listeners)
        SELECT track_id, CASE WHEN owned THEN 0 ELSE stage END, max(artist_id), count(*)
        FROM analytics_track_listeners WHERE owned OR stage >= 1
        GROUP BY track_id, CASE WHEN owned THEN 0 ELSE stage END
    """)
    )
    owned_int = "CAST(owned AS INTEGER)"
    s.execute(
        text(f"""
        INSERT INTO analytics_artist_listeners (artist_id, listener_id, plays, owned)
        SELECT artist_id, listener_id, sum(plays), sum({owned_int})
        FROM analytics_track_listeners GROUP BY artist_id, listener_id
    """)
    )
    s.execute(
        text("""
        INSERT INTO analytics_artist_countries (artist_id, country, listeners)
        SELECT al.artist_id, coalesce(u.country, ''), count(*)
        FROM analytics_artist_listeners al JOIN users u ON u.id = al.listener_id
        WHERE al.plays > 0
        GROUP BY al.artist_id, coalesce(u.country, '')
    """)
    )
    say("listener states, funnel and countries")

    # 5. Cursors at what was read; recent ids not visible yet are gaps for the job.
    now = utcnow()
    for source, model, top in (("plays", Play, top_play), ("transfers", Transfer, top_transfer)):
        last_at = s.scalar(select(model.created_at).where(model.id == top)) if top else None
        s.add(Cursor(source=source, position=top, updated_at=now, last_event_at=last_at))
        if top:
            present = set(s.scalars(select(model.id).where(model.id > top - GAP_WINDOW, model.id <= top)))
            s.add_all(
                [
                    Gap(source=source, item_id=i, noticed_at=now)
                    for i in range(max(1, top - GAP_WINDOW + 1), top + 1)
                    if i not in present
                ]
            )
    for name in ("tmp_track_sets", "tmp_artist_sets", "tmp_coop_sets"):
        s.execute(text(f"DROP TABLE {name}"))
    s.flush()
    say("done")
    return {"plays": top_play, "transfers": top_transfer, "timings": timings}
