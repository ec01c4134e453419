"""Prometheus metrics at /metrics: for operators only; latency, plays, charges, jobs, queue
depth, outages; summed over gunicorn processes in multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from app.core.queue import enqueue
from tests.conftest import make_test_app
from tests.factories import bearer, make_user, token_for
from tests.streaming.streaming_helpers import backdate, make_streamable_track

ROOT = Path(__file__).resolve().parents[2]


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_only_for_loopback_without_a_proxy(client):
    client.get("/healthz/live")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert b"encore_http_request_duration_seconds_bucket" in r.data and b"encore_queue_depth" in r.data
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 404
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 404


def test_metrics_with_a_token_need_it_from_everywhere(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path / "media", METRICS_TOKEN="s3cret-token")
    client = app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    remote = {"REMOTE_ADDR": "203.0.113.5"}
    assert (
        client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}, environ_base=remote).status_code == 200
    )


def test_request_latency_by_endpoint(client):
    before = sample("encore_http_request_duration_seconds_count", method="GET", endpoint="health.live")
    client.get("/healthz/live")
    client.get("/healthz/live")
    assert sample("encore_http_request_duration_seconds_count", method="GET", endpoint="health.live") == before + 2
    assert sample("encore_http_requests_total", method="GET", endpoint="health.live", status="200") >= 2


def test_plays_started_counted_and_charged(client, app_ctx):
    track = make_streamable_track(duration_ms=120_000)
    headers = bearer(token_for(make_user()))
    started, counted = sample("encore_plays_started_total"), sample("encore_plays_counted_total")
    charges, micro = sample("encore_charges_total", kind="charged"), sample("encore_charged_microcredits_total")
    play_id = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]["id"]
    assert sample("encore_plays_started_total") == started + 1
    backdate(play_id, 50)
    r = client.post(f"/api/v1/plays/{play_id}/progress", json={"position_ms": 50_000}, headers=headers)
    assert r.json["counted"] is True
    price = r.json["charge"]["price"]["micro"]
    client.post(f"/api/v1/plays/{play_id}/progress", json={"position_ms": 51_000}, headers=headers)  # counted once
    assert sample("encore_plays_counted_total") == counted + 1
    assert sample("encore_charges_total", kind="charged") == charges + 1
    assert price > 0 and sample("encore_charged_microcredits_total") == micro + price


def test_job_durations(database_url, tmp_path):
    import tests.core.test_observability  # noqa: F401  declares test.observed_job

    app = make_test_app(database_url, tmp_path / "media")  # binds the tasks declared so far
    before = {
        outcome: sample("encore_job_duration_seconds_count", task="test.observed_job", outcome=outcome)
        for outcome in ("done", "failed")
    }
    with app.app_context():
        enqueue("test.observed_job")
        enqueue("test.observed_job", True)
    for outcome in ("done", "failed"):
        assert (
            sample("encore_job_duration_seconds_count", task="test.observed_job", outcome=outcome)
            == before[outcome] + 1
        )


def test_outages_are_counted(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path / "media")

    def full():
        with open("/dev/full", "wb") as f:
            f.write(b"x")
            f.flush()

    app.add_url_rule("/api/v1/_full_for_metrics", "full", full)
    before = sample("encore_outages_total", dependency="disk")
    assert app.test_client().get("/api/v1/_full_for_metrics").status_code == 507
    assert sample("encore_outages_total", dependency="disk") == before + 1


_PROCESS = """
import sys
from app import create_app
app = create_app({"DATABASE_URL": sys.argv[1], "STORAGE_URL": "file://" + sys.argv[2], "SECRET_KEY": "x"})
client = app.test_client()
if sys.argv[3] == "serve":
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
else:
    client.get("/healthz/live")
"""


@pytest.mark.committing
def test_multiprocess_mode_sums_every_process(database_url, tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "PYTHONPATH": str(ROOT)}
    (tmp_path / "prom").mkdir()
    run = [sys.executable, "-c", _PROCESS, database_url, str(tmp_path / "media")]
    for _ in range(2):  # two gunicorn workers, each answering one request
        subprocess.run([*run, "hit"], env=env, check=True, cwd=ROOT, capture_output=True, timeout=120)
    out = subprocess.run(
        [*run, "serve"], env=env, check=True, cwd=ROOT, capture_output=True, text=True, timeout=120
    ).stdout
    line = next(
        row
        for row in out.splitlines()
        if row.startswith("encore_http_request_duration_seconds_count") and 'endpoint="health.live"' in row
    )
    assert float(line.rsplit(" ", 1)[1]) == 2.0
