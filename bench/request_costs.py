"""Where a play start and a progress report spend their time: app CPU and database round trips
per request, measured in-process (Flask's WSGI stack through the test client, real SQL on
PostgreSQL, no HTTP socket), for the pieces every API request pays.

    python bench/request_costs.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [--requests 300]

Routes measured (the first four are registered by this script only, never by the product):

* ``bare``: ``jsonify(ok=True)``;
* ``floor``: insert one row and commit (the floor of a durable write);
* ``token``: a route behind ``api_login_required`` with a Bearer token (token lookup and
  Flask-Login's user load);
* ``token+limit``: the same with the rate limiter the streaming routes use (in memory);
* ``play start`` and ``counted report``: the product's routes.

Round trips are counted at the driver (every ``execute``, plus the transaction's BEGIN and
COMMIT, plus the pool's pre-ping on checkout when enabled). App CPU is this process's CPU time
per request (Python, Flask, SQLAlchemy, psycopg); server CPU is that of the PostgreSQL backends
serving the benchmark's database, read from ``/proc`` (so only for a server on this machine;
``null`` otherwise). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, make_url, text

DEFAULT_URL = os.environ.get("ENCORE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument(
        "--pre-ping", choices=("on", "off"), default="on", help="the pool's pre-ping (on in the production config)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print cProfile's top functions for the play starts and the counted reports",
    )
    args = parser.parse_args()

    from flask import jsonify
    from flask_migrate import upgrade

    import ledger
    from app import create_app
    from app.core.auth import api_login_required
    from app.core.extensions import csrf, db
    from app.core.ratelimit import limiter
    from tests.factories import bearer, make_user, token_for
    from tests.streaming.streaming_helpers import backdate, make_streamable_track

    admin = create_engine(make_url(args.url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"encore_request_costs_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    media = tempfile.mkdtemp(prefix="encore-request-costs-")
    app = create_app(
        {
            "DATABASE_URL": url,
            "STORAGE_URL": f"file://{media}",
            "SECRET_KEY": "bench",
            "STREAM_START_LIMIT": "1000000 per minute",
            "STREAM_PROGRESS_LIMIT": "1000000 per minute",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": args.pre_ping == "on"},
            "STREAM_MAX_OPEN_PLAYS": 1_000_000,
        }
    )

    @app.get("/bench/bare")
    def bare():
        return jsonify(ok=True)

    @app.post("/bench/floor")
    def floor():
        row_id = db.session.execute(text("INSERT INTO bench_floor (at) VALUES (now()) RETURNING id")).scalar_one()
        db.session.commit()
        return jsonify(id=row_id), 201

    csrf.exempt(floor)  # an API-style write (no browser form)

    @app.get("/bench/token")
    @api_login_required
    def token_only():
        return jsonify(ok=True)

    @app.get("/bench/token-limited")
    @limiter.limit("1000000 per minute")
    @api_login_required
    def token_limited():
        return jsonify(ok=True)

    def server_cpu_seconds() -> float | None:
        """CPU time so far of the backends connected to the benchmark's database (a local server)."""
        with admin.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": name}).scalars()
            total = 0.0
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    return None
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            return total

    def record(label: str, app_cpu_s: float, server_before: float | None, count: int, trips: int) -> None:
        server_after = server_cpu_seconds()
        server_ms = None if None in (server_before, server_after) else (server_after - server_before) * 1000 / count
        figures[label] = {
            "app_cpu_ms": round(app_cpu_s * 1000 / count, 3),
            "server_cpu_ms": None if server_ms is None else round(server_ms, 3),
            "round_trips": round(trips / count, 2),
        }
        server = "n/a" if server_ms is None else f"{server_ms:5.2f} ms"
        print(
            f"{label:15s} {app_cpu_s * 1000 / count:6.2f} ms app CPU/request  {server} server CPU"
            f"  {trips / count:4.1f} round trips",
            flush=True,
        )

    figures = {}
    try:
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            db.session.execute(text("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, at timestamptz NOT NULL)"))
            db.session.commit()
            tracks = [make_streamable_track().id for _ in range(20)]
            users = []
            for _ in range(20):
                user = make_user()
                ledger.top_up(db.session, key=f"costs-{user.id}", listener_id=user.id, amount=50_000_000)
                db.session.commit()
                users.append(bearer(token_for(user)))
            trips = []
            event.listen(db.engine, "before_cursor_execute", lambda *a: trips.append(1))
            event.listen(db.engine, "begin", lambda *a: trips.append(1))
            event.listen(db.engine, "commit", lambda *a: trips.append(1))
            event.listen(db.engine, "rollback", lambda *a: trips.append(1))
            if args.pre_ping == "on":
                event.listen(db.engine.pool, "checkout", lambda *a: trips.append(1))  # the ping
            db.session.remove()
        client = app.test_client()
        n = args.requests

        def measure(label, requests):
            for method, path, headers, body in requests[:20]:  # warm up
                client.open(path, method=method, headers=headers, json=body)
            requests = requests[20:]
            server_before = server_cpu_seconds()
            trips.clear()
            began = time.process_time()
            for method, path, headers, body in requests:
                response = client.open(path, method=method, headers=headers, json=body)
                assert response.status_code in (200, 201), (label, response.status_code, response.get_data())
            record(label, time.process_time() - began, server_before, len(requests), len(trips))
            return requests

        measure("bare", [("GET", "/bench/bare", {}, None)] * (n + 20))
        measure("floor", [("POST", "/bench/floor", {}, None)] * (n + 20))
        measure("token", [("GET", "/bench/token", users[i % 20], None) for i in range(n + 20)])
        measure("token+limit", [("GET", "/bench/token-limited", users[i % 20], None) for i in range(n + 20)])
        starts = [("POST", f"/api/v1/tracks/{tracks[i % 20]}/plays", users[i % 20], None) for i in range(n + 20)]
        plays = []
        for method, path, headers, _body in starts[:20]:
            client.open(path, method=method, headers=headers)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        server_before = server_cpu_seconds()
        trips.clear()
        began = time.process_time()
        if profiler:
            profiler.enable()
        for method, path, headers, _body in starts[20:]:
            response = client.open(path, method=method, headers=headers)
            assert response.status_code == 201, response.get_data()
            plays.append((response.json["play"]["id"], headers))
        if profiler:
            profiler.disable()
        record("play start", time.process_time() - began, server_before, n, len(trips))
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
            profiler = cProfile.Profile(time.process_time)
        with app.app_context():
            for play_id, _ in plays:
                backdate(play_id, 60)
            db.session.remove()
        server_before = server_cpu_seconds()
        trips.clear()
        began = time.process_time()
        if profiler:
            profiler.enable()
        for play_id, headers in plays:
            response = client.post(f"/api/v1/plays/{play_id}/progress", headers=headers, json={"position_ms": 50_000})
            assert response.status_code == 200 and response.json["counted"], response.get_data()
        if profiler:
            profiler.disable()
        record("counted report", time.process_time() - began, server_before, n, len(trips))
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(json.dumps({"benchmark": "request_costs", "pre_ping": args.pre_ping, "requests": n, **figures}))


if __name__ == "__main__":
    main()
