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

from app.core.deadlines import database_engine_options

# Defaults that are not paths; paths depend on the instance folder and are filled in below.
DEFAULTS: dict[str, object] = {
    "ENV_NAME": "development",  # "production" turns on the production checks
    "DATABASE_URL": None,  # PostgreSQL; default: the embedded cluster in <instance>/postgres
    # A PostgreSQL streaming replica (hot standby) of DATABASE_URL. When set, the artist
    # dashboards, the public books and catalogue search read from it; writes and money stay
    # on the primary. Unset: everything reads the primary.
    "DATABASE_REPLICA_URL": None,
    "STORAGE_URL": None,  # default: file://<instance>/media
    "REDIS_URL": None,  # default: none; queue and rate limits stay embedded
    # Timeouts on every outside call (app.deadlines); an outage answers 503 with Retry-After.
    "DATABASE_CONNECT_TIMEOUT": 5,  # seconds to open a connection (libpq's minimum is 2)
    "DATABASE_STATEMENT_TIMEOUT_MS": 15000,  # the server cancels a longer statement
    "DATABASE_READ_TIMEOUT": None,  # seconds the client waits for any answer; default: statement + 5 s
    "DATABASE_POOL_TIMEOUT": 10,  # seconds to wait for a free pooled connection
    "S3_CONNECT_TIMEOUT": 3,
    "S3_READ_TIMEOUT": 20,  # seconds without a byte from the object store
    "S3_MAX_ATTEMPTS": 3,  # botocore's standard retries, first attempt included
    "REDIS_TIMEOUT": 1,  # seconds to connect to, and to wait for, Redis
    "RETRY_AFTER_SECONDS": 30,  # what an outage answer tells clients to wait
    "HEALTH_CHECK_TIMEOUT": 1.0,  # seconds each /healthz/ready check may take
    "FFMPEG": None,  # path of the ffmpeg to use; default: the imageio-ffmpeg wheel's (checked at start)
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
    # Durable jobs and the worker (app/core/jobs.py, app/core/worker.py).
    "QUEUE_LEASE_SECONDS": 60,  # a job whose worker is not seen for this long runs again
    "QUEUE_HEARTBEAT_SECONDS": 5,  # how often a worker says it lives and sweeps
    "QUEUE_REQUEUE_AFTER": 600,  # a job no worker took within this is sent again
    "QUEUE_MAX_ATTEMPTS": 5,  # a job whose workers died this often is dropped (logged)
    "QUEUE_SHUTDOWN_GRACE": 60,  # SIGTERM: seconds the running jobs get to finish
    "QUEUE_WORKER_EXPECTED": None,  # /healthz/ready wants a worker; default: unless QUEUE_IMMEDIATE
    "QUEUE_WORKER_SILENCE": 30,  # ...seen within this many seconds
    "SESSION_COOKIE_SECURE": False,  # production requires True (served over HTTPS)
    # Security headers (app/core/security_headers.py). HSTS is sent only when served over HTTPS.
    "HSTS_SECONDS": 31_536_000,
    "CSP_MEDIA_ORIGINS": [],  # extra origins for audio and images (a CDN); the S3 store's is added
    "CSP_FORM_ACTION_ORIGINS": ["https://checkout.stripe.com", "https://connect.stripe.com"],
    # Input limits (app/core/validation.py): a JSON body larger or deeper than this is refused.
    "MAX_JSON_KB": 256,
    "MAX_JSON_DEPTH": 32,
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
    # Keys sealing the TOTP secrets at rest (Fernet keys, a JSON list: the first seals, all
    # open, so a key can be rotated). Default: one key derived from SECRET_KEY.
    "TWO_FACTOR_KEYS": None,
    # Second-factor codes tried per client address (on top of the 5 wrong codes per half-login).
    "TWO_FACTOR_CODE_LIMIT": "30 per minute",
}


def load_config(app: Flask, overrides: dict | None = None) -> None:
    """Fill ``app.core.config`` from defaults, then ``ENCORE_*`` variables, then ``overrides``."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    app.config.update(DEFAULTS)
    app.config.from_prefixed_env(prefix="ENCORE")
    if overrides:
        app.config.update(overrides)

    cfg = app.config
    if cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = postgresql_url(cfg["DATABASE_URL"])
    else:
        from app.core import embedded_db

        cluster = embedded_db.ensure_cluster(instance / "postgres")
        embedded_db.stop_at_exit(cluster)
        cfg["DATABASE_URL"] = cluster.url()
    if not cfg.get("STORAGE_URL"):
        cfg["STORAGE_URL"] = f"file://{instance / 'media'}"
    production = cfg.get("ENV_NAME") == "production"
    if not cfg.get("SECRET_KEY") and not production:  # production must be given one (below)
        cfg["SECRET_KEY"] = _instance_secret_key(instance)

    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", database_engine_options(cfg))
    cfg["MAX_CONTENT_LENGTH"] = int(cfg["MAX_REQUEST_MB"]) * 1024 * 1024
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Flask-Login's "remember me" cookie follows the session cookie's rules.
    cfg["REMEMBER_COOKIE_SECURE"] = bool(cfg.get("SESSION_COOKIE_SECURE"))
    cfg["REMEMBER_COOKIE_HTTPONLY"] = True
    cfg["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    # A CSRF token lives as long as the session, not one hour: the player page stays open
    # for an evening and keeps sending its progress reports with the token it loaded with.
    cfg.setdefault("WTF_CSRF_TIME_LIMIT", None)

    problems = _payment_problems(cfg)
    if production:
        problems = _production_problems(app, instance) + problems
    if problems:
        raise ConfigurationError(problems)
    cfg["CURRENCY"] = cfg["CURRENCY"].upper()
    _check_two_factor_keys(cfg)
    _check_ffmpeg(cfg)


def _check_two_factor_keys(cfg) -> None:
    """Malformed TOTP sealing keys stop the start, not the first login that needs them."""
    from cryptography.fernet import Fernet

    keys = cfg.get("TWO_FACTOR_KEYS")
    if keys is None:
        return
    keys = [keys] if isinstance(keys, str) else keys
    try:
        if not isinstance(keys, list) or not keys:
            raise ValueError
        for key in keys:
            Fernet(key)
    except (ValueError, TypeError):
        raise ConfigurationError(
            "ENCORE_TWO_FACTOR_KEYS must be a JSON list of Fernet keys (32 url-safe base64 bytes each)."
        ) from None


class ConfigurationError(RuntimeError):
    """The configuration cannot run safely (the app refuses to start). ``problems`` lists every
    problem found, so an operator fixes them in one round instead of one restart each."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(
            "Encore refuses to start:\n" + "\n".join(f"- {problem}" for problem in self.problems)
        )


def postgresql_url(url: str) -> str:
    """``url`` as a SQLAlchemy URL for psycopg 3; anything but PostgreSQL is refused.

    Encore runs on one engine, PostgreSQL, everywhere: ``postgresql://`` and ``postgres://``
    (the libpq spellings) become ``postgresql+psycopg://``; SQLite and other databases are a
    configuration error, not a fallback.
    """
    scheme, sep, rest = str(url).partition("://")
    if sep and scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    raise ConfigurationError(
        f"ENCORE_DATABASE_URL must be a PostgreSQL URL (postgresql://user@host/db), not {scheme or url!r}: "
        "Encore runs on PostgreSQL only; leave it unset to use the embedded PostgreSQL in the instance folder."
    )


MIN_SECRET_KEY_BYTES = 32


def _production_problems(app: Flask, instance: Path) -> list[str]:
    """Everything that makes a production deployment unsafe, in one list."""
    cfg, problems = app.config, []
    key = cfg.get("SECRET_KEY")
    if not key:
        problems.append("ENCORE_SECRET_KEY is not set: production needs a key of its own (at least "
                        f"{MIN_SECRET_KEY_BYTES} random bytes, the same on every machine).")
    else:
        key_bytes = key if isinstance(key, bytes) else str(key).encode("utf-8")
        stored = instance / "secret_key"
        if stored.exists() and stored.read_text().strip() == str(key).strip():
            problems.append(f"ENCORE_SECRET_KEY is the development key generated into {stored}; "
                            "set a key of your own.")
        elif len(key_bytes) < MIN_SECRET_KEY_BYTES:
            problems.append(f"ENCORE_SECRET_KEY is {len(key_bytes)} bytes long; it needs at least "
                            f"{MIN_SECRET_KEY_BYTES} (e.g. python -c 'import secrets; print(secrets.token_hex(32))').")
    if cfg.get("SESSION_COOKIE_SECURE") is not True:
        problems.append("ENCORE_SESSION_COOKIE_SECURE is not true: session cookies would travel over plain HTTP.")
    if not (cfg.get("STRIPE_SECRET_KEY") and cfg.get("STRIPE_WEBHOOK_SECRET")):
        problems.append("ENCORE_STRIPE_SECRET_KEY and ENCORE_STRIPE_WEBHOOK_SECRET are not both set: the test "
                        "payment provider would hand out credits for free.")
    if app.debug or cfg.get("DEBUG"):
        problems.append("Debug mode is on (FLASK_DEBUG / ENCORE_DEBUG): it shows tracebacks and runs the "
                        "interactive debugger.")
    return problems


def _payment_problems(cfg) -> list[str]:
    problems = []
    packs = cfg.get("CREDIT_PACKS")
    if not isinstance(packs, list) or not packs or any(
        isinstance(p, bool) or not isinstance(p, int) or p <= 0 for p in packs
    ):
        problems.append(f"ENCORE_CREDIT_PACKS must be a JSON list of positive whole credits, not {packs!r}")
    share = cfg.get("MEMBER_SHARE_CENTS")
    if isinstance(share, bool) or not isinstance(share, int) or share <= 0:
        problems.append(f"ENCORE_MEMBER_SHARE_CENTS must be a positive integer, not {share!r}")
    currency = cfg.get("CURRENCY")
    if not isinstance(currency, str) or len(currency) != 3 or not (currency.isascii() and currency.isalpha()):
        problems.append(f"ENCORE_CURRENCY must be a three-letter ISO 4217 code, not {currency!r}")
    return problems


def _check_ffmpeg(cfg) -> None:
    """The ffmpeg Encore will run is the configured one (else the wheel's) and is fit: a
    clear refusal at start beats tracks that fail, or lose their loudness, one by one."""
    from audio.ffmpeg import FFmpegUnusable, check_ffmpeg, use_ffmpeg

    use_ffmpeg(cfg.get("FFMPEG"))
    try:
        check_ffmpeg()
    except FFmpegUnusable as exc:
        raise ConfigurationError(str(exc)) from exc


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
