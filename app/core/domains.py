"""The registry of domains: the one place that knows every package under ``app/``.

Each domain (``app/<domain>/``) may hold ``models``, ``api`` (routes on the shared ``api``
blueprint), ``views`` (pages on the shared ``web`` blueprint), ``tasks`` (declared for
``app.core.queue``), ``cli`` (a ``COMMANDS`` list of click groups), ``templates/`` and modules with an
``init_app(app)`` (``_INIT``). The
factory asks this module to import them; nothing else imports a domain by listing them.

Routes are imported in the order they were before the move (the OpenAPI document lists paths
in registration order), and before the blueprints are registered on an app (Flask refuses
routes added to a blueprint after that).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from sqlalchemy import MetaData

DOMAINS = (
    "accounts",
    "catalog",
    "uploads",
    "streaming",
    "payments",
    "governance",
    "analytics",
    "library",
    "studio",
    "admin",
    "subsonic",
    "sharing",
    "demo",
)

_MODELS = (
    "app.core.models",
    *(
        f"app.{d}.models"
        for d in (
            "accounts",
            "catalog",
            "uploads",
            "governance",
            "payments",
            "streaming",
            "analytics",
            "library",
            "studio",
            "admin",
            "subsonic",
        )
    ),
)
_API_ROUTES = (
    "app.accounts.api",
    "app.accounts.two_factor_api",
    "app.analytics.api",
    "app.uploads.api",
    "app.catalog.api",
    "app.governance.api",
    "app.core.openapi",
    "app.streaming.api",
    "app.payments.api",
    "app.library.api",
    "app.studio.api",
    "app.admin.api",
)
_PAGE_ROUTES = (
    "app.accounts.views",
    "app.accounts.two_factor_views",
    "app.analytics.views",
    "app.catalog.views",
    "app.uploads.views",
    "app.governance.views",
    "app.streaming.views",
    "app.payments.views.orders",
    "app.payments.views.payouts",
    "app.payments.views.wallet",
    "app.library.views",
    "app.studio.views",
    "app.admin.views",
    "app.subsonic.views",
    "app.sharing.views",
)
# Domains with a blueprint of their own (outside the JSON API and the pages): the Subsonic API.
_BLUEPRINTS = ("app.subsonic.api",)
_TASKS = (
    "app.accounts.tasks",
    "app.analytics.tasks",
    "app.uploads.tasks",
    "app.governance.tasks",
    "app.payments.tasks",
    "app.library.tasks",
)
# Modules with an ``init_app(app)`` that binds a domain's part of a shared extension.
# (the payment provider is chosen once here, like the object store)
_INIT = ("app.accounts.login", "app.accounts.session_interface", "app.payments.services.payment_gateway")
_CLI = (
    "app.core.cli",
    "app.accounts.cli",
    "app.demo.cli",
    "app.governance.cli",
    "app.payments.cli",
    "app.analytics.cli",
)


def _import(names: tuple[str, ...]) -> list:
    return [importlib.import_module(name) for name in names]


def load_models() -> None:
    """Register every domain's models on ``db.metadata``."""
    _import(_MODELS)


def all_metadata() -> list[MetaData]:
    """Every MetaData that migrations cover: the web layer's (every domain's) and the ledger's."""
    import ledger.schema
    from app.core.extensions import db

    load_models()
    return [db.metadata, ledger.schema.metadata]


def load_routes() -> None:
    """Add every domain's routes to the shared ``api`` and ``web`` blueprints."""
    _import(_API_ROUTES)
    _import(_PAGE_ROUTES)


def blueprints() -> list:
    """The domains' own blueprints, for the factory to register."""
    return [module.bp for module in _import(_BLUEPRINTS)]


def load_tasks() -> None:
    """Declare every domain's background tasks."""
    _import(_TASKS)


def init_app(app) -> None:
    """Let each domain bind its part of the shared extensions (flask-login's user loaders)."""
    for module in _import(_INIT):
        module.init_app(app)


def cli_groups() -> list:
    """Every domain's ``flask`` command groups."""
    return [group for module in _import(_CLI) for group in module.COMMANDS]


def template_folders() -> list[Path]:
    """``app/<domain>/templates`` of every domain that has one."""
    root = Path(__file__).resolve().parent.parent
    return [root / d / "templates" for d in DOMAINS if (root / d / "templates").is_dir()]
