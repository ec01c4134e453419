"""Prometheus metrics (``prometheus-client``), served at ``/metrics`` to operators only.

What is measured: request latency by endpoint, plays started and counted, charges, job
durations and outcomes, queue depth (read at scrape time), and outages by dependency.

Who may read it: with ``METRICS_TOKEN`` set, whoever sends ``Authorization: Bearer <token>``;
without it, only a client on loopback that came through no proxy (a request relayed by a
proxy on the same machine carries ``X-Forwarded-For``). Everyone else gets a plain 404, as
if there were nothing there.

Several gunicorn processes: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder (wiped at
each start) before gunicorn starts; every process then writes its samples there and any one
of them serves the sum (prometheus-client's multiprocess mode). Metrics are process-wide
objects: several apps in one process (the test suite) share them.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

REQUEST_LATENCY = Histogram(
    "encore_http_request_duration_seconds",
    "Time to answer a request, by endpoint.",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
REQUESTS = Counter(
    "encore_http_requests", "Requests answered, by endpoint and status.", ["method", "endpoint", "status"]
)
PLAYS_STARTED = Counter("encore_plays_started", "Plays started.")
PLAYS_COUNTED = Counter("encore_plays_counted", "Plays counted (listened to past the count point).")
CHARGES = Counter("encore_charges", "Play charges written to the ledger, by kind.", ["kind"])
CHARGED_MICROCREDITS = Counter("encore_charged_microcredits", "Micro-credits charged for plays.")
JOB_DURATION = Histogram(
    "encore_job_duration_seconds",
    "Time a queue job ran, by task and outcome.",
    ["task", "outcome"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800),
)
OUTAGES = Counter(
    "encore_outages", "Requests answered 503/507 because a dependency was down, by dependency.", ["dependency"]
)

bp = Blueprint("metrics", __name__)


def record_outage(dependency: str) -> None:
    OUTAGES.labels(dependency=dependency).inc()


def record_play_started() -> None:
    PLAYS_STARTED.inc()


def record_play_counted(kind: str, price_micro: int) -> None:
    """A play just counted; ``price_micro`` is what the ledger charged (0 when free or owned)."""
    PLAYS_COUNTED.inc()
    if price_micro > 0:
        CHARGES.labels(kind=kind).inc()
        CHARGED_MICROCREDITS.inc(price_micro)


def record_job(task: str, outcome: str, seconds: float) -> None:
    JOB_DURATION.labels(task=task, outcome=outcome).observe(seconds)


def init_app(app: Flask) -> None:
    app.config.setdefault("METRICS_TOKEN", None)
    app.register_blueprint(bp)

    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            endpoint = request.endpoint or "unmatched"  # never the raw path: unbounded labels
            REQUEST_LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
            REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        return response


def _allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


class _QueueDepth:
    """Pending jobs, read from the queue when scraped (a gauge that is never stale)."""

    def __init__(self, huey):
        self.huey = huey

    def collect(self):
        gauge = GaugeMetricFamily("encore_queue_depth", "Jobs waiting in the queue.")
        try:
            gauge.add_metric([], self.huey.pending_count())
        except Exception:  # an unreachable queue store: no sample rather than a failed scrape
            return
        yield gauge


@bp.get("/metrics")
def metrics():
    if not _allowed():
        return Response("Not Found\n", status=404, mimetype="text/plain")
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry)
    huey = current_app.extensions.get("encore.queue")
    if huey is not None:
        extra = CollectorRegistry()
        extra.register(_QueueDepth(huey))
        body += generate_latest(extra)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)
