"""Benchmark: ranked, typo-tolerant search at two catalogue sizes; its cost must not grow
with the catalogue.

    python bench/search_bench.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
        [--sizes 100000,1000000] [--queries 100] [--keep] [--reuse]

For each size (tracks) it creates a database on the server, migrates it, fills it with
``flask demo synthesize``'s generator (one artist per 10 tracks, a release per 10 tracks,
titles of made-up words from a 5,000-word vocabulary, genre tags; few listeners and plays:
search does not read them) and builds the search index. Then it sends, through the real
app in this process (Flask's WSGI stack, SQL on PostgreSQL, no HTTP socket), ``--queries``
visitor searches (``GET /api/v1/search?q=...&limit=20``) of each kind, drawn from that
catalogue with a fixed seed:

* ``hit``: the title of a random track, as typed;
* ``order``: two words of a random title, in reverse order;
* ``typo``: a word of a random title (5+ letters) with one edit (swap, drop or change a letter);
* ``prefix``: the first 3-5 letters of a word of a random title (as-you-type);
* ``miss``: a made-up word of letters the catalogue's words never use.

A bare JSON route answered by the same app is timed between the searches, as the floor
(it shows how busy the machine was). It prints p50/p95 per kind and size, the p95 over every query per size, and the ratio
p95(largest) / p95(smallest). The last line is one JSON object with every figure,
``ratio`` and ``p95_ms_large`` among them. Targets: p95 < 50 ms at the largest size and a
ratio of at most 1.5.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, make_url, text

DEFAULT_URL = os.environ.get("ENCORE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KINDS = ("hit", "order", "typo", "prefix", "miss")
TARGET_P95_MS = 50
TARGET_RATIO = 1.5


def admin(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def figures(times: list[float]) -> dict:
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
    }


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("swap", "drop", "change"))
    if edit == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if edit == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + rng.choice("aeiou".replace(word[i], "")) + word[i + 1 :]


def make_queries(titles: list[str], count: int, seed: int) -> dict[str, list[str]]:
    """``count`` queries of each kind from the catalogue's own titles."""
    rng = random.Random(seed)
    words = [w.lower() for t in titles for w in t.split()]
    long_words = [w for w in words if len(w) >= 5]
    multi = [t for t in titles if len(t.split()) >= 2]
    out: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for _ in range(count):
        out["hit"].append(rng.choice(titles))
        pair = rng.choice(multi).split()[:2]
        out["order"].append(f"{pair[1]} {pair[0]}".lower())
        out["typo"].append(typo(rng.choice(long_words), rng))
        word = rng.choice(long_words)
        out["prefix"].append(word[: rng.randint(3, 5)])
        out["miss"].append("".join(rng.choice("qxyzwfhjk") for _ in range(rng.randint(5, 8))))
    return out


def run_size(url: str, tracks: int, args) -> dict:
    from flask import jsonify
    from flask_migrate import upgrade

    from app import create_app
    from app.core.extensions import db
    from app.demo import synthesize

    name = f"encore_bench_search_{tracks}"
    db_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin(url).connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists and not args.reuse:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    app = create_app(
        {
            "DATABASE_URL": db_url,
            "QUEUE_IMMEDIATE": True,
            "TESTING": True,
            "SECRET_KEY": "bench",
            # Building a million rows' indexes on a busy machine outlasts the request timeout.
            "DATABASE_STATEMENT_TIMEOUT_MS": 0,
        },
    )

    @app.get("/bench/bare")
    def bare():
        return jsonify(ok=True)

    out: dict = {"tracks": tracks}
    with app.app_context():
        if not exists:
            upgrade(directory=app.extensions["migrate"].directory)
            print(f"[{tracks:,} tracks] generating ...", flush=True)
            options = synthesize.Options(
                listeners=args.listeners, tracks=tracks, plays=args.plays, days=30, seed=args.seed
            )
            report = synthesize.synthesize(options, progress=lambda line: print(f"    {line}", flush=True))
            out["generate_s"] = round(report.seconds["total"], 1)
            out["search_index_s"] = round(report.seconds.get("search_index", 0), 1)
            db.session.remove()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        out["documents"] = db.session.scalar(text("SELECT count(*) FROM search_documents"))
        out["index_mb"] = {
            row[0]: round(row[1] / 2**20)
            for row in db.session.execute(
                text(
                    "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index"
                    " WHERE indrelid = 'search_documents'::regclass ORDER BY 1"
                )
            )
        }
        sample = db.session.scalars(
            text("SELECT title FROM tracks ORDER BY md5(id::text || :seed) LIMIT 5000"), {"seed": str(args.seed)}
        ).all()
        db.session.remove()
    queries = make_queries(sample, args.queries, args.seed)
    client = app.test_client()
    for q in queries["hit"][:10] + queries["prefix"][:10]:  # warm caches and connections
        assert client.get("/api/v1/search", query_string={"q": q}).status_code == 200
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    floor: list[float] = []
    found: dict[str, int] = dict.fromkeys(KINDS, 0)
    # Interleave the kinds, so load from other processes spreads over all of them.
    for i in range(args.queries):
        for kind in KINDS:
            q = queries[kind][i]
            started = time.perf_counter()
            response = client.get("/api/v1/search", query_string={"q": q, "limit": 20})
            times[kind].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text[:300]
            body = response.json
            found[kind] += bool(body["tracks"] or body["releases"] or body["artists"] or body["tags"])
        started = time.perf_counter()
        client.get("/bench/bare")
        floor.append((time.perf_counter() - started) * 1000)
    with app.app_context():
        db.engine.dispose()
    out["kinds"] = {
        kind: figures(times[kind]) | {"found_share": round(found[kind] / args.queries, 2)} for kind in KINDS
    }
    out["all"] = figures([t for kind in KINDS for t in times[kind]])
    out["bare_route"] = figures(floor)  # the app's own floor on this machine, at this moment
    out["examples"] = {kind: queries[kind][:3] for kind in KINDS}
    for kind, f in out["kinds"].items():
        print(
            f"[{tracks:,} tracks] {kind:<7} p50 {f['p50_ms']:7.2f} ms   p95 {f['p95_ms']:7.2f} ms"
            f"   found {f['found_share']:.0%}",
            flush=True,
        )
    print(f"[{tracks:,} tracks] all     p50 {out['all']['p50_ms']:7.2f} ms   p95 {out['all']['p95_ms']:7.2f} ms")
    floor_ms = out["bare_route"]
    print(f"[{tracks:,} tracks] bare route (floor) p50 {floor_ms['p50_ms']:7.2f} ms   p95 {floor_ms['p95_ms']:7.2f} ms")
    if not args.keep:
        with admin(url).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"[{tracks:,} tracks] dropped {name}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--sizes", default="100000,1000000", help="tracks per run, comma-separated")
    parser.add_argument("--queries", type=int, default=100, help="queries of each kind per size")
    parser.add_argument("--listeners", type=int, default=200)
    parser.add_argument("--plays", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database of the same size")
    args = parser.parse_args()

    sizes = [int(s) for s in args.sizes.split(",")]
    runs = [run_size(args.url, tracks, args) for tracks in sizes]
    small, large = runs[0], runs[-1]
    ratio = round(large["all"]["p95_ms"] / small["all"]["p95_ms"], 2)
    print(f"p95 ratio {large['tracks']:,} / {small['tracks']:,} tracks: {ratio}x")
    summary = {
        "benchmark": "search",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "runs": runs,
        "ratio": ratio,
        "p95_ms_small": small["all"]["p95_ms"],
        "p95_ms_large": large["all"]["p95_ms"],
        "target": {"ratio_at_most": TARGET_RATIO, "p95_ms_under": TARGET_P95_MS},
        "target_met": ratio <= TARGET_RATIO and large["all"]["p95_ms"] < TARGET_P95_MS,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
