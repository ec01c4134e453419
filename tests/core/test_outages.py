"""Outages answer 503 + Retry-After (507 for a full disk) within the configured timeouts,
in the API's one error shape and as a page; Redis down never fails a play."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import make_url, text

from app.core.extensions import db
from tests.conftest import make_test_app
from tests.factories import bearer, make_user, token_for
from tests.faults import FreezableProxy, FrozenListener, closed_port
from tests.streaming.streaming_helpers import backdate, make_streamable_track


def _via(database_url: str, port: int) -> str:
    return make_url(database_url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def _assert_unavailable(r, status=503):
    assert r.status_code == status, r.data[:300]
    assert int(r.headers["Retry-After"]) > 0


@pytest.mark.committing
def test_frozen_database_answers_503_within_the_connect_timeout(database_url, tmp_path):
    with FrozenListener() as frozen:
        app = make_test_app(_via(database_url, frozen.port), tmp_path / "media", DATABASE_CONNECT_TIMEOUT=2)
        client = app.test_client()
        started = time.monotonic()
        r = client.get("/api/v1/artists")
        elapsed = time.monotonic() - started
        _assert_unavailable(r)
        assert r.json == {"error": {"code": "unavailable", "message": r.json["error"]["message"]}}
        assert "database" in r.json["error"]["message"] and str(frozen.port) not in r.json["error"]["message"]
        assert elapsed < 6, elapsed
        page = client.get("/artists")
        _assert_unavailable(page)
        assert page.content_type.startswith("text/html") and b"try again" in page.data.lower()
        with app.app_context():
            db.engine.dispose()


@pytest.mark.committing
def test_database_freezing_mid_session_answers_503_within_the_read_timeout(app, database_url, tmp_path):
    server = make_url(database_url)
    with FreezableProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        other = make_test_app(
            _via(database_url, proxy.port),
            tmp_path / "media",
            DATABASE_CONNECT_TIMEOUT=2,
            DATABASE_STATEMENT_TIMEOUT_MS=1000,
            DATABASE_READ_TIMEOUT=2,
        )
        client = other.test_client()
        assert client.get("/api/v1/artists").status_code == 200  # a pooled connection now exists
        proxy.freeze()
        started = time.monotonic()
        r = client.get("/api/v1/artists")
        elapsed = time.monotonic() - started
        _assert_unavailable(r)
        assert elapsed < 8, elapsed  # the read deadline (2 s), then one reconnect attempt (2 s)
        proxy.thaw()
        assert client.get("/api/v1/artists").status_code == 200  # heals by itself
        with other.app_context():
            db.engine.dispose()


@pytest.mark.committing
def test_statement_timeout_answers_503(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path / "media", DATABASE_STATEMENT_TIMEOUT_MS=300)

    @app.get("/api/v1/_slow_for_test")
    def slow():
        db.session.execute(text("SELECT pg_sleep(5)"))
        return {}

    started = time.monotonic()
    r = app.test_client().get("/api/v1/_slow_for_test")
    _assert_unavailable(r)
    assert time.monotonic() - started < 5  # 0.3 s, and slack for a loaded machine
    with app.app_context():
        db.engine.dispose()


@pytest.mark.committing
def test_unreachable_object_store_answers_503(database_url, tmp_path):
    port = closed_port()
    app = make_test_app(
        database_url,
        tmp_path / "media",
        STORAGE_URL="s3://nowhere/encore",
        S3_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        S3_ACCESS_KEY_ID="k",
        S3_SECRET_ACCESS_KEY="s",
        S3_ADDRESSING_STYLE="path",
        S3_CONNECT_TIMEOUT=1,
        S3_MAX_ATTEMPTS=1,
    )

    @app.get("/api/v1/_store_for_test")
    def store():
        from app.core.storage import get_store

        get_store().get_range("tracks/1/stream.mp3", 0, 10)
        return {}

    r = app.test_client().get("/api/v1/_store_for_test")
    _assert_unavailable(r)
    assert r.json["error"]["code"] == "unavailable" and str(port) not in r.json["error"]["message"]
    with app.app_context():
        db.engine.dispose()


@pytest.mark.committing
def test_full_disk_is_507(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path / "media")

    def write_to_a_full_disk():
        with open("/dev/full", "wb") as full:  # every write there fails with ENOSPC
            full.write(b"x")
            full.flush()

    app.add_url_rule("/api/v1/_full_for_test", "full_api", lambda: write_to_a_full_disk() or {})
    app.add_url_rule("/_full_for_test", "full_page", lambda: write_to_a_full_disk() or "")
    client = app.test_client()
    r = client.get("/api/v1/_full_for_test")
    _assert_unavailable(r, 507)
    assert r.json["error"]["code"] == "insufficient_storage"
    _assert_unavailable(client.get("/_full_for_test"), 507)
    with app.app_context():
        db.engine.dispose()


def test_redis_down_plays_start_and_count(app, database_url, tmp_path, caplog):
    """With Redis configured and unreachable, rate limits count in memory (with a warning)."""
    redis_url = f"redis://127.0.0.1:{closed_port()}/0"
    other = make_test_app(database_url, tmp_path / "media", REDIS_URL=redis_url)
    client = other.test_client()
    with other.app_context():
        track = make_streamable_track(duration_ms=120_000)
        headers = bearer(token_for(make_user()))
    caplog.set_level(logging.WARNING, logger="app.core.ratelimit")
    started = time.monotonic()
    r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers)
    assert r.status_code == 201, r.json
    play_id = r.json["play"]["id"]
    with other.app_context():
        backdate(play_id, 50)
    r = client.post(f"/api/v1/plays/{play_id}/progress", json={"position_ms": 50_000}, headers=headers)
    assert r.status_code == 200, r.json
    assert r.json["counted"] is True
    assert time.monotonic() - started < 10
    assert any("rate limit storage unreachable" in rec.getMessage() for rec in caplog.records)
    # Still limited, in memory: the configured limit holds within this process.
    other.config["STREAM_START_LIMIT"] = "1 per minute"
    statuses = [client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).status_code for _ in range(2)]
    assert statuses == [201, 429]
    with other.app_context():
        db.engine.dispose()


@pytest.mark.committing
def test_migrations_run_without_the_statement_timeout_and_leave_it_on(tmp_path):
    from tests.conftest import migrate_to_head
    from tests.resources import fresh_database

    with fresh_database(tmp_path, "unbounded") as url:
        app = make_test_app(url, tmp_path / "media", DATABASE_STATEMENT_TIMEOUT_MS=300)

        @app.get("/api/v1/_slow_for_test")
        def slow():
            db.session.execute(text("SELECT pg_sleep(1)"))
            return {}

        with app.app_context(), db.engine.connect() as conn:  # the pool now holds a bounded connection
            conn.execute(text("SELECT 1"))
        migrate_to_head(app)  # runs unbounded, on a connection then discarded
        with app.app_context():
            assert db.session.execute(text("SHOW statement_timeout")).scalar() == "300ms"
            db.session.remove()
        _assert_unavailable(app.test_client().get("/api/v1/_slow_for_test"))
        with app.app_context():
            db.engine.dispose()
