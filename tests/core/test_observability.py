"""JSON logs carrying the request id (the caller's X-Request-ID, echoed back) from web
requests and queue jobs, with job start/finish/fail and durations."""

from __future__ import annotations

import json
import logging

import pytest

from app.core.observability import JsonFormatter
from app.core.queue import enqueue, task
from tests.conftest import make_test_app


@task("test.observed_job")
def observed_job(fail: bool = False):
    logging.getLogger("tests.job").info("inside the job")
    if fail:
        raise ValueError("the job failed on purpose")


@pytest.fixture(scope="module")
def observed_app(database_url, tmp_path_factory):
    app = make_test_app(database_url, tmp_path_factory.mktemp("obs"))

    @app.get("/api/v1/_log_for_test")
    def log_something():
        logging.getLogger("tests.view").info("hello from the view")
        return {}

    return app


def test_request_id_is_honoured_and_echoed(observed_app):
    client = observed_app.test_client()
    r = client.get("/healthz/live", headers={"X-Request-ID": "lb-42.abc"})
    assert r.headers["X-Request-ID"] == "lb-42.abc"
    generated = client.get("/healthz/live").headers["X-Request-ID"]
    assert len(generated) == 32 and generated != client.get("/healthz/live").headers["X-Request-ID"]
    # An id that could forge log lines or flood them is replaced, not echoed.
    forged = client.get("/healthz/live", headers={"X-Request-ID": "x" * 500}).headers["X-Request-ID"]
    assert len(forged) == 32
    assert client.get("/api/v1/nothing", headers={"X-Request-ID": "err-1"}).headers["X-Request-ID"] == "err-1"


def test_log_lines_are_json_with_the_request_id(observed_app, caplog):
    caplog.set_level(logging.INFO)
    observed_app.test_client().get("/api/v1/_log_for_test", headers={"X-Request-ID": "req-7"})
    view = next(r for r in caplog.records if r.getMessage() == "hello from the view")
    line = json.loads(JsonFormatter().format(view))
    assert line["request_id"] == "req-7" and line["level"] == "INFO" and line["logger"] == "tests.view"
    assert line["message"] == "hello from the view" and line["ts"].endswith("+00:00")
    access = next(r for r in caplog.records if r.name == "encore.access" and r.request_id == "req-7")
    out = json.loads(JsonFormatter().format(access))
    assert out["status"] == 200 and out["path"] == "/api/v1/_log_for_test" and out["duration_ms"] >= 0


def test_jobs_log_start_and_finish_with_duration(observed_app, caplog):
    caplog.set_level(logging.INFO)
    with observed_app.app_context():
        enqueue("test.observed_job")
    started = next(r for r in caplog.records if r.getMessage() == "job test.observed_job started")
    finished = next(r for r in caplog.records if r.getMessage().startswith("job test.observed_job finished"))
    inside = next(r for r in caplog.records if r.getMessage() == "inside the job")
    assert started.job_id and started.request_id == f"job-{started.job_id}" == inside.request_id
    line = json.loads(JsonFormatter().format(finished))
    assert line["job"] == "test.observed_job" and line["duration_ms"] >= 0 and line["job_id"] == started.job_id


def test_failed_jobs_are_logged_with_duration(observed_app, caplog):
    caplog.set_level(logging.INFO)
    with observed_app.app_context():
        enqueue("test.observed_job", True)  # huey records the failure; the caller goes on
    failed = next(r for r in caplog.records if r.getMessage().startswith("job test.observed_job failed"))
    assert failed.levelno == logging.WARNING and failed.duration_ms >= 0 and failed.exc_info
    assert "ValueError" in json.loads(JsonFormatter().format(failed))["exc"]


def test_jobs_queued_inside_a_request_keep_its_id(observed_app, caplog):
    caplog.set_level(logging.INFO)

    with observed_app.test_request_context(headers={"X-Request-ID": "upload-9"}):
        observed_app.preprocess_request()
        enqueue("test.observed_job")
    inside = next(r for r in caplog.records if r.getMessage() == "inside the job")
    assert inside.request_id == "upload-9"
