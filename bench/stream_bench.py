"""Benchmark: play starts and counted progress reports per second, against a bare Flask route.

    python bench/stream_bench.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [--duration 5] [--rounds 4]

Creates a fresh PostgreSQL database (dropped afterwards), migrates it, and seeds listeners
(with API tokens and topped-up wallets), tracks and, for the report phase, open plays that
are old enough to count. Then serves the app with gunicorn the way ``make run`` does
(gthread, ``--workers 2 --threads 4``) and drives it from a Python load generator
(``--clients`` processes x ``--threads`` keep-alive connections, http.client), one kind of
request per phase:

* ``GET /bench/bare``: a bare Flask JSON route on the same app and server (a reference);
* ``POST /bench/floor``: a route of the same app that inserts one row and commits (the other
  reference: the floor of any durable API write in this stack);
* ``POST /api/v1/tracks/<id>/plays``: starting plays (Bearer tokens, each listener at most
  3 open plays, so listeners rotate);
* ``POST /api/v1/plays/<id>/progress``: reports that each count and charge a play.

After a second of each kind of request (each connection of the pool prepares its
statements once), the bare route runs first and last; the floor, start and report phases
run in ``--rounds`` rounds, in turn (floor, start, report, then report, start, floor, ...),
and each figure is taken over all rounds of its phase: this VM's speed drifts by a quarter
within minutes, and a reference measured only before and after its subject moved the ratio
by as much. The ratio of each round is printed as well.

Then (``subsonic_vs_web_start``, listeners of its own) the Subsonic ``stream`` start against
the web player's start in the same run: web = ``POST /api/v1/tracks/<id>/plays`` then the
first 64 KiB of its stream URL; Subsonic = ``GET /rest/stream?id=tr-<id>`` for the same 64
KiB (one request starts the play and sends audio). Target: a Subsonic start takes at most
1.2x the web start's time (the web phase runs before and after it; its mean is the reference).

Both reference routes are registered by this script only, never by the product. Prints each
rate with p50/p99, the ratios (targets against the floor: starts >= 0.7x, counted reports
>= 0.5x; goals against the bare route: 0.5x and 0.33x) and checks afterwards that every
report counted exactly once and that ``ledger verify`` passes. The last line is one JSON
object with every figure.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import multiprocessing
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, make_url, text  # noqa: E402

DEFAULT_URL = os.environ.get("ENCORE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TRACKS = 60
COUNT_AFTER_MS = 1_000


def admin_engine(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def checkpoint(url: str) -> None:
    """A checkpoint before each phase: otherwise the server's own one, every few minutes,
    lands in whichever phase its timing picks and slows that phase alone (the same fix as in
    ``ledger_bench.checkpoint``)."""
    with admin_engine(url).connect() as conn:
        conn.execute(text("CHECKPOINT"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the database -----------------------------------------------------------------------------


def prepare(db_url: str, media: str, listeners: int, report_plays: int) -> dict:
    """Migrate and seed; returns the tokens, track ids and report play ids."""
    from flask_migrate import upgrade

    import ledger
    from app import create_app
    from app.accounts.models import ApiToken, Role, User
    from app.catalog import services as catalog
    from app.catalog.models import TrackStatus
    from app.core.extensions import db
    from app.streaming.models import Play
    from app.uploads.models import TrackAudio

    app = create_app({"DATABASE_URL": db_url, "STORAGE_URL": f"file://{media}", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        # Two tracks per artist: charges credit many artists' accounts, as real listening does
        # (one artist would make every posting's foreign-key lock land on one row).
        track_ids, artist_of = [], {}
        for n in range(TRACKS):
            if n % 2 == 0:
                artist = catalog.create_artist(name=f"Bench Artist {n // 2}")
                release = catalog.create_release(artist, title=f"Bench Release {n // 2}")
            track = catalog.create_track(release, title=f"Bench {n}", duration_ms=200_000, status=TrackStatus.READY)
            artist_of[track.id] = artist.id
            db.session.add(
                TrackAudio(
                    track_id=track.id,
                    artist_id=artist.id,
                    sha256=f"{n:064x}",
                    original_key=f"tracks/{track.id}/original",
                    original_name="x.wav",
                    original_size=1,
                    original_format="wav",
                    original_mime="audio/wav",
                    source_duration_ms=200_000,
                    stream_mp3_key=f"tracks/{track.id}/stream.mp3",
                    stream_opus_key=f"tracks/{track.id}/stream.opus",
                    preview_key=f"tracks/{track.id}/preview.mp3",
                    gain_db=-2.0,
                    peaks=[0.5] * 1800,
                )
            )
            track_ids.append(track.id)
        # A track of the ledger's history only (see below); never started or reported.
        history_artist = catalog.create_artist(name="Bench History Artist")
        history_track = catalog.create_track(
            catalog.create_release(history_artist, title="Bench History"),
            title="Bench History",
            duration_ms=200_000,
            status=TrackStatus.READY,
        )
        db.session.commit()

        now = datetime.now(timezone.utc)
        # The first half start plays; the second half own the plays the report phase counts
        # (so their open plays never hold the starters at the open-plays limit).
        users = [
            {
                "email": f"bench{i}@example.test",
                "password_hash": "x",
                "display_name": f"Bench {i}",
                "role": Role.LISTENER,
                "created_at": now,
            }
            for i in range(2 * listeners)
        ]
        user_ids = list(db.session.scalars(insert(User).returning(User.id), users))
        tokens = ["enc_" + secrets.token_urlsafe(24) for _ in user_ids]
        db.session.execute(
            insert(ApiToken),
            [
                {
                    "user_id": uid,
                    "name": "bench",
                    "token_hash": hashlib.sha256(t.encode()).hexdigest(),
                    "prefix": t[:12],
                    "created_at": now,
                }
                for uid, t in zip(user_ids, tokens, strict=True)
            ],
        )
        db.session.commit()
        for i, uid in enumerate(user_ids):
            ledger.top_up(db.session, key=f"bench-top-up-{uid}", listener_id=uid, amount=20_000_000)
            if i % 500 == 499:
                db.session.commit()
        db.session.commit()
        # A history: two charged plays per listener (of a track the phases never play), as a
        # running co-op's ledger has, so that ANALYZE below gives the planner statistics of
        # a ledger in use (an empty one keeps it scanning ledger_plays sequentially while the
        # report phase fills it, until autovacuum analyses it again).
        db.session.execute(
            text(
                "SELECT count(*) FROM unnest(CAST(:users AS integer[])) u, generate_series(1, 2) n,"
                " LATERAL ledger_charge_play('history-' || u || '-' || n, u, :track, :artist, false, false) c"
            ),
            {"users": user_ids, "track": history_track.id, "artist": history_artist.id},
        )
        db.session.commit()

        # Plays ready to count: started an hour ago, threshold 1 s, one per (listener, track),
        # so every report is a first, charged play of that track.
        plays = []
        reporters = user_ids[listeners:]
        for i in range(report_plays):
            uid = reporters[i % len(reporters)]
            track_id = track_ids[(i // len(reporters)) % len(track_ids)]
            plays.append(
                {
                    "id": secrets.token_urlsafe(24),
                    "listener_id": uid,
                    "track_id": track_id,
                    "artist_id": artist_of[track_id],
                    "track_free": False,
                    "listener_is_artist": False,
                    "started_at": now - timedelta(hours=1),
                    "expires_at": now + timedelta(hours=3),
                    "count_after_ms": COUNT_AFTER_MS,
                    "position_ms": 0,
                }
            )
        db.session.execute(insert(Play), plays)
        db.session.commit()
        by_user = dict(zip(user_ids, tokens, strict=True))
        report_work = [(p["id"], by_user[p["listener_id"]]) for p in plays]
        db.session.execute(text("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, at timestamptz NOT NULL)"))
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    return {"tokens": tokens[:listeners], "tracks": track_ids, "reports": report_work}


# --- the server -------------------------------------------------------------------------------

# The benchmark's own routes, registered only here (never in the product): the bare route, and
# the floor of any durable API write in this stack: insert one row and commit it, through the
# same app, session and pool (no auth, no rate limit).
BENCH_APP = """
from flask import jsonify
from sqlalchemy import text

from app import create_app
from app.core.extensions import csrf, db

app = create_app()
_INSERT = text("INSERT INTO bench_floor (at) VALUES (now()) RETURNING id")


@app.get("/bench/bare")
def bare():
    return jsonify(ok=True)


@app.post("/bench/floor")
def floor():
    row_id = db.session.execute(_INSERT).scalar_one()
    db.session.commit()
    return jsonify(id=row_id), 201


csrf.exempt(floor)  # an API-style write (no browser form)
"""


def start_server(db_url: str, media: str, workdir: str, port: int, workers: int, threads: int, root=ROOT):
    """gunicorn serving the app of the checkout at ``root`` (this one by default)."""
    Path(workdir, "stream_bench_app.py").write_text(BENCH_APP)
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": f"{workdir}:{root}",
            "ENCORE_DATABASE_URL": db_url,
            "ENCORE_STORAGE_URL": f"file://{media}",
            "ENCORE_SECRET_KEY": "bench",
            # The limits stay on (their cost is part of the hot path), set out of the way.
            "ENCORE_STREAM_START_LIMIT": "1000000 per minute",
            "ENCORE_STREAM_PROGRESS_LIMIT": "1000000 per minute",
        }
    )
    env.pop("ENCORE_REDIS_URL", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [
            gunicorn,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "stream_bench_app:app",
        ],
        cwd=workdir,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/bare")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not come up")


def worker_pids(server) -> list[str]:
    """The gunicorn workers of ``server`` (its children)."""
    children = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                children.append(entry.name)
        except OSError:
            continue
    return children


# --- the load generator -----------------------------------------------------------------------


WARM_UP = 400  # starts and reports sent before the measured phases
# Each figure over all rounds of its phase (the reference too).
RUNS = {"bare": "bare", "floor": "floor", "play_start": "start", "counted_report": "report"}


def round_share(work: list, n: int, rounds: int) -> list:
    """Round ``n``'s share of the prepared work: consecutive, so each request is sent once."""
    return work[n * len(work) // rounds : (n + 1) * len(work) // rounds]


def start_work(seed: dict) -> list:
    """Play starts: each listener starts at most 3 plays (the open-plays limit), rotating."""
    tokens = seed["tokens"]
    return [
        ("POST", f"/api/v1/tracks/{seed['tracks'][(i // len(tokens)) % TRACKS]}/plays", tokens[i % len(tokens)], None)
        for i in range(3 * len(tokens))
    ]


def report_work(seed: dict) -> list:
    """Progress reports that each count (and charge) one of the seeded plays."""
    return [
        ("POST", f"/api/v1/plays/{play_id}/progress", token, json.dumps({"position_ms": 2_000}))
        for play_id, token in seed["reports"]
    ]


def client_process(port, kind, work, duration, threads, out):
    """One process of the load generator: ``threads`` keep-alive connections, each sending
    requests back to back for ``duration`` seconds (or until its share of ``work`` runs out)."""
    import threading

    results = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def run(slot):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = work[slot::threads] if work is not None else None
        n = ok = 0
        latencies = []
        statuses = {}
        while time.perf_counter() < stop_at:
            if mine is not None:
                if n >= len(mine):
                    break
                method, path, token, body = mine[n]
            elif kind == "floor":
                method, path, token, body = "POST", "/bench/floor", None, None
            else:
                method, path, token, body = "GET", "/bench/bare", None, None
            headers = {"Content-Type": "application/json"} if body is not None else {}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                n += 1
                continue
            latencies.append(time.perf_counter() - started)
            n += 1
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.status >= 400 and statuses[response.status] == 1:
                print(f"  {method} {path} -> {response.status} {payload[:200]!r}", flush=True)
            good = response.status in (200, 201)
            if good and kind == "report":
                good = b'"counted":true' in payload
            ok += good
        with lock:
            results.append((n, ok, latencies))

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    began = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    out.put((sum(r[0] for r in results), sum(r[1] for r in results), [x for r in results for x in r[2]], elapsed))


def load(port, kind, work, duration, clients, threads) -> dict:
    """One phase: ``clients`` processes send ``kind`` requests for ``duration`` seconds."""
    return figures_of([run_phase(port, kind, work, duration, clients, threads)])


def run_phase(port, kind, work, duration, clients, threads) -> list:
    """One phase's raw results: per client process (sent, ok, latencies, elapsed)."""
    out = multiprocessing.Queue()
    shares = [None] * clients if work is None else [work[i::clients] for i in range(clients)]
    procs = [
        multiprocessing.Process(target=client_process, args=(port, kind, shares[i], duration, threads, out))
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    parts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return parts


def figures_of(phases: list[list]) -> dict:
    """Rate and latency of one or more phases of a kind, taken together: the requests that
    succeeded over the phases' summed duration (each phase lasts as long as its slowest
    client), percentiles over every request's latency."""
    parts = [part for phase in phases for part in phase]
    sent = sum(p[0] for p in parts)
    ok = sum(p[1] for p in parts)
    elapsed = sum(max(p[3] for p in phase) for phase in phases)
    latencies = sorted(x for p in parts for x in p[2])
    pct = (
        (lambda q: round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2))
        if latencies
        else (lambda q: None)
    )
    return {
        "sent": sent,
        "ok": ok,
        "seconds": round(elapsed, 2),
        "rps": round(ok / elapsed, 1),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "load_average": round(os.getloadavg()[0], 2),
    }


def warm_up(port, starts: list, reports: list, clients: int, threads: int) -> tuple[dict, list, list]:
    """A second of each kind of request, so that every connection of the pool has prepared
    the statements it sends before a phase is timed (otherwise the first phase alone pays it).
    Returns each kind's figures and the starts and reports left for the phases."""
    figures = {
        kind: load(port, kind, work, 1, clients, threads)
        for kind, work in (("bare", None), ("floor", None), ("start", starts[:WARM_UP]), ("report", reports[:WARM_UP]))
    }
    return figures, starts[WARM_UP:], reports[WARM_UP:]


def check_phase(label: str, figures: dict, work: list | None) -> None:
    """Warn when a phase ran out of prepared work; stop when none of its requests succeeded."""
    if work is not None and figures["sent"] >= len(work):
        print(f"  warning: {label} ran out of prepared work; raise --listeners/--report-plays", flush=True)
    if not figures["ok"]:  # every ratio divides by a rate
        sys.exit(f"{label}: no request succeeded (the first answers of each status are above)")


def ratios_by_round(subject: list, floor: list) -> list[float]:
    """Each round's rate of a phase over that round's floor."""
    return [round(figures_of([s])["rps"] / figures_of([f])["rps"], 3) for s, f in zip(subject, floor, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL, help="a PostgreSQL server URL (a database is created on it)")
    parser.add_argument("--duration", type=float, default=5, help="seconds per phase")
    parser.add_argument(
        "--rounds", type=int, default=4, help="rounds of a floor, a start and a report phase (interleaved)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--clients", type=int, default=2, help="load generator processes")
    parser.add_argument("--client-threads", type=int, default=8, help="connections per load generator process")
    parser.add_argument("--listeners", type=int, default=5000, help="listeners starting plays (as many again report)")
    parser.add_argument("--report-plays", type=int, default=12000)
    parser.add_argument("--subsonic-listeners", type=int, default=1500, help="listeners per Subsonic/web start phase")
    args = parser.parse_args()

    name = f"encore_stream_bench_{uuid.uuid4().hex[:8]}"
    with admin_engine(args.url).connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    server = None
    try:
        with tempfile.TemporaryDirectory(prefix="encore-stream-bench-") as workdir:
            media = os.path.join(workdir, "media")
            print(
                f"seeding {args.listeners} listeners, {TRACKS} tracks, {args.report_plays} countable plays ...",
                flush=True,
            )
            seed = prepare(db_url, media, args.listeners, args.report_plays)
            subsonic_seed = prepare_subsonic(db_url, media, seed["tracks"], args.subsonic_listeners)
            port = free_port()
            server = start_server(db_url, media, workdir, port, args.workers, args.threads)
            warm, starts, reports = warm_up(
                port, start_work(seed), report_work(seed), args.clients, args.client_threads
            )
            phases: dict[str, list] = {kind: [] for kind in ("bare", "floor", "start", "report")}
            load_averages: dict[str, list] = {kind: [] for kind in phases}  # at the end of each phase

            def phase(label: str, kind: str, work: list | None = None) -> None:
                checkpoint(args.url)  # each phase starts from the same state of the server (see checkpoint)
                parts = run_phase(port, kind, work, args.duration, args.clients, args.client_threads)
                phases[kind].append(parts)
                r = figures_of([parts])
                load_averages[kind].append(r["load_average"])
                print(
                    f"{label:15s} {r['rps']:8.1f} req/s  ok {r['ok']}/{r['sent']}  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms"
                    f"  (load average {r['load_average']})",
                    flush=True,
                )
                check_phase(label, r, work)

            phase("bare", "bare")
            for n in range(args.rounds):
                order = ("floor", "start", "report") if n % 2 == 0 else ("report", "start", "floor")
                for kind in order:
                    work = {"start": starts, "report": reports}.get(kind)
                    phase(f"{kind} {n + 1}", kind, None if work is None else round_share(work, n, args.rounds))
            phase("bare", "bare")
            runs = {
                label: figures_of(phases[kind]) | {"load_average": load_averages[kind]} for label, kind in RUNS.items()
            }
            per_round = {
                "play_start": ratios_by_round(phases["start"], phases["floor"]),
                "counted_report": ratios_by_round(phases["report"], phases["floor"]),
            }
            runs |= subsonic_vs_web_start(port, subsonic_seed, args)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        server = None
        # the warm-up's reports counted too
        checks = verify(db_url, runs["counted_report"]["ok"] + warm["report"]["ok"])
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        with admin_engine(args.url).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    bare, floor = runs["bare"]["rps"], runs["floor"]["rps"]
    start_ratio = runs["play_start"]["rps"] / bare
    report_ratio = runs["counted_report"]["rps"] / bare
    start_floor = runs["play_start"]["rps"] / floor
    report_floor = runs["counted_report"]["rps"] / floor
    print(
        f"bare route {bare:.1f} req/s; play start {start_ratio:.2f}x (goal >= 0.5x: "
        f"{'met' if start_ratio >= 0.5 else 'missed'}); counted report {report_ratio:.2f}x (goal >= 0.33x: "
        f"{'met' if report_ratio >= 0.33 else 'missed'})"
    )
    print(
        f"insert-and-commit floor {floor:.1f} req/s; play start {start_floor:.2f}x (target >= 0.7x: "
        f"{'met' if start_floor >= 0.7 else 'MISSED'}); counted report {report_floor:.2f}x (target >= 0.5x: "
        f"{'met' if report_floor >= 0.5 else 'MISSED'})"
    )
    print(f"by round: play start {per_round['play_start']}, counted report {per_round['counted_report']}")
    figures = {
        "benchmark": "stream_play_start_and_counted_report_vs_bare_flask",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}",
        "duration_s": args.duration,
        "rounds": args.rounds,
        "gunicorn": f"gthread {args.workers}x{args.threads}",
        "load": f"{args.clients}x{args.client_threads} keep-alive connections",
        "bare_rps": round(bare, 1),
        "bare": runs["bare"],
        "floor_rps": round(floor, 1),
        "floor": runs["floor"],
        "play_start": runs["play_start"],
        "counted_report": runs["counted_report"],
        "floor_ratio_by_round": per_round,
        "play_start_ratio": round(start_ratio, 3),
        "counted_report_ratio": round(report_ratio, 3),
        "play_start_floor_ratio": round(start_floor, 3),
        "counted_report_floor_ratio": round(report_floor, 3),
        "ratio": {
            "play_start": round(start_ratio, 3),
            "counted_report": round(report_ratio, 3),
            "play_start_floor": round(start_floor, 3),
            "counted_report_floor": round(report_floor, 3),
        },
        "targets": {"play_start_floor": 0.7, "counted_report_floor": 0.5},
        "goals": {"play_start": 0.5, "counted_report": 0.33},
        "subsonic": subsonic_figures(runs),
        **checks,
    }
    print(json.dumps(figures))


def verify(db_url: str, counted_ok: int) -> dict:
    """Every counted report charged exactly one play; the ledger's invariants hold."""
    from sqlalchemy.orm import Session

    import ledger

    engine = create_engine(db_url)
    with Session(engine) as session:
        counted = session.scalar(text("SELECT count(*) FROM plays WHERE counted_at IS NOT NULL"))
        # The history's plays (keys 'history-...', written before the phases) are not the phases'.
        ledger_plays = session.scalar(
            text("SELECT count(*) FROM ledger_plays WHERE idempotency_key NOT LIKE 'history-%'")
        )
        report = ledger.verify(session)
    engine.dispose()
    return {
        "plays_counted": counted,
        "ledger_plays": ledger_plays,
        "counted_reports_ok": counted_ok,
        "exactly_once": counted == ledger_plays == counted_ok,
        "ledger_verify_ok": report.ok,
    }


# --- metering: the head, then the rest at the count point ---------------------------------------
#
#     python bench/stream_bench.py --metering [--rounds 150]
#
# In one process, through the WSGI app (so the figures are the server's path, no network), on
# local storage with real transcoded audio: the time from a play's start to its first audio
# byte, for a metered play (the head; warm: the head object exists) against today's path (an
# unmetered play: the whole file), and the extra request at the count point (GET of the rest,
# which counts the play) against today's request there (the progress report that counts it).
# Rounds alternate the two sides to cancel drift; medians are reported.


def _metering_app(db_url: str, media: str):
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": db_url,
            "STORAGE_URL": f"file://{media}",
            "SECRET_KEY": "bench",
            "STREAM_START_LIMIT": "100000 per minute",
            "STREAM_PROGRESS_LIMIT": "100000 per minute",
            "QUEUE_IMMEDIATE": True,
        }
    )


def _metering_seed(app, workdir: str, listeners: int) -> dict:
    """Two processed 120-s tracks (one free: today's whole-file path), listeners with tokens."""
    from flask_migrate import upgrade

    import ledger
    from app.accounts.models import ApiToken, User
    from app.catalog import services as catalog
    from app.core.extensions import db
    from app.uploads.services import processing, uploads
    from tests import media as test_media

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        uploader = User(email="bench-artist@example.test", password_hash="x", display_name="Bench Artist")
        db.session.add(uploader)
        artist = catalog.create_artist(name="Bench Metering")
        release = catalog.create_release(artist, title="Bench Metering")
        ids = []
        for name, free, seconds in (("metered", False, 120), ("whole", True, 120.5)):
            path = test_media.make_audio(Path(workdir) / name, "wav", seconds=seconds)
            received = uploads.ReceivedFile(
                path, path.name, path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()
            )
            (track,) = uploads.add_tracks(release, uploader, [received]).tracks
            track.free = free
            db.session.commit()
            processing.process_track(track.id)
            db.session.commit()
            ids.append(track.id)
        tokens = []
        for i in range(listeners):
            user = User(email=f"bench-m{i}@example.test", password_hash="x", display_name=f"M {i}")
            db.session.add(user)
            db.session.flush()
            token = "enc_" + secrets.token_urlsafe(24)
            db.session.add(
                ApiToken(
                    user_id=user.id, name="b", token_hash=hashlib.sha256(token.encode()).hexdigest(), prefix=token[:12]
                )
            )
            ledger.top_up(db.session, key=f"bench-m-{user.id}", listener_id=user.id, amount=20_000_000)
            tokens.append(token)
        db.session.commit()
        return {"metered": ids[0], "whole": ids[1], "tokens": tokens}


def _first_byte(client, url: str, headers: dict) -> tuple[float, object]:
    """Seconds until the first body byte of GET ``url``; the response."""
    began = time.perf_counter()
    response = client.get(url, headers=headers, buffered=False)
    next(iter(response.response), b"")
    elapsed = time.perf_counter() - began
    response.close()
    return elapsed, response


def _backdate(app, play_id: str, seconds: int) -> None:
    from app.core.extensions import db

    with app.app_context():
        db.session.execute(
            text(
                "UPDATE plays SET started_at = started_at - make_interval(secs => :s), "
                "expires_at = expires_at - make_interval(secs => :s) WHERE id = :id"
            ),
            {"s": seconds, "id": play_id},
        )
        db.session.commit()


def metering_bench(db_url: str, rounds: int) -> dict:
    import statistics

    with tempfile.TemporaryDirectory(prefix="encore-metering-bench-") as workdir:
        app = _metering_app(db_url, os.path.join(workdir, "media"))
        seed = _metering_seed(app, workdir, listeners=rounds)
        client = app.test_client()
        figures: dict[str, list[float]] = {k: [] for k in ("start_whole", "start_metered", "rest", "report")}
        cold = None
        for i, token in enumerate(seed["tokens"]):
            headers = {"Authorization": f"Bearer {token}"}
            order = ("metered", "whole") if i % 2 else ("whole", "metered")
            for side in order:
                began = time.perf_counter()
                play = client.post(f"/api/v1/tracks/{seed[side]}/plays", headers=headers).json["play"]
                started = time.perf_counter() - began
                seconds, response = _first_byte(client, play["streams"]["mp3"], headers)
                if side == "metered" and cold is None:
                    cold = started + seconds  # the first play of the track makes its head
                    continue
                figures[f"start_{side}"].append(started + seconds)
                if side == "metered":
                    head = int(response.headers["Encore-Head-Bytes"])
                    _backdate(app, play["id"], 60)
                    # Today's request at the count point: the progress report that counts.
                    # Now: the same report, or the GET of the rest; measured on two plays.
                    seconds, rest = _first_byte(client, play["streams"]["mp3"], headers | {"Range": f"bytes={head}-"})
                    assert rest.status_code == 206, rest.status_code
                    figures["rest"].append(seconds)
                    other = client.post(f"/api/v1/tracks/{seed['metered']}/plays", headers=headers).json["play"]
                    _backdate(app, other["id"], 60)
                    began = time.perf_counter()
                    counted = client.post(other["progress_url"], headers=headers, json={"position_ms": 45_000})
                    figures["report"].append(time.perf_counter() - began)
                    assert counted.json["counted"], counted.json
                    client.post(other["end_url"], headers=headers)
                client.post(play["end_url"], headers=headers)
        with app.app_context():
            import ledger
            from app.core.extensions import db

            ok = ledger.verify(db.session).ok
            db.engine.dispose()
    ms = {k: statistics.median(v) * 1000 for k, v in figures.items()}
    return {
        "rounds": rounds,
        "start_to_first_byte_whole_ms": round(ms["start_whole"], 2),
        "start_to_first_byte_metered_ms": round(ms["start_metered"], 2),
        "start_to_first_byte_ratio": round(ms["start_metered"] / ms["start_whole"], 3),
        "first_metered_play_cold_ms": round(cold * 1000, 2),
        "rest_request_ms": round(ms["rest"], 2),
        "counting_report_ms": round(ms["report"], 2),
        "rest_request_ratio": round(ms["rest"] / ms["report"], 3),
        "ledger_verify_ok": ok,
    }


def metering_main(url: str, rounds: int) -> None:
    name = f"encore_metering_bench_{uuid.uuid4().hex[:8]}"
    with admin_engine(url).connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        result = metering_bench(make_url(url).set(database=name).render_as_string(hide_password=False), rounds)
    finally:
        with admin_engine(url).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    for key, value in result.items():
        print(f"{key:34} {value}")
    print(json.dumps(result))


# --- the Subsonic stream start against the web player's start ------------------------------------

START_BYTES = 64 * 1024  # what a player asks for first: the start of the stream


def prepare_subsonic(db_url: str, media: str, track_ids: list[int], listeners: int) -> dict:
    """Listeners of their own (three groups: web, Subsonic, web again; each starts at most 3
    plays, the open-plays limit) and real stream files for every track."""
    from sqlalchemy import insert as sa_insert
    from sqlalchemy.orm import Session

    import ledger
    from app.accounts.models import ApiToken, Role, User

    # Real renditions (a 200-s tone, as long as the tracks say they are): a metered play is
    # handed the head of its rendition, cut at a frame, so the files must be real audio.
    renditions = {}
    for name, codec in (("stream.mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]), ("stream.opus", ["-c:a", "libopus"])):
        path = Path(media, "bench-renditions", name)
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=200", *codec, str(path)],
            check=True,
        )
        renditions[name] = path.read_bytes()
    for track_id in track_ids:
        for name, data in renditions.items():
            path = Path(media, "tracks", str(track_id), name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    now = datetime.now(timezone.utc)
    engine = create_engine(db_url)
    with Session(engine) as session:
        rows = [
            {
                "email": f"subsonic{i}@example.test",
                "password_hash": "x",
                "display_name": f"Subsonic {i}",
                "role": Role.LISTENER,
                "created_at": now,
            }
            for i in range(3 * listeners)
        ]
        user_ids = list(session.scalars(sa_insert(User).returning(User.id), rows))
        tokens = ["enc_" + secrets.token_urlsafe(24) for _ in user_ids]
        session.execute(
            sa_insert(ApiToken),
            [
                {
                    "user_id": uid,
                    "name": "bench",
                    "token_hash": hashlib.sha256(t.encode()).hexdigest(),
                    "prefix": t[:12],
                    "created_at": now,
                }
                for uid, t in zip(user_ids, tokens, strict=True)
            ],
        )
        for uid in user_ids:
            ledger.top_up(session, key=f"subsonic-top-up-{uid}", listener_id=uid, amount=20_000_000)
        session.commit()
    engine.dispose()
    groups = [tokens[i * listeners : (i + 1) * listeners] for i in range(3)]
    return {"tracks": track_ids, "web_1": groups[0], "subsonic": groups[1], "web_2": groups[2]}


def _start_client(port, kind, work, duration, threads, out):
    """Like ``client_process``, for starts that chain requests: ``web`` is POST the start, then
    GET the first bytes of its MP3 stream URL; ``subsonic`` is one GET of /rest/stream."""
    import threading

    results = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration
    first_bytes = {"Range": f"bytes=0-{START_BYTES - 1}"}

    def run(slot):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = work[slot::threads]
        n = ok = 0
        latencies = []
        while time.perf_counter() < stop_at and n < len(mine):
            track_id, token = mine[n]
            n += 1
            started = time.perf_counter()
            try:
                if kind == "web":
                    conn.request(
                        "POST", f"/api/v1/tracks/{track_id}/plays", headers={"Authorization": f"Bearer {token}"}
                    )
                    response = conn.getresponse()
                    payload = response.read()
                    if response.status != 201:
                        continue
                    url = json.loads(payload)["play"]["streams"]["mp3"]
                    conn.request("GET", url, headers={"Authorization": f"Bearer {token}", **first_bytes})
                else:
                    conn.request(
                        "GET", f"/rest/stream?id=tr-{track_id}&apiKey={token}&v=1.16.1&c=bench", headers=first_bytes
                    )
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            if response.status == 206 and len(body) == START_BYTES:
                ok += 1
                latencies.append(time.perf_counter() - started)
            elif ok == 0:
                print(f"  {kind} start -> {response.status} {body[:200]!r}", flush=True)
        with lock:
            results.append((n, ok, latencies))

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    began = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    out.put((sum(r[0] for r in results), sum(r[1] for r in results), [x for r in results for x in r[2]], elapsed))


def _start_load(port, kind, work, duration, clients, threads) -> dict:
    out = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_start_client, args=(port, kind, work[i::clients], duration, threads, out))
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    parts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    ok = sum(p[1] for p in parts)
    elapsed = max(p[3] for p in parts)
    latencies = sorted(x for p in parts for x in p[2])

    def pct(q):
        return round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else None

    return {
        "sent": sum(p[0] for p in parts),
        "ok": ok,
        "seconds": round(elapsed, 2),
        "rps": round(ok / elapsed, 1),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "load_average": round(os.getloadavg()[0], 2),
    }


def subsonic_vs_web_start(port: int, seed: dict, args) -> dict:
    """Web start, Subsonic stream start, web start again, each with its own listeners (at
    most 3 plays each, rotating over the tracks). Returns the three runs."""
    tracks = seed["tracks"]

    def work(tokens):
        return [(tracks[(i // len(tokens)) % len(tracks)], tokens[i % len(tokens)]) for i in range(3 * len(tokens))]

    runs = {}
    for label, kind, tokens in (
        ("web_start_1", "web", seed["web_1"]),
        ("subsonic_stream_start", "subsonic", seed["subsonic"]),
        ("web_start_2", "web", seed["web_2"]),
    ):
        runs[label] = r = _start_load(port, kind, work(tokens), args.duration, args.clients, args.client_threads)
        print(
            f"{label:22s} {r['rps']:8.1f} starts/s  ok {r['ok']}/{r['sent']}  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms"
            f"  (load average {r['load_average']})",
            flush=True,
        )
        if r["sent"] >= 3 * len(tokens):
            print(f"  warning: {label} ran out of listeners; raise --subsonic-listeners", flush=True)
    return runs


def subsonic_figures(runs: dict) -> dict:
    """The Subsonic start's time per start against the web start's (mean of its two runs)."""
    web_rps = (runs["web_start_1"]["rps"] + runs["web_start_2"]["rps"]) / 2
    sub = runs["subsonic_stream_start"]
    time_ratio = web_rps / sub["rps"] if sub["rps"] else float("inf")
    web_p50 = (runs["web_start_1"]["p50_ms"] + runs["web_start_2"]["p50_ms"]) / 2
    p50_ratio = sub["p50_ms"] / web_p50 if sub["p50_ms"] and web_p50 else None
    print(
        f"Subsonic stream start: {time_ratio:.2f}x the web start's time per start (target <= 1.2x: "
        f"{'met' if time_ratio <= 1.2 else 'MISSED'}); p50 latency {p50_ratio:.2f}x"
    )
    return {
        "web_start_1": runs["web_start_1"],
        "stream_start": sub,
        "web_start_2": runs["web_start_2"],
        "web_start_rps": round(web_rps, 1),
        "time_per_start_ratio": round(time_ratio, 3),
        "p50_ratio": round(p50_ratio, 3) if p50_ratio is not None else None,
        "target_time_per_start_ratio": 1.2,
    }


if __name__ == "__main__":
    if "--metering" in sys.argv:
        metering = argparse.ArgumentParser(description="metering: the head, then the rest")
        metering.add_argument("--metering", action="store_true")
        metering.add_argument("--url", default=DEFAULT_URL)
        metering.add_argument("--rounds", type=int, default=150)
        options = metering.parse_args()
        metering_main(options.url, options.rounds)
    else:
        main()
