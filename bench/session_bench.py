"""Benchmark: what a server-side session costs a request, against a Bearer token and a bare route.

    python bench/session_bench.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [--requests 2000] [--rounds 5]

Creates a fresh PostgreSQL database (dropped afterwards), migrates it, makes one verified
user with an API token, logs a test client in, and times in-process requests (Flask's test
client: the app's own cost, database round trips included, no network), interleaved in
``--rounds`` rounds, median of the rounds:

1. ``GET /bench/bare``: a bare Flask JSON route on the same app (the reference);
2. ``GET /api/v1/me`` with ``Authorization: Bearer`` (one indexed lookup of the token);
3. ``GET /api/v1/me`` with the session cookie (one indexed lookup of session and user);
4. the same with ``SESSION_TOUCH_SECONDS=0``: ``last_seen_at`` written on every request,
   what the five-minute touch interval saves.

Also counts the SQL statements each kind of request sends. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = os.environ.get("ENCORE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import psycopg
    from sqlalchemy import event
    from sqlalchemy.engine import make_url

    server = make_url(args.url)
    name = f"encore_session_bench_{uuid.uuid4().hex[:8]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        from flask import jsonify
        from flask_migrate import upgrade

        from app import create_app
        from app.accounts import services as accounts
        from app.core.extensions import db

        media = Path(tempfile.mkdtemp(prefix="session-bench-"))
        db_url = server.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
        app = create_app(
            {"DATABASE_URL": db_url, "STORAGE_URL": f"file://{media}", "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
        )
        app.add_url_rule("/bench/bare", "bench_bare", lambda: jsonify(ok=True))
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            user = accounts.register(
                email="bench@encore.test", password="bench session password 1", display_name="Bench", verified=True
            )
            _, token = accounts.create_token(user, "bench")
            db.session.commit()

        bare, bearer, cookie = app.test_client(), app.test_client(), app.test_client()
        assert (
            cookie.post(
                "/login", data={"email": "bench@encore.test", "password": "bench session password 1"}
            ).status_code
            == 302
        )
        kinds = {
            "bare": lambda: bare.get("/bench/bare"),
            "bearer": lambda: bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}),
            "session": lambda: cookie.get("/api/v1/me"),
            "session_touch_every_request": lambda: cookie.get("/api/v1/me"),
        }

        statements: list[str] = []
        with app.app_context():
            engine = db.engine

        def record(conn, cursor, statement, *a):
            statements.append(statement.split()[0].upper())

        event.listen(engine, "before_cursor_execute", record)
        counts = {}
        for kind, call in kinds.items():
            app.config["SESSION_TOUCH_SECONDS"] = 0 if kind == "session_touch_every_request" else 300
            statements.clear()
            assert call().status_code == 200
            counts[kind] = list(statements)
        event.remove(engine, "before_cursor_execute", record)

        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(args.rounds):
            for kind, call in kinds.items():
                app.config["SESSION_TOUCH_SECONDS"] = 0 if kind == "session_touch_every_request" else 300
                call()  # warm
                started = time.perf_counter()
                for _ in range(args.requests):
                    call()
                times[kind].append((time.perf_counter() - started) / args.requests)
        per_request_us = {kind: round(statistics.median(v) * 1e6, 1) for kind, v in times.items()}
        result = {
            "per_request_us": per_request_us,
            "ratio_to_bare": {k: round(v / per_request_us["bare"], 2) for k, v in per_request_us.items()},
            "session_vs_bearer": round(per_request_us["session"] / per_request_us["bearer"], 2),
            "touch_every_request_vs_every_5_min": round(
                per_request_us["session_touch_every_request"] / per_request_us["session"], 2
            ),
            "statements": counts,
            "requests": args.requests,
            "rounds": args.rounds,
        }
        for kind, us in per_request_us.items():
            print(
                f"{kind:>30}: {us:8.1f} us/request  {result['ratio_to_bare'][kind]:.2f}x bare  "
                f"SQL: {' '.join(counts[kind]) or '-'}"
            )
        print(json.dumps(result))
        with app.app_context():
            db.engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
