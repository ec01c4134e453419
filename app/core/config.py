"""Configuration: every ``ENCORE_*`` setting declared once, validated once at start.

``SETTINGS`` is the table: each ``Setting`` names a key, its default, its kind (how a value
is converted and checked), its range or choices and a one-line doc. ``load_config`` fills
``app.core.config`` from the defaults, then the ``ENCORE_*`` environment variables (converted from
their strings to the setting's kind), then the factory's ``overrides``, and checks every value
and the rules between them; all problems are raised together in one ``ConfigurationError``.
An ``ENCORE_*`` variable that names no setting is loaded as Flask would (JSON where it parses)
and warned about, naming the closest known key.

Invariant after ``load_config``: ``app.core.config[name]`` holds a value of the declared kind for
every setting (``None`` only where the default is ``None``, meaning unset), so use sites read
``current_app.config[KEY]`` and never repeat a default.

Adding a setting is one line in ``SETTINGS``; the README's table is generated from it
(``flask config table`` prints it; a test keeps the two equal).
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from app.core.deadlines import database_engine_options

log = logging.getLogger(__name__)

PREFIX = "ENCORE_"
# The test suite's own variables (ENCORE_TEST_DATABASE_URL...), read by tests/, not the app.
_UNCHECKED_PREFIXES = ("TEST_",)


class ConfigurationError(RuntimeError):
    """The configuration cannot run safely (the app refuses to start); lists every problem."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        problems = self.problems
        super().__init__(
            "Encore's configuration has {} problem{}:\n".format(len(problems), "" if len(problems) == 1 else "s")
            + "\n".join(f"  - {p}" for p in problems)
        )


# --- kinds: how a value (a Python value, or an environment string) becomes a setting's ------


@dataclass(frozen=True)
class Kind:
    """A setting's type: ``convert`` turns a Python value or an environment string into it
    (raising ValueError with a message naming what was expected)."""

    name: str  # shown in the README
    convert: Callable[[Any], Any]


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError("an integer")


def _number(value: Any) -> int | float:
    """An int stays an int (so ``500`` shows as ``500 MB``), a float a finite float."""
    if isinstance(value, bool):
        raise ValueError("a number")
    if isinstance(value, str):
        try:
            value = json.loads(value.strip())
        except ValueError:
            raise ValueError("a number") from None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise ValueError("a number")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("true or false")


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise ValueError("a string")


def _url(value: Any) -> str:
    if isinstance(value, str) and urlsplit(value).scheme and "://" in value:  # sqlite:// (in memory) is one too
        return value
    raise ValueError("a URL such as scheme://host/path")


def _int_list(value: Any) -> list[int]:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = json.loads(text) if text.startswith("[") else [p for p in text.split(",") if p.strip()]
        except ValueError:
            raise ValueError("a list of integers such as [5, 10]") from None
    if isinstance(value, (list, tuple)) and value:
        try:
            return [_int(item) for item in value]
        except ValueError:
            pass
    raise ValueError("a non-empty list of integers such as [5, 10]")


def _str_list(value: Any) -> list[str]:
    """A JSON list of strings; a lone string (not JSON) is a list of one."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError('a list of strings such as ["a", "b"]') from None
        else:
            value = [text] if text else []
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return list(value)
    raise ValueError('a list of strings such as ["a", "b"]')


def _postgresql_url(value: Any) -> str:
    """Encore runs on one engine, PostgreSQL, everywhere: ``postgresql://`` and ``postgres://``
    (the libpq spellings) become SQLAlchemy's ``postgresql+psycopg://``; SQLite and other
    databases are refused, not a fallback."""
    if isinstance(value, str):
        scheme, sep, rest = value.partition("://")
        if sep and scheme in ("postgresql", "postgres", "postgresql+psycopg"):
            return f"postgresql+psycopg://{rest}"
    raise ValueError(
        "a PostgreSQL URL (postgresql://user@host/db): Encore runs on PostgreSQL only; leave "
        "ENCORE_DATABASE_URL unset to use the embedded PostgreSQL in the instance folder"
    )


def _currency(value: Any) -> str:
    if isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha():
        return value.upper()
    raise ValueError("a three-letter ISO 4217 code such as EUR")


def _rate_limit(value: Any) -> str:
    from limits import parse_many  # Flask-Limiter's own parser

    if isinstance(value, str):
        try:
            parse_many(value)
            return value
        except ValueError:
            pass
    raise ValueError('a rate limit such as "30 per minute"')


INT = Kind("int", _int)
NUMBER = Kind("number", _number)
BOOL = Kind("bool", _bool)
STR = Kind("str", _str)
URL = Kind("URL", _url)
PATH = Kind("path", _str)
INT_LIST = Kind("list of ints", _int_list)
STR_LIST = Kind("list of strings", _str_list)
CURRENCY = Kind("currency", _currency)
POSTGRESQL_URL = Kind("PostgreSQL URL", _postgresql_url)
RATE_LIMIT = Kind("rate limit", _rate_limit)


@dataclass(frozen=True)
class Setting:
    """One ``ENCORE_<name>`` key. ``minimum``/``maximum`` bound a number (each item of a list);
    ``choices`` are the allowed values of a string, or the allowed schemes of a URL.
    A ``None`` default means "unset" is allowed (and an empty environment string unsets);
    ``shown_default`` describes a default computed at start, for the README."""

    name: str
    default: Any
    kind: Kind
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    shown_default: str | None = None
    secret: bool = False  # never echoed in an error message (keys; URLs that may hold a password)

    def convert(self, value: Any) -> Any:
        """The value converted and checked; ValueError says what is wrong."""
        if value is None or (value == "" and self.default is None):
            if self.default is None:
                return None
            raise ValueError(f"must be set ({self.kind.name})")
        shown = "(hidden)" if self.secret else repr(value)
        try:
            converted = self.kind.convert(value)
        except ValueError as exc:
            raise ValueError(f"must be {exc}, not {shown}") from None
        shown = "(hidden)" if self.secret else repr(converted)
        for item in converted if isinstance(converted, list) else [converted]:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                if self.minimum is not None and item < self.minimum:
                    raise ValueError(f"must be at least {_num(self.minimum)}, not {shown}")
                if self.maximum is not None and item > self.maximum:
                    raise ValueError(f"must be at most {_num(self.maximum)}, not {shown}")
        if self.choices is not None:
            picked = urlsplit(converted).scheme if self.kind is URL else converted
            if picked not in self.choices:
                what = "must use one of the schemes" if self.kind is URL else "must be one of"
                raise ValueError(f"{what} {', '.join(self.choices)}; not {shown}")
        return converted


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# fmt: off
SETTINGS: tuple[Setting, ...] = (
    Setting("ENV_NAME", "development", STR, "`production` turns on the production checks", choices=("development", "test", "production")),
    Setting("SECRET_KEY", None, STR, "signs sessions and CSRF tokens", shown_default="generated once into `instance/secret_key`", secret=True),
    Setting("DATABASE_URL", None, POSTGRESQL_URL, "a PostgreSQL server, `postgresql://user:pass@host/db` (anything else is refused)", shown_default="the embedded PostgreSQL in `instance/postgres`", secret=True),
    Setting("DATABASE_REPLICA_URL", None, POSTGRESQL_URL, "a PostgreSQL streaming replica of the database: dashboards, the public books and search read from it", secret=True),
    # Timeouts on every outside call (app.core.deadlines); an outage answers 503 with Retry-After
    Setting("DATABASE_CONNECT_TIMEOUT", 5, INT, "seconds to open a database connection (libpq's minimum is 2)", minimum=1, maximum=300),
    Setting("DATABASE_STATEMENT_TIMEOUT_MS", 15000, INT, "the server cancels a longer statement (migrations run without)", minimum=0),
    Setting("DATABASE_READ_TIMEOUT", None, NUMBER, "seconds the client waits for any answer from the database", minimum=0.1, shown_default="statement timeout + 5 s"),
    Setting("DATABASE_POOL_TIMEOUT", 10, NUMBER, "seconds to wait for a free pooled connection", minimum=0.1),
    Setting("S3_CONNECT_TIMEOUT", 3, NUMBER, "seconds to connect to the object store", minimum=0.1),
    Setting("S3_READ_TIMEOUT", 20, NUMBER, "seconds without a byte from the object store", minimum=0.1),
    Setting("S3_MAX_ATTEMPTS", 3, INT, "botocore's standard retries, the first attempt included", minimum=1, maximum=10),
    Setting("REDIS_TIMEOUT", 1, NUMBER, "seconds to connect to, and to wait for, Redis", minimum=0.05),
    Setting("RETRY_AFTER_SECONDS", 30, INT, "what an outage answer (503) tells clients to wait", minimum=1),
    Setting("HEALTH_CHECK_TIMEOUT", 1.0, NUMBER, "seconds each `/healthz/ready` check may take", minimum=0.05, maximum=30),
    Setting("METRICS_TOKEN", None, STR, "a bearer token that reads `/metrics` from anywhere (without it: loopback only)", secret=True),
    Setting("RATELIMIT_RETRY_SECONDS", 30, NUMBER, "while Redis is down, rate limits count in memory and retry Redis this often", minimum=1),
    Setting("FFMPEG", None, PATH, "the ffmpeg to run (checked at start)", shown_default="the `imageio-ffmpeg` wheel's"),
    Setting("STORAGE_URL", None, URL, "where audio and images live: `file:///path` or `s3://bucket/prefix`", choices=("file", "s3"), shown_default="`file://instance/media`"),
    Setting("REDIS_URL", None, URL, "the task queue and rate limits use Redis when set (else the queue lives in PostgreSQL)", choices=("redis", "rediss", "unix"), secret=True),
    Setting("BASE_URL", "http://127.0.0.1:8000", URL, "absolute links in emails and notices", choices=("http", "https")),
    Setting("SESSION_COOKIE_SECURE", False, BOOL, "set `true` behind HTTPS (required in production); also turns on HSTS"),
    # Server-side sessions (app.accounts.session_interface)
    Setting("SESSION_IDLE_HOURS", 12, NUMBER, "a session ends after this long without a request", minimum=0.01),
    Setting("SESSION_TOUCH_SECONDS", 300, NUMBER, "a session's last-seen time is written at most this often (not on every request)", minimum=0),
    Setting("REMEMBER_DAYS", 30, NUMBER, "\"keep me logged in\" lasts this many days from the login", minimum=0.01),
    Setting("REMEMBER_GRACE_SECONDS", 60, NUMBER, "a rotated remember-me validator still works this long, for requests already in flight", minimum=0),
    Setting("DEV_MAIL_PAGE", False, BOOL, "a page listing the outbox at `/dev/mail`, for development without a mail server (`make run` turns it on; refused in production)"),
    # Security headers (app.core.security_headers) and input limits (app.core.validation)
    Setting("HSTS_SECONDS", 31_536_000, INT, "`Strict-Transport-Security` max-age, sent only over HTTPS; `0` sends none", minimum=0),
    Setting("CSP_MEDIA_ORIGINS", [], STR_LIST, "extra origins audio and images may come from (a CDN); the S3 store's own is added by itself"),
    Setting("CSP_FORM_ACTION_ORIGINS", ["https://checkout.stripe.com", "https://connect.stripe.com"], STR_LIST, "where a form may lead after its POST (the hosted payment pages)"),
    Setting("MAX_JSON_KB", 256, INT, "larger JSON bodies are a 413", minimum=1),
    Setting("MAX_JSON_DEPTH", 32, INT, "deeper JSON bodies are a 422", minimum=1, maximum=1000),
    Setting("MAX_REQUEST_MB", 2, INT, "largest ordinary request body (JSON, forms)", minimum=1, maximum=1024),
    Setting("MAX_UPLOAD_MB", 500, NUMBER, "largest upload request (audio files, cover art); 413 beyond", minimum=0.001),
    Setting("MAX_AUDIO_MINUTES", 120, NUMBER, "longest track accepted; 422 beyond", minimum=0.001),
    Setting("UPLOAD_TMP_DIR", None, PATH, "where upload bodies and processing work files are spooled", shown_default="the system's temp dir"),
    Setting("X_ACCEL_PREFIX", None, STR, "nginx's internal location for local media (`X-Accel-Redirect`); unset: the app serves Range requests itself"),
    # S3-compatible object storage, used when STORAGE_URL is s3://bucket/prefix
    Setting("S3_ENDPOINT_URL", None, URL, "S3-compatible endpoint, e.g. `http://127.0.0.1:9000` for MinIO; unset: AWS", choices=("http", "https")),
    Setting("S3_ACCESS_KEY_ID", None, STR, "unset: boto3's own chain (env, `~/.aws`, instance role)"),
    Setting("S3_SECRET_ACCESS_KEY", None, STR, "the secret of `ENCORE_S3_ACCESS_KEY_ID`", secret=True),
    Setting("S3_REGION", "us-east-1", STR, "the bucket's region"),
    Setting("S3_ADDRESSING_STYLE", "auto", STR, "`path` for MinIO and most self-hosted servers, `virtual` for AWS/R2", choices=("auto", "path", "virtual")),
    Setting("S3_MULTIPART_THRESHOLD_MB", 16, NUMBER, "larger objects are uploaded in parts", minimum=0.001),
    # The task queue
    Setting("QUEUE_IMMEDIATE", False, BOOL, "run background tasks inline, in the request (tests)"),
    Setting("QUEUE_WORKERS", 2, INT, "threads of `flask queue worker`", minimum=1, maximum=64),
    Setting("QUEUE_LEASE_SECONDS", 60, NUMBER, "a job whose worker is not seen for this long runs again", minimum=1),
    Setting("QUEUE_HEARTBEAT_SECONDS", 5, NUMBER, "how often a worker says it lives, renews its leases and sweeps lost jobs", minimum=0.1),
    Setting("QUEUE_REQUEUE_AFTER", 600, NUMBER, "a job no worker took within this many seconds is sent again", minimum=1),
    Setting("QUEUE_MAX_ATTEMPTS", 5, INT, "a job whose workers died this often is dropped (and logged)", minimum=1),
    Setting("QUEUE_SHUTDOWN_GRACE", 60, NUMBER, "on SIGTERM, seconds the running jobs get to finish", minimum=0),
    Setting("QUEUE_WORKER_EXPECTED", None, BOOL, "`/healthz/ready` wants a live queue worker", shown_default="unless `ENCORE_QUEUE_IMMEDIATE`"),
    Setting("QUEUE_WORKER_SILENCE", 30, NUMBER, "... seen within this many seconds", minimum=1),
    # Email: kept in the outbox table and logged, unless SMTP_HOST names a server
    Setting("MAIL_FROM", "Encore <no-reply@encore.test>", STR, "the sender of every email"),
    Setting("SMTP_HOST", None, STR, "the mail server; unset: emails stay in the outbox table and the log"),
    Setting("SMTP_PORT", 587, INT, "the mail server's port", minimum=1, maximum=65535),
    Setting("SMTP_USERNAME", None, STR, "login at the mail server; unset: no login"),
    Setting("SMTP_PASSWORD", None, STR, "password of `ENCORE_SMTP_USERNAME`", secret=True),
    Setting("SMTP_STARTTLS", None, BOOL, "STARTTLS before login", shown_default="on for port 587"),
    # Governance
    Setting("GOVERNANCE_QUORUM_PERCENT", 10, INT, "share of members who must vote for a result to count", minimum=0, maximum=100),
    # Payments: without a Stripe secret key the embedded test provider completes checkouts
    Setting("STRIPE_SECRET_KEY", None, STR, "unset: the embedded **test provider** (a \"Test mode\" banner on every page)", secret=True),
    Setting("STRIPE_WEBHOOK_SECRET", None, STR, "the webhook endpoint's signing secret (`whsec_...`)", secret=True),
    Setting("STRIPE_API_BASE", None, URL, "another API address, e.g. `http://127.0.0.1:12111` for stripe-mock", choices=("http", "https")),
    Setting("STRIPE_MAX_NETWORK_RETRIES", 2, INT, "the library's own retries of 5xx/connection errors (same idempotency key)", minimum=0, maximum=10),
    Setting("STRIPE_WEBHOOK_TOLERANCE_SECONDS", 300, INT, "older webhook signatures are refused (replays)", minimum=1, maximum=86400),
    Setting("CURRENCY", "EUR", CURRENCY, "a two-decimal ISO 4217 currency; the credit price is in its minor units"),
    Setting("CREDIT_PACKS", [5, 10, 20, 50], INT_LIST, "whole credits per pack, priced at the credit price in force", minimum=1),
    Setting("MEMBER_SHARE_CENTS", 1000, INT, "one member share, in minor units", minimum=1),
    Setting("PAYOUT_MAX_ATTEMPTS", 3, INT, "Stripe transfer attempts before a payout's fate is checked and settled", minimum=1, maximum=100),
    # The payout fraud hold (app/payments/services/payout_holds.py)
    Setting("PAYOUT_HOLD_SHARE_PERCENT", 50, INT, "a payout is held when suspect listeners brought at least this share of the period's earnings (above 100: never)", minimum=0),
    Setting("PAYOUT_HOLD_MIN_LISTENERS", 5, INT, "and there are at least this many suspect listeners", minimum=1),
    Setting("PAYOUT_HOLD_SIGNALS", 2, INT, "signals (of 4, \"never paid\" always among them) that make a listener a suspect", minimum=1, maximum=4),
    Setting("PAYOUT_HOLD_NEW_ACCOUNT_DAYS", 7, INT, "\"new\": registered fewer days than this before its first play of the artist", minimum=0),
    Setting("PAYOUT_HOLD_SHARED_ADDRESS_ACCOUNTS", 3, INT, "\"shared address\": this many accounts registered from one address", minimum=2),
    # Streaming
    Setting("STREAM_MAX_OPEN_PLAYS", 3, INT, "open plays per listener", minimum=1),
    Setting("STREAM_GRACE_SECONDS", 600, INT, "how long a play outlives its track's duration", minimum=0),
    Setting("STREAM_IDLE_SECONDS", 120, INT,
            "an open play with no progress report for this long is closed when its listener starts one past the limit",
            minimum=1),
    Setting("STREAM_METERED_MARGIN_SECONDS", 6, INT,
            "audio a play is handed past its count point before it counts (the player's buffer to ask for the rest)",
            minimum=1, maximum=60),
    Setting("STREAM_START_LIMIT", "30 per minute", RATE_LIMIT, "plays started per listener"),
    Setting("STREAM_PROGRESS_LIMIT", "120 per minute", RATE_LIMIT, "progress reports per listener"),
    Setting("STREAM_PREVIEW_LIMIT", "60 per minute", RATE_LIMIT, "previews per client"),
    # The Subsonic API (app/subsonic)
    Setting("SUBSONIC_AUTH_FAILURE_LIMIT", "30 per minute;300 per day", RATE_LIMIT, "failed Subsonic API logins (wrong app password or API key) per client address"),
    # Two factors
    Setting("TWO_FACTOR_KEYS", None, STR_LIST, "Fernet keys sealing TOTP secrets at rest; the first seals, all open (rotate by prepending). Set it in production, so rotating `ENCORE_SECRET_KEY` does not lock out two-factor users", shown_default="one key derived from the secret key", secret=True),
    Setting("TWO_FACTOR_CODE_LIMIT", "30 per minute", RATE_LIMIT, "second-factor codes tried per client address"),
    # Abuse limits (app.core.ratelimit, app.accounts.lockout)
    Setting("LOGIN_ADDRESS_LIMIT", "30 per minute;300 per day", RATE_LIMIT, "logins (page, API, token creation) tried per client address"),
    Setting("LOGIN_ACCOUNT_LIMIT", "10 per minute;100 per day", RATE_LIMIT, "logins tried per email, whether it has an account or not"),
    Setting("REGISTER_ADDRESS_LIMIT", "5 per hour;20 per day", RATE_LIMIT, "registrations per client address"),
    Setting("PASSWORD_RESET_ADDRESS_LIMIT", "10 per hour", RATE_LIMIT, "password reset requests per client address"),
    Setting("PASSWORD_RESET_ACCOUNT_LIMIT", "3 per hour", RATE_LIMIT, "password reset requests per email"),
    Setting("TOKEN_CREATE_LIMIT", "10 per hour", RATE_LIMIT, "API tokens created per account (and per client address with a password)"),
    Setting("LOGIN_LOCKOUT_AFTER", 5, INT, "wrong passwords in a row before an account is locked", minimum=1),
    Setting("LOGIN_LOCKOUT_SECONDS", 60, INT, "the first lock's length; each further wrong password doubles it", minimum=1),
    Setting("LOGIN_LOCKOUT_MAX_SECONDS", 3600, INT, "the longest lock", minimum=1),
)
# fmt: on

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}


def load_config(
    app: Flask, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> None:
    """Fill ``app.core.config`` from the defaults, then ``ENCORE_*`` variables, then ``overrides``;
    convert and check every setting; raise one ``ConfigurationError`` listing every problem."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    cfg = app.config
    cfg.update({name: list(value) if isinstance(value, list) else value for name, value in DEFAULTS.items()})
    cfg.update(read_environment(os.environ if environ is None else environ))
    if overrides:
        cfg.update(overrides)

    problems = []
    for setting in SETTINGS:
        try:
            cfg[setting.name] = setting.convert(cfg[setting.name])
        except ValueError as exc:
            problems.append(f"{PREFIX}{setting.name} {exc}")
    problems += [problem for rule in RULES for problem in rule(cfg)]
    production = cfg["ENV_NAME"] == "production"
    if production:
        problems += _production_problems(app, instance)
    if problems:
        raise ConfigurationError(problems)

    if not cfg["DATABASE_URL"]:
        from app.core import embedded_db

        cluster = embedded_db.ensure_cluster(instance / "postgres")
        embedded_db.stop_at_exit(cluster)
        cfg["DATABASE_URL"] = cluster.url()
    if not cfg["STORAGE_URL"]:
        cfg["STORAGE_URL"] = f"file://{instance / 'media'}"
    if not cfg["SECRET_KEY"] and not production:  # production must be given one (checked above)
        cfg["SECRET_KEY"] = _instance_secret_key(instance)

    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", database_engine_options(cfg))
    cfg["MAX_CONTENT_LENGTH"] = cfg["MAX_REQUEST_MB"] * 1024 * 1024
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Flask-Login's "remember me" cookie follows the session cookie's rules.
    cfg["REMEMBER_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"]
    cfg["REMEMBER_COOKIE_HTTPONLY"] = True
    cfg["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    # A CSRF token lives as long as the session, not one hour: the player page stays open
    # for an evening and keeps sending its progress reports with the token it loaded with.
    cfg.setdefault("WTF_CSRF_TIME_LIMIT", None)
    _check_ffmpeg(cfg)


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``ENCORE_*`` variables by key. A declared setting keeps its string (its ``Kind``
    converts it); an unknown name is parsed as JSON where it can be, as Flask's
    ``from_prefixed_env`` does, and warned about with the closest known key."""
    values: dict[str, Any] = {}
    for variable in sorted(environ):
        if not variable.startswith(PREFIX):
            continue
        name, raw = variable[len(PREFIX) :], environ[variable]
        if name in BY_NAME:
            values[name] = raw
            continue
        if not name.startswith(_UNCHECKED_PREFIXES):
            close = difflib.get_close_matches(name, BY_NAME, n=1)
            hint = f"; did you mean {PREFIX}{close[0]}?" if close else ""
            log.warning("%s is not an Encore setting and is ignored by Encore%s", variable, hint)
        try:
            values[name] = json.loads(raw)
        except ValueError:
            values[name] = raw
    return values


# --- rules between settings (each returns its problems) ---------------------------------------


def _two_factor_keys(cfg: Mapping[str, Any]) -> Iterable[str]:
    """Malformed TOTP sealing keys stop the start, not the first login that needs them."""
    from cryptography.fernet import Fernet

    keys = cfg["TWO_FACTOR_KEYS"]
    if keys is None:
        return
    try:
        if not keys:
            raise ValueError
        for key in keys:
            Fernet(key)
    except (ValueError, TypeError):
        yield "ENCORE_TWO_FACTOR_KEYS must be a JSON list of Fernet keys (32 url-safe base64 bytes each)."


RULES: tuple[Callable[[Mapping[str, Any]], Iterable[str]], ...] = (_two_factor_keys,)


MIN_SECRET_KEY_BYTES = 32


def _production_problems(app: Flask, instance: Path) -> list[str]:
    """Everything that makes a production deployment unsafe, in one list."""
    cfg, problems = app.config, []
    key = cfg["SECRET_KEY"]
    if not key:
        problems.append(
            "ENCORE_SECRET_KEY is not set: production needs a key of its own (at least "
            f"{MIN_SECRET_KEY_BYTES} random bytes, the same on every machine)."
        )
    else:
        key_bytes = key if isinstance(key, bytes) else str(key).encode("utf-8")
        stored = instance / "secret_key"
        if stored.exists() and stored.read_text().strip() == str(key).strip():
            problems.append(f"ENCORE_SECRET_KEY is the development key generated into {stored}; set a key of your own.")
        elif len(key_bytes) < MIN_SECRET_KEY_BYTES:
            problems.append(
                f"ENCORE_SECRET_KEY is {len(key_bytes)} bytes long; it needs at least "
                f"{MIN_SECRET_KEY_BYTES} (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
    if cfg["SESSION_COOKIE_SECURE"] is not True:
        problems.append("ENCORE_SESSION_COOKIE_SECURE is not true: session cookies would travel over plain HTTP.")
    if not (cfg["STRIPE_SECRET_KEY"] and cfg["STRIPE_WEBHOOK_SECRET"]):
        problems.append(
            "ENCORE_STRIPE_SECRET_KEY and ENCORE_STRIPE_WEBHOOK_SECRET are not both set: the test "
            "payment provider would hand out credits for free."
        )
    if cfg["DEV_MAIL_PAGE"]:
        problems.append(
            "ENCORE_DEV_MAIL_PAGE shows every mail (password reset links included) to anyone: it "
            "cannot be on in production."
        )
    if app.debug or cfg.get("DEBUG"):
        problems.append(
            "Debug mode is on (FLASK_DEBUG / ENCORE_DEBUG): it shows tracebacks and runs the interactive debugger."
        )
    return problems


def _check_ffmpeg(cfg) -> None:
    """The ffmpeg Encore will run is the configured one (else the wheel's) and is fit: a
    clear refusal at start beats tracks that fail, or lose their loudness, one by one."""
    from audio.ffmpeg import FFmpegUnusable, check_ffmpeg, use_ffmpeg

    use_ffmpeg(cfg["FFMPEG"])
    try:
        check_ffmpeg()
    except FFmpegUnusable as exc:
        raise ConfigurationError(str(exc)) from exc


# --- the README's table ------------------------------------------------------------------------


def markdown_table() -> str:
    """The operator's table of every setting, as the README shows it."""
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        kind = s.kind.name
        if s.minimum is not None or s.maximum is not None:
            low = _num(s.minimum) if s.minimum is not None else ""
            high = _num(s.maximum) if s.maximum is not None else ""
            kind += f" {low}..{high}"
        if s.choices is not None:
            kind += (
                (" (" if s.kind is URL else ": ")
                + " / ".join(f"`{c}`" for c in s.choices)
                + (")" if s.kind is URL else "")
            )
        default = s.shown_default or (
            "unset"
            if s.default is None
            else f"`{json.dumps(s.default)}`"
            if not isinstance(s.default, str)
            else f"`{s.default}`"
        )
        rows.append(f"| `{PREFIX}{s.name}` | {kind} | {default} | {s.doc} |")
    return "\n".join(rows) + "\n"


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
