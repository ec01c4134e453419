"""Configuration: embedded defaults that need no server, overridden by ``ENCORE_*`` variables.

Every key below can be set from the environment with the ``ENCORE_`` prefix, for example
``ENCORE_DATABASE_URL=postgresql://...``. Flask's ``from_prefixed_env`` parses values as JSON
where it can, so ``ENCORE_MAX_UPLOAD_MB=200`` arrives as an integer.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

# Defaults that are not paths; paths depend on the instance folder and are filled in below.
DEFAULTS: dict[str, object] = {
    "ENV_NAME": "development",  # "production" turns on the production checks
    "DATABASE_URL": None,  # default: sqlite:///<instance>/encore.db
    "STORAGE_URL": None,  # default: file://<instance>/media
    "REDIS_URL": None,  # default: none; queue and rate limits stay embedded
    "MAX_REQUEST_MB": 2,  # bodies of ordinary requests (JSON, forms)
    "MAX_UPLOAD_MB": 500,  # body of one upload request (audio files, cover art)
    "MAX_AUDIO_MINUTES": 120,  # longest track accepted
    "UPLOAD_TMP_DIR": None,  # where upload bodies are spooled; default: the system's temp dir
    # S3-compatible object storage, used when STORAGE_URL is s3://bucket/prefix
    "S3_ENDPOINT_URL": None,  # e.g. http://127.0.0.1:9000 for MinIO; unset for AWS
    "S3_ACCESS_KEY_ID": None,  # unset: boto3's own chain (env, ~/.aws, instance role)
    "S3_SECRET_ACCESS_KEY": None,
    "S3_REGION": "us-east-1",
    "S3_ADDRESSING_STYLE": "auto",  # "path" for MinIO and most self-hosted servers
    "S3_MULTIPART_THRESHOLD_MB": 16,  # larger uploads go up in parts
    "QUEUE_IMMEDIATE": False,  # run tasks inline when enqueued (tests)
    "QUEUE_WORKERS": 2,  # threads of `flask queue worker`
    "QUEUE_SQLITE_PATH": None,  # default: <instance>/queue.db (used unless REDIS_URL is set)
    "SESSION_COOKIE_SECURE": False,  # also the remember-me cookie's Secure flag
    # Server-side sessions (app/sessions.py): a session ends after this long without a
    # request; "keep me logged in" lasts this many days from the login.
    "SESSION_IDLE_HOURS": 12,
    "REMEMBER_DAYS": 30,
    # A page listing the outbox at /dev/mail, for development without a mail server
    # (`make run` turns it on; production refuses to start with it).
    "DEV_MAIL_PAGE": False,
    # Absolute links in emails; default: the `make run` address.
    "BASE_URL": "http://127.0.0.1:8000",
    # Email: kept in the outbox table and logged, unless SMTP_HOST names a server.
    "MAIL_FROM": "Encore <no-reply@encore.test>",
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": None,  # default: on for port 587
    # Governance: the share of members who must vote for a result to count.
    "GOVERNANCE_QUORUM_PERCENT": 10,
    # Payments (see app/services/payments). Without a Stripe secret key the embedded test
    # provider completes checkouts locally; production refuses to start without both keys.
    "STRIPE_SECRET_KEY": None,
    "STRIPE_WEBHOOK_SECRET": None,
    "STRIPE_API_BASE": None,  # e.g. http://127.0.0.1:12111 for stripe-mock; unset: api.stripe.com
    "STRIPE_MAX_NETWORK_RETRIES": 2,  # the library retries 5xx/connection errors, same idempotency key
    "STRIPE_WEBHOOK_TOLERANCE_SECONDS": 300,  # older signed timestamps are refused (replays)
    "CURRENCY": "EUR",  # ISO 4217; amounts are integer minor units priced at the credit price
    "CREDIT_PACKS": [5, 10, 20, 50],  # whole credits per pack
    "MEMBER_SHARE_CENTS": 1000,  # one member share, in minor units (10 EUR)
    "PAYOUT_MAX_ATTEMPTS": 3,  # Stripe transfer attempts before a payout returns to earnings
    # Streaming: open plays per listener, how long a play outlives its track, rate limits
    # (Flask-Limiter strings), and nginx's internal location for X-Accel-Redirect (unset: the
    # app serves local files itself).
    "STREAM_MAX_OPEN_PLAYS": 3,
    "STREAM_GRACE_SECONDS": 600,
    "STREAM_START_LIMIT": "30 per minute",
    "STREAM_PROGRESS_LIMIT": "120 per minute",
    "STREAM_PREVIEW_LIMIT": "60 per minute",
    "X_ACCEL_PREFIX": None,
}


def load_config(app: Flask, overrides: dict | None = None) -> None:
    """Fill ``app.config`` from defaults, then ``ENCORE_*`` variables, then ``overrides``."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    app.config.update(DEFAULTS)
    app.config.from_prefixed_env(prefix="ENCORE")
    if overrides:
        app.config.update(overrides)

    cfg = app.config
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = f"sqlite:///{instance / 'encore.db'}"
    if not cfg.get("STORAGE_URL"):
        cfg["STORAGE_URL"] = f"file://{instance / 'media'}"
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret_key(instance)

    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    cfg["MAX_CONTENT_LENGTH"] = int(cfg["MAX_REQUEST_MB"]) * 1024 * 1024
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    # A CSRF token lives as long as the session, not one hour: the player page stays open
    # for an evening and keeps sending its progress reports with the token it loaded with.
    cfg.setdefault("WTF_CSRF_TIME_LIMIT", None)
    _check_payments(cfg)
    _check_dev_pages(cfg)


class ConfigurationError(RuntimeError):
    """The configuration cannot run safely (the app refuses to start)."""


def _check_dev_pages(cfg) -> None:
    if cfg.get("ENV_NAME") == "production" and cfg.get("DEV_MAIL_PAGE"):
        raise ConfigurationError(
            "ENCORE_DEV_MAIL_PAGE shows every mail (password reset links included) to anyone: "
            "it cannot be on when ENCORE_ENV_NAME is production."
        )


def _check_payments(cfg) -> None:
    """Production never runs the embedded test payment provider: it needs real Stripe keys."""
    if cfg.get("ENV_NAME") == "production" and not (cfg.get("STRIPE_SECRET_KEY") and cfg.get("STRIPE_WEBHOOK_SECRET")):
        raise ConfigurationError(
            "ENCORE_ENV_NAME is production but ENCORE_STRIPE_SECRET_KEY and ENCORE_STRIPE_WEBHOOK_SECRET are "
            "not both set: refusing to start with the test payment provider, which hands out credits for free."
        )
    packs = cfg.get("CREDIT_PACKS")
    if not isinstance(packs, list) or not packs or any(
        isinstance(p, bool) or not isinstance(p, int) or p <= 0 for p in packs
    ):
        raise ConfigurationError(f"ENCORE_CREDIT_PACKS must be a JSON list of positive whole credits, not {packs!r}")
    share = cfg.get("MEMBER_SHARE_CENTS")
    if isinstance(share, bool) or not isinstance(share, int) or share <= 0:
        raise ConfigurationError(f"ENCORE_MEMBER_SHARE_CENTS must be a positive integer, not {share!r}")
    currency = cfg.get("CURRENCY")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise ConfigurationError(f"ENCORE_CURRENCY must be a three-letter ISO 4217 code, not {currency!r}")
    cfg["CURRENCY"] = currency.upper()


def _instance_secret_key(instance: Path) -> str:
    """Read the secret key kept in the instance folder, creating it on first run."""
    path = instance / "secret_key"
    if not path.exists():
        # Several gunicorn workers may start at once: write a private temporary file and
        # hard-link it into place, so exactly one key wins and nobody reads a half-written file.
        tmp = path.with_name(f"secret_key.{os.getpid()}.tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
