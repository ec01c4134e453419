"""Benchmark: the server's instructions per counted play's charge, counted by callgrind.

    python bench/ledger_instructions.py [--listeners 1000] [--charges 400]

Timed runs on a shared 2-core VM spread ±15 % between identical runs, more than most schema
or function changes move; an instruction count does not depend on the machine's load. A
private PostgreSQL cluster (``app.core.embedded_db``, in a temporary directory) gets the
ledger's schema with funded listeners and a history, analysed (``ledger_bench.prepare``, as
the timed benchmark has it), and every artist's account. Two copies of that database are
then charged by a single-user backend (``postgres --single``) under
``valgrind --tool=callgrind``: a short run of ``--warm`` charges and a long run of the same
charges followed by ``--charges`` more (the same keys, listeners and tracks). Instructions
per charge = (long - short) / ``--charges``: the backend's start-up, its first plans and the
caches it warms cancel out. Every charge must answer ``ok``.

The reference, counted the same way in the same cluster: pgbench's TPC-B transaction (scale
1, initialised by the wheel's ``pgbench -i``; BEGIN, three UPDATEs, a SELECT, an INSERT, END,
each a statement, with pgbench's random ranges). ``instruction_ratio`` = TPC-B's instructions
per transaction / a charge's: higher is better, as in ``ledger_bench``'s timed ratio. Neither
count holds what a timed run adds (network round trips, the client, lock waits, fsync), and
TPC-B pays most of it (seven round trips per transaction; its clients queue on its single
branch row), so the timed ratio is far above this one.

Compare figures from the same PostgreSQL build only (the embedded wheel's here). The last
line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_bench import prepare
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import ledger
import ledger.accounts
from app.core import embedded_db

ARTISTS = 50
TRACKS_PER_ARTIST = 10
_COLLECTED = re.compile(r"Collected : (\d+)")
CHARGED = 'outcome = "ok"'  # what the backend prints for each charge that went through
TPCB_DONE = 'abalance = "'  # ... and for each TPC-B transaction's SELECT


def charge_statements(count: int, listeners: int) -> str:
    """``count`` charges, one statement per line, the same ones on every call."""
    rng = random.Random(7)
    lines = []
    for n in range(count):
        listener, artist = rng.randint(1, listeners), rng.randint(1, ARTISTS)
        track = artist * 1000 + rng.randint(1, TRACKS_PER_ARTIST)
        lines.append(
            f"SELECT outcome FROM ledger_charge_play('cg-{n}', {listener}, {track}, {artist}, false, false, NULL)"
        )
    return "\n".join(lines) + "\n"


def tpcb_statements(count: int) -> str:
    """``count`` TPC-B transactions as pgbench's built-in script runs them (scale 1), one
    statement per line, the same ones on every call."""
    rng = random.Random(7)
    lines = []
    for _ in range(count):
        aid, tid, delta = rng.randint(1, 100_000), rng.randint(1, 10), rng.randint(-5000, 5000)
        lines += [
            "BEGIN",
            f"UPDATE pgbench_accounts SET abalance = abalance + {delta} WHERE aid = {aid}",
            f"SELECT abalance FROM pgbench_accounts WHERE aid = {aid}",
            f"UPDATE pgbench_tellers SET tbalance = tbalance + {delta} WHERE tid = {tid}",
            f"UPDATE pgbench_branches SET bbalance = bbalance + {delta} WHERE bid = 1",
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)"
            f" VALUES ({tid}, 1, {aid}, {delta}, CURRENT_TIMESTAMP)",
            "END",
        ]
    return "\n".join(lines) + "\n"


def counted_run(pgdata: Path, database: str, statements: str, expected: int, done_mark: str = CHARGED) -> int:
    """Instructions of one single-user backend running ``statements``; ``done_mark`` must
    appear ``expected`` times in its answers (every charge ``ok``, every transaction done)."""
    done = embedded_db.run_single_user(
        pgdata, database, statements, wrapper=["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    )
    answered = done.stdout.count(done_mark)
    if answered != expected:
        raise SystemExit(
            f"{database}: {answered} of {expected} answered {done_mark!r}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return int(_COLLECTED.search(done.stderr).group(1))


def per_unit(pgdata: Path, databases: tuple[str, str], statements, warm: int, counted: int, done_mark: str) -> tuple:
    """(short run, long run, instructions per unit): ``warm`` units, then ``warm + counted``."""
    short = counted_run(pgdata, databases[0], statements(warm), warm, done_mark)
    long = counted_run(pgdata, databases[1], statements(warm + counted), warm + counted, done_mark)
    return short, long, (long - short) / counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=1_000)
    parser.add_argument("--warm", type=int, default=200, help="charges of the short run (and the long run's first)")
    parser.add_argument("--charges", type=int, default=400, help="the charges counted: the long run's extra ones")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (Debian: apt install valgrind)")

    work = Path(tempfile.mkdtemp(prefix="encore-instructions-"))
    pgdata = work / "pgdata"
    try:
        cluster = embedded_db.ensure_cluster(pgdata, durable=False)
        admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE ledger"))
            server_version = conn.execute(text("SHOW server_version")).scalar()
        engine = create_engine(cluster.url("ledger"))
        prepare(cluster.url("ledger"), args.listeners, 100 * ledger.MICRO_PER_CREDIT, ARTISTS, TRACKS_PER_ARTIST)
        with Session(engine) as session:  # every account a charge credits exists, as in a running co-op
            ledger.accounts.account_ids(
                session,
                [(ledger.AccountKind.ARTIST_EARNINGS, a) for a in range(1, ARTISTS + 1)]
                + [(ledger.AccountKind.COOP_REVENUE, 0)],
            )
            session.commit()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE tpcb"))
        initialised = subprocess.run(
            [embedded_db.program("pgbench"), "-i", "-s", "1", "-q"]
            + ["-h", cluster.host, "-p", str(cluster.port), "-U", "postgres", "tpcb"],
            capture_output=True,
            text=True,
        )
        if initialised.returncode != 0:
            raise SystemExit(f"pgbench -i failed: {initialised.stderr[-2000:]}")
        with admin.connect() as conn:
            for template in ("ledger", "tpcb"):
                for copy in ("short", "long"):
                    conn.execute(text(f"CREATE DATABASE {template}_{copy} TEMPLATE {template}"))
        admin.dispose()
        embedded_db.stop_cluster(pgdata)

        short, long, per_charge = per_unit(
            pgdata,
            ("ledger_short", "ledger_long"),
            lambda count: charge_statements(count, args.listeners),
            args.warm,
            args.charges,
            CHARGED,
        )
        tpcb_short, tpcb_long, per_transaction = per_unit(
            pgdata, ("tpcb_short", "tpcb_long"), tpcb_statements, args.warm, args.charges, TPCB_DONE
        )
    finally:
        embedded_db.stop_cluster(pgdata)
        shutil.rmtree(work, ignore_errors=True)

    total = args.warm + args.charges
    ratio = per_transaction / per_charge
    print(f"short run ({args.warm} charges): {short:,} instructions; long run ({total}): {long:,}")
    print(f"instructions per charge: {per_charge / 1e6:.3f} M (PostgreSQL {server_version})")
    print(f"instructions per TPC-B transaction: {per_transaction / 1e6:.3f} M (runs: {tpcb_short:,}; {tpcb_long:,})")
    print(f"instruction ratio (TPC-B transaction / charge; higher is better): {ratio:.3f}")
    print(
        json.dumps(
            {
                "benchmark": "ledger_charge_instructions",
                "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, Python {platform.python_version()}",
                "postgresql": server_version,  # counts compare within one build only
                "listeners": args.listeners,
                "warm": args.warm,
                "charges": args.charges,
                "short_run_instructions": short,
                "long_run_instructions": long,
                "instructions_per_charge": round(per_charge),
                "tpcb_short_run_instructions": tpcb_short,
                "tpcb_long_run_instructions": tpcb_long,
                "instructions_per_tpcb_transaction": round(per_transaction),
                "instruction_ratio": round(ratio, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
