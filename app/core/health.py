"""``/healthz``: is the database reachable, is the object store reachable."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.core.extensions import db
from app.core.storage import get_store

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # any failure means "not reachable"; say which
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    finally:
        db.session.rollback()
    try:
        get_store().ping()
        checks["storage"] = {"ok": True}
    except Exception as exc:
        checks["storage"] = {"ok": False, "error": str(exc)}
    healthy = all(check["ok"] for check in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", checks=checks), 200 if healthy else 503
