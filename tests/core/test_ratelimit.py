"""Where rate limits are counted: memory by default, Redis when ENCORE_REDIS_URL is set."""

import os
import threading
import time
import uuid

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.core.ratelimit import SweptMemoryStorage, limiter, storage_uri
from tests.conftest import make_test_app
from tests.resources import missing


def test_memory_by_default_and_redis_when_configured(app, tmp_path):
    assert storage_uri({}) == "encore-memory://"
    assert storage_uri({"REDIS_URL": "redis://cache:6379/0"}) == "redis://cache:6379/0"
    assert app.config["RATELIMIT_STORAGE_URI"] == "encore-memory://"
    # Another app in the same process with Redis configured counts there; this one does not move.
    other = make_test_app("postgresql://encore@db.invalid/x", tmp_path / "media", REDIS_URL="redis://127.0.0.1:6379/15")
    with other.app_context():
        assert type(limiter.storage).__name__ == "FallbackStorage"
        assert type(limiter.storage.primary).__name__ == "RedisStorage"
    with app.app_context():
        assert type(limiter.storage).__name__ == "SweptMemoryStorage"


def test_redis_counts_one_limit_for_every_process():
    url = os.environ.get("ENCORE_TEST_REDIS_URL")
    if not url:
        missing("Redis tests need ENCORE_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    # Two storages on one URL stand for two gunicorn processes: they share the count.
    first, second = (FixedWindowRateLimiter(storage_from_string(storage_uri({"REDIS_URL": url}))) for _ in range(2))
    limit, key = parse("3 per minute"), f"user:{uuid.uuid4().hex}"
    assert [first.hit(limit, key), second.hit(limit, key), first.hit(limit, key)] == [True, True, True]
    assert second.hit(limit, key) is False


def test_memory_counts_without_a_thread_per_hit(monkeypatch):
    # limits' MemoryStorage starts a Timer thread on nearly every hit (one per request);
    # this storage sweeps expired counters inline, at most once per SWEEP_EVERY seconds.
    storage = storage_from_string("encore-memory://")
    assert isinstance(storage, SweptMemoryStorage)
    limiter_ = FixedWindowRateLimiter(storage)
    limit = parse("3 per second")
    time.sleep(0.05)  # the parent's one Timer, started by its __init__, has run
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    assert [limiter_.hit(limit, "user:1") for _ in range(4)] == [True, True, True, False]
    assert started == []
    monkeypatch.setattr(SweptMemoryStorage, "SWEEP_EVERY", 0.0)
    storage._next_sweep = 0.0
    limiter_.hit(parse("1 per second"), "user:2")
    time.sleep(1.05)
    limiter_.hit(parse("5 per second"), "user:3")  # the sweep drops the expired counters
    assert started == []
    assert [key for key in storage.storage if "user:1" in key or "user:2" in key] == []
    assert limiter_.hit(limit, "user:1")  # a new window counts from zero


def test_flask_limiter_skips_only_the_routes_that_count_themselves(app, monkeypatch):
    """The play start and the progress report count with ``count_hit`` (and still answer 429:
    tests/streaming/test_callers.py); every other route keeps Flask-Limiter's own check."""
    checked = []
    resolve = limiter.limit_manager.resolve_limits
    monkeypatch.setattr(
        limiter.limit_manager, "resolve_limits", lambda *a, **k: checked.append(a[1]) or resolve(*a, **k)
    )
    client = app.test_client()
    client.post("/api/v1/tracks/1/plays")
    client.post("/api/v1/plays/x/progress", json={"position_ms": 0})
    assert checked == []
    client.post("/api/v1/auth/login", json={"email": "nobody@example.test", "password": "x"})
    assert set(checked) == {"api.login"}
