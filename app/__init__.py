"""Encore's web layer: the application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.config import load_config
from app.converters import IdConverter
from app.database import configure_engine
from app.extensions import csrf, db, login_manager, migrate


def create_app(overrides: dict | None = None) -> Flask:
    """Build the Flask application. ``overrides`` wins over the environment (tests use it)."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    load_config(app, overrides)

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    csrf.init_app(app)
    login_manager.init_app(app)

    from app import auth, cli, health, queue, ratelimit, sessions, storage, webhooks
    from app.api import bp as api_bp, register_error_handlers
    from app.web import bp as web_bp, register_template_helpers

    storage.init_app(app)
    queue.init_app(app)
    ratelimit.init_app(app)
    sessions.init_app(app)
    auth.init_app(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    register_error_handlers(app)
    register_template_helpers(app)
    cli.init_app(app)
    return app


def _migrations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "migrations"
