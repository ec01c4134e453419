"""Logs a machine can read: one JSON object per line, each carrying the request id.

Every request gets an id: the caller's ``X-Request-ID`` when it sent a sane one (a load
balancer or nginx's ``$request_id``), else a new one. It is echoed in the response's
``X-Request-ID`` and stamped on every log line written while the request runs, so one
request's lines can be found across processes. Queue jobs stamp their lines with the job's
id the same way (``job_context``). ``LOG_FORMAT`` is ``json`` (the default) or ``text``.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

from flask import Flask, g, request

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("encore_request_id", default=None)

# What an incoming id may look like: short, and nothing that could forge a log line.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# LogRecord's own attributes; anything else on a record came in through ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}

access_log = logging.getLogger("encore.access")


class RequestIdFilter(logging.Filter):
    """Puts the current request's (or job's) id on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def _stamp_request_ids() -> None:
    """Give every record the current request id when it is made, so every handler (and a
    record handed to another thread) sees the id of the request that wrote it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "encore", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = request_id_var.get()
        return record

    factory.encore = True
    logging.setLogRecordFactory(factory)


def configure_logging(fmt: str = "json", level: str = "INFO") -> None:
    """Install one stderr handler on the root logger (once per process; later calls only
    update its format), and stamp the request id on every record."""
    _stamp_request_ids()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "encore", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.encore = True
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root.setLevel(level)


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def job_context(job_id: str | None):
    """Stamp log lines written inside with ``job_id`` (a queue job's id)."""
    token = request_id_var.set(job_id or new_request_id())
    try:
        yield
    finally:
        request_id_var.reset(token)


def init_app(app: Flask) -> None:
    cfg = app.config
    cfg.setdefault("LOG_FORMAT", "json")
    cfg.setdefault("LOG_LEVEL", "INFO")
    configure_logging(cfg["LOG_FORMAT"], cfg["LOG_LEVEL"])

    @app.before_request
    def _bind_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SANE_ID.match(incoming) else new_request_id()
        g.request_token = request_id_var.set(g.request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def _echo_request_id(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                    "remote_addr": request.remote_addr,
                },
            )
        return response

    @app.teardown_request
    def _unbind_request_id(_exc):
        token = g.pop("request_token", None)
        if token is not None:
            try:
                request_id_var.reset(token)
            except ValueError:  # reset from another context (a streamed response): forget it
                request_id_var.set(None)
