"""Encore's web layer: the application factory.

The house is arranged by domain: ``app/core`` holds what every domain shares (configuration,
database, extensions, errors, queue, storage, the ``api`` and ``web`` blueprints) and
``app/<domain>`` holds one domain whole; ``app.core.domains`` lists them.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from app.core.config import load_config
from app.core.converters import IdConverter
from app.core.deadlines import bound_engine
from app.core.extensions import csrf, db, login_manager, migrate


def create_app(overrides: dict | None = None) -> Flask:
    """Build the Flask application. ``overrides`` wins over the environment (tests use it)."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    load_config(app, overrides)

    db.init_app(app)
    with app.app_context():
        bound_engine(db.engine, app.config)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    csrf.init_app(app)
    login_manager.init_app(app)

    from app.core import (
        auth,
        cli,
        domains,
        health,
        i18n,
        metrics,
        observability,
        queue,
        ratelimit,
        replica,
        security_headers,
        storage,
        validation,
    )
    from app.core.api import bp as api_bp
    from app.core.error_handlers import register_error_handlers
    from app.core.transactions import register_transaction_hooks
    from app.core.web import bp as web_bp
    from app.core.web import register_template_helpers
    from app.payments import webhooks

    domains.load_models()
    domains.load_routes()
    # app/templates (base.html, error.html, the player partials) first, then each domain's
    # app/<domain>/templates, whose files sit under a folder named after the domain.
    app.jinja_loader = ChoiceLoader(
        [FileSystemLoader(str(Path(app.root_path) / "templates"))]
        + [FileSystemLoader(str(folder)) for folder in domains.template_folders()]
    )

    i18n.init_app(app)
    replica.init_app(app)
    observability.init_app(app)
    metrics.init_app(app)
    storage.init_app(app)
    security_headers.init_app(app)  # after storage: the policy names the store's origin
    validation.init_app(app)
    queue.init_app(app)
    ratelimit.init_app(app)
    auth.init_app(app)
    domains.init_app(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    for blueprint in domains.blueprints():
        app.register_blueprint(blueprint)
    health.init_app(app)
    app.register_blueprint(webhooks.bp)
    register_error_handlers(app)
    register_template_helpers(app)
    cli.init_app(app)
    register_transaction_hooks(app)  # last: its after_request runs before every other one
    return app


def _migrations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "migrations"
