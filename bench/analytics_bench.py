"""Benchmark: the artist dashboard JSON and the public month page on PostgreSQL, at two
sizes of listening history; their cost must not grow with the number of plays.

    python bench/analytics_bench.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
        [--sizes 100000,10000000] [--listeners 15000] [--tracks 100000] [--requests 200] [--keep]

For each size it creates a database on the server, migrates it, fills it with
``flask demo synthesize``'s generator (timed, with the disk it takes), builds the rollups
(timed), then serves requests through the real app in this process (Flask's WSGI stack,
Bearer-token auth, SQL on PostgreSQL; no HTTP socket): ``--requests`` times each of

* the dashboard JSON of the most popular artist and of a long-tail artist (the 90th
  percentile of the popularity ranking), default range (the last 30 days);
* the public books page of the current month (HTML).

It prints p50/p95 per request kind and size, and the ratio p95(largest) / p95(smallest).
A bare JSON route answered by the same app is measured too, as the floor. The databases are
dropped at the end (``--keep`` keeps them). The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, make_url, select, text

DEFAULT_URL = os.environ.get("ENCORE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def admin(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_requests(client, path: str, headers: dict, count: int) -> dict:
    for _ in range(10):  # warm caches and connections
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
    }


def run_size(url: str, plays: int, args) -> dict:
    from flask import jsonify
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts import services as accounts
    from app.accounts.models import Role
    from app.analytics.services import rollups
    from app.catalog.models import Artist
    from app.core.extensions import db
    from app.demo import synthesize

    name = f"encore_bench_analytics_{plays}"
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
            "WTF_CSRF_ENABLED": False,
        }
    )

    @app.get("/bench/bare")
    def bare():
        return jsonify(ok=True)

    out = {"plays": plays, "listeners": args.listeners, "tracks": args.tracks}
    with app.app_context():
        if not exists:
            upgrade(directory=app.extensions["migrate"].directory)
            print(f"[{plays:,} plays] generating ...", flush=True)
            options = synthesize.Options(
                listeners=args.listeners, tracks=args.tracks, plays=plays, days=args.days, seed=args.seed
            )
            report = synthesize.synthesize(options, progress=lambda line: print(f"    {line}", flush=True))
            out["generate_s"] = round(report.seconds["total"], 1)
            out["generate_detail_s"] = {k: round(v, 1) for k, v in report.seconds.items()}
            out["rows"] = report.counts
            db.session.remove()
            started = time.monotonic()
            rollups.rebuild(progress=lambda line: print(f"    rollups: {line}", flush=True))
            out["rollups_s"] = round(time.monotonic() - started, 1)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            user = accounts.register(
                email="bench-admin@encore.test",
                password="bench-password",
                display_name="Bench Admin",
                verified=True,
                published_password=True,
            )
            user.role = Role.ADMIN
            _, token = accounts.create_token(user, "bench")
            db.session.commit()
            (Path(args.state_dir) / f"{name}.token").write_text(token)
        token = (Path(args.state_dir) / f"{name}.token").read_text()
        out["database_mb"] = round(synthesize.database_size() / 2**20)
        out["tables_mb"] = {
            row[0]: round(row[1] / 2**20)
            for row in db.session.execute(
                text(
                    "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r'"
                    " AND relname LIKE ANY (ARRAY['ledger_%', 'analytics_%']) ORDER BY 2 DESC"
                )
            )
        }
        n_artists = db.session.scalar(select(text("count(*)")).select_from(Artist))
        popular = db.session.scalar(select(Artist.id).where(Artist.name == synthesize.artist_name(1)))
        tail_rank = max(1, int(n_artists * 0.9))
        tail = db.session.scalar(select(Artist.id).where(Artist.name == synthesize.artist_name(tail_rank)))
        period = datetime.now(timezone.utc).strftime("%Y-%m")
        db.session.remove()

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():
        probe = client.get(f"/api/v1/artists/{popular}/analytics", headers=headers).json["dashboard"]
        probe_tail = client.get(f"/api/v1/artists/{tail}/analytics", headers=headers).json["dashboard"]
    out["popular_artist"] = {
        "rank": 1,
        "plays_in_range": probe["totals"]["plays"],
        "unique_listeners": probe["totals"]["unique_listeners"],
        "tracks": len(probe["tracks"]),
    }
    out["tail_artist"] = {
        "rank": tail_rank,
        "plays_in_range": probe_tail["totals"]["plays"],
        "unique_listeners": probe_tail["totals"]["unique_listeners"],
        "tracks": len(probe_tail["tracks"]),
    }
    out["requests"] = {
        "bare_route": timed_requests(client, "/bench/bare", {}, args.requests),
        "dashboard_popular": timed_requests(client, f"/api/v1/artists/{popular}/analytics", headers, args.requests),
        "dashboard_tail": timed_requests(client, f"/api/v1/artists/{tail}/analytics", headers, args.requests),
        "month_page": timed_requests(client, f"/transparency/{period}", {}, args.requests),
    }
    with app.app_context():
        db.engine.dispose()
    for kind, figures in out["requests"].items():
        print(
            f"[{plays:,} plays] {kind:<18} p50 {figures['p50_ms']:7.2f} ms   p95 {figures['p95_ms']:7.2f} ms",
            flush=True,
        )
    if not args.keep:
        with admin(url).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"[{plays:,} plays] dropped {name}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--sizes", default="100000,10000000", help="plays per run, comma-separated")
    parser.add_argument("--listeners", type=int, default=15_000)
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database of the same size")
    parser.add_argument("--state-dir", default="/tmp", help="where the bench token of a kept database is kept")
    args = parser.parse_args()

    sizes = [int(s) for s in args.sizes.split(",")]
    runs = [run_size(args.url, plays, args) for plays in sizes]
    small, large = runs[0], runs[-1]
    ratios = {
        kind: round(large["requests"][kind]["p95_ms"] / small["requests"][kind]["p95_ms"], 2)
        for kind in ("dashboard_popular", "dashboard_tail", "month_page")
    }
    worst_p95 = max(large["requests"][k]["p95_ms"] for k in ratios)
    for kind, ratio in ratios.items():
        print(f"p95 ratio {large['plays']:,} / {small['plays']:,} plays, {kind}: {ratio}x")
    summary = {
        "benchmark": "analytics",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "runs": runs,
        "p95_ratio": ratios,
        "max_ratio": max(ratios.values()),
        "largest_p95_ms": worst_p95,
        "target": {"ratio_at_most": 2.0, "p95_ms_under": 100},
        "target_met": max(ratios.values()) <= 2.0 and worst_p95 < 100,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
