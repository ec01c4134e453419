"""Benchmark: two versions of the code, interleaved, on the streaming hot path.

    git worktree add /tmp/before <revision>
    python bench/stream_ab.py --before /tmp/before [--after .] [--rounds 4] [--duration 5]

Two runs of ``stream_bench``, one per version, are minutes apart; on a shared VM whose speed
drifts by more than a code change moves it, they cannot tell two versions apart. Here one
database is seeded once (``stream_bench.prepare``; the two trees must share its schema) and
both trees are served at once, each by its own gunicorn configured as ``stream_bench``'s.
Each round runs, for each tree in turn (the order alternating between rounds), the floor, the
play start and the counted report phases, each after a ``CHECKPOINT``. Printed per tree: the
start / floor and report / floor ratios per round and over all rounds, and each phase's CPU
per request of the tree's gunicorn workers and of the PostgreSQL server (from ``/proc``: a
server on this machine). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import tempfile
import uuid
from pathlib import Path

import stream_bench as bench  # this folder's (the script's own directory is on sys.path)
from sqlalchemy import make_url, text

PHASES = ("floor", "start", "report")


def cpu_ticks(pids) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended
        total += int(fields[11]) + int(fields[12])
    return total


def server_pids() -> list[str]:
    out = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(b"postgres"):
                out.append(entry.name)
        except OSError:
            continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="a checkout of the earlier code")
    parser.add_argument("--after", default=str(bench.ROOT), help="a checkout of the later code (default: this one)")
    parser.add_argument("--url", default=bench.DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=float, default=5, help="seconds per phase")
    parser.add_argument("--listeners", type=int, default=8000)
    args = parser.parse_args()
    trees = {"before": str(Path(args.before).resolve()), "after": str(Path(args.after).resolve())}
    phases = 2 * args.rounds  # of each kind
    warmed = len(trees) * bench.WARM_UP  # starts and reports sent by the warm-ups
    starts_each = (3 * args.listeners - warmed) // phases  # each listener starts at most 3 plays (the limit)
    reports_each = int(args.duration * 600)

    name = f"encore_stream_ab_{uuid.uuid4().hex[:8]}"
    with bench.admin_engine(args.url).connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    servers = {}
    results: dict[str, dict[str, list]] = {tree: {phase: [] for phase in PHASES} for tree in trees}
    try:
        with tempfile.TemporaryDirectory(prefix="encore-stream-ab-") as workdir:
            media = os.path.join(workdir, "media")
            seed = bench.prepare(db_url, media, args.listeners, reports_each * phases + warmed)
            ports = {}
            for tree, root in trees.items():
                ports[tree] = bench.free_port()
                os.makedirs(os.path.join(workdir, tree))
                servers[tree] = bench.start_server(
                    db_url, media, os.path.join(workdir, tree), ports[tree], 2, 4, root=root
                )
            # Warm up each tree (its pool's connections open and prepare their statements: the
            # server's CPU is read from the backends that exist when a phase starts).
            starts, reports = bench.start_work(seed), bench.report_work(seed)
            for port in ports.values():
                _, starts, reports = bench.warm_up(port, starts, reports, 2, 8)
            workers = {tree: bench.worker_pids(server) for tree, server in servers.items()}
            for n in range(args.rounds):
                for tree in trees if n % 2 == 0 else reversed(list(trees)):
                    for phase in PHASES:
                        work = None
                        if phase == "start":
                            work, starts = starts[:starts_each], starts[starts_each:]
                        elif phase == "report":
                            work, reports = reports[:reports_each], reports[reports_each:]
                        bench.checkpoint(args.url)
                        server = server_pids()
                        app0, db0 = cpu_ticks(workers[tree]), cpu_ticks(server)
                        run = bench.load(ports[tree], phase, work, args.duration, 2, 8)
                        bench.check_phase(f"round {n} {tree} {phase}", run, work)
                        ticks = os.sysconf("SC_CLK_TCK")
                        run["app_cpu_ms"] = round((cpu_ticks(workers[tree]) - app0) * 1000 / ticks / run["ok"], 3)
                        run["server_cpu_ms"] = round((cpu_ticks(server) - db0) * 1000 / ticks / run["ok"], 3)
                        results[tree][phase].append(run)
                        print(
                            f"round {n} {tree:6s} {phase:6s} {run['rps']:7.1f} req/s  app {run['app_cpu_ms']:.2f} ms"
                            f"  server {run['server_cpu_ms']:.2f} ms per request",
                            flush=True,
                        )
    finally:
        for server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        with bench.admin_engine(args.url).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    summary = {}
    for tree, runs in results.items():
        floor = sum(r["rps"] for r in runs["floor"])
        summary[tree] = {"code": trees[tree]}
        for phase in PHASES:
            summary[tree][f"{phase}_app_cpu_ms"] = round(sum(r["app_cpu_ms"] for r in runs[phase]) / args.rounds, 3)
            summary[tree][f"{phase}_server_cpu_ms"] = round(
                sum(r["server_cpu_ms"] for r in runs[phase]) / args.rounds, 3
            )
        for phase in ("start", "report"):
            per_round = [round(r["rps"] / f["rps"], 3) for r, f in zip(runs[phase], runs["floor"], strict=True)]
            summary[tree][f"{phase}_floor_ratio"] = round(sum(r["rps"] for r in runs[phase]) / floor, 3)
            summary[tree][f"{phase}_floor_ratio_per_round"] = per_round
            print(f"{tree:6s} {phase} / floor {summary[tree][f'{phase}_floor_ratio']:.3f} (rounds: {per_round})")
    print(json.dumps({"benchmark": "stream_ab", "rounds": args.rounds, "duration_s": args.duration, **summary}))


if __name__ == "__main__":
    main()
