"""`flask db upgrade` takes a PostgreSQL advisory lock: two instances starting together on a
fresh database both succeed, one after the other, and the schema ends exactly at head."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.resources import fresh_database

ROOT = Path(__file__).resolve().parent.parent


def migration_lock_key() -> int:
    """The key migrations/env.py locks (env.py runs on import, so it is read, not imported)."""
    source = (ROOT / "migrations" / "env.py").read_text()
    return int(re.search(r"^MIGRATION_LOCK_KEY = (0x[0-9A-Fa-f]+)$", source, re.M).group(1), 16)


def upgrade_env(database_url: str, media) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENCORE_")}
    return {
        **env,
        "FLASK_APP": "wsgi",
        "ENCORE_DATABASE_URL": database_url,
        "ENCORE_SECRET_KEY": "x",
        "ENCORE_STORAGE_URL": f"file://{media}",
        "PYTHONPATH": str(ROOT),
    }


@pytest.mark.committing
def test_two_concurrent_upgrades_wait_for_the_lock_and_both_succeed(tmp_path):
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    key = migration_lock_key()
    with fresh_database(tmp_path, "miglock") as url:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        env = upgrade_env(url, tmp_path / "media")
        command = [sys.executable, "-m", "flask", "db", "upgrade"]
        try:
            with engine.connect() as holder:
                # Hold the lock ourselves first, so both upgrades are seen waiting (not a race
                # the test might lose to timing), then let them go together.
                holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
                procs = [
                    subprocess.Popen(
                        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                    )
                    for _ in range(2)
                ]
                waiting = 0
                deadline = time.monotonic() + 60
                while waiting < 2 and time.monotonic() < deadline:
                    assert all(p.poll() is None for p in procs), [p.communicate()[0] for p in procs]
                    waiting = holder.execute(
                        text(
                            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                            " WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()"
                        )
                    ).scalar()
                    time.sleep(0.1)
                assert waiting == 2, "both upgrades should wait on the migration lock"
                assert holder.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None
                holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            outputs = [p.communicate(timeout=300)[0] for p in procs]
            assert [p.returncode for p in procs] == [0, 0], outputs
            assert sum("Another process is migrating" in out for out in outputs) == 2
            with engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
                # Nobody holds the lock any more.
                assert conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        finally:
            engine.dispose()
