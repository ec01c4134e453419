"""Where rate limits are counted: memory by default, Redis when ENCORE_REDIS_URL is set."""

import os
import uuid

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.core.ratelimit import limiter, storage_uri
from tests.conftest import make_test_app
from tests.resources import missing


def test_memory_by_default_and_redis_when_configured(app, tmp_path):
    assert storage_uri({}) == "memory://"
    assert storage_uri({"REDIS_URL": "redis://cache:6379/0"}) == "redis://cache:6379/0"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    # Another app in the same process with Redis configured counts there; this one does not move.
    other = make_test_app("postgresql://encore@db.invalid/x", tmp_path / "media", REDIS_URL="redis://127.0.0.1:6379/15")
    with other.app_context():
        assert type(limiter.storage).__name__ == "FallbackStorage"
        assert type(limiter.storage.primary).__name__ == "RedisStorage"
    with app.app_context():
        assert type(limiter.storage).__name__ == "MemoryStorage"


def test_redis_counts_one_limit_for_every_process():
    url = os.environ.get("ENCORE_TEST_REDIS_URL")
    if not url:
        missing("Redis tests need ENCORE_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    # Two storages on one URL stand for two gunicorn processes: they share the count.
    first, second = (FixedWindowRateLimiter(storage_from_string(storage_uri({"REDIS_URL": url}))) for _ in range(2))
    limit, key = parse("3 per minute"), f"user:{uuid.uuid4().hex}"
    assert [first.hit(limit, key), second.hit(limit, key), first.hit(limit, key)] == [True, True, True]
    assert second.hit(limit, key) is False
