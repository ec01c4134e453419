"""Rate limits (Flask-Limiter): counted in memory by default, in Redis when ``REDIS_URL`` is set.

In memory, each gunicorn process counts on its own (a listener spread over N processes gets up
to N times the limit); production sets ``ENCORE_REDIS_URL`` so every process shares one count.
Limits are read from the config at request time (``STREAM_START_LIMIT``...), so they can be
changed per deployment without code. A breach is a 429 in the API's one error shape (the
app's HTTPException handler), with a ``Retry-After`` header.

Redis down never fails a request: every Redis call has a socket timeout (``REDIS_TIMEOUT``)
and ``FallbackStorage`` counts in this process's memory, with a logged warning, until Redis
answers again (it is tried again every ``RATELIMIT_RETRY_SECONDS``). Limits are then
per process for a while, which is better than refusing every play.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from functools import lru_cache

from flask import Flask, current_app, has_app_context, request
from flask_limiter import Limiter
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage
from limits.strategies import STRATEGIES

from app.core.errors import TooManyRequests

log = logging.getLogger(__name__)


class FallbackStorage(Storage):
    """A ``limits`` storage that counts in ``primary`` (Redis) while it answers and in memory
    while it does not. Invariant: no call raises because ``primary`` is unreachable."""

    STORAGE_SCHEME = None  # not registered under a URL scheme; built in ``init_app``

    def __init__(self, primary: Storage, retry_seconds: float = 30):
        super().__init__()
        self.primary = primary
        self.memory = SweptMemoryStorage()  # defined below; no thread per hit
        self.retry_seconds = retry_seconds
        self.down_until = 0.0  # monotonic time before which primary is not tried
        self.lock = threading.Lock()

    @property
    def base_exceptions(self):
        return ()

    @property
    def falling_back(self) -> bool:
        return time.monotonic() < self.down_until

    def _call(self, method: str, *args, **kwargs):
        if not self.falling_back:
            try:
                return getattr(self.primary, method)(*args, **kwargs)
            except Exception as exc:
                with self.lock:
                    if not self.falling_back:
                        log.warning(
                            "rate limit storage unreachable (%s); counting in memory for %g s",
                            type(exc).__name__,
                            self.retry_seconds,
                        )
                        from app.core import metrics

                        metrics.record_outage("redis")
                    self.down_until = time.monotonic() + self.retry_seconds
        return getattr(self.memory, method)(*args, **kwargs)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call("incr", key, expiry, amount=amount)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def clear(self, key: str) -> None:
        return self._call("clear", key)

    def check(self) -> bool:
        try:
            return bool(self.primary.check())
        except Exception:
            return False

    def reset(self):
        self.memory.reset()
        return self._call("reset")


def limit_key() -> str:
    """Count per listener when logged in (one account behind many addresses is still one
    listener), else per client address."""
    return key_for(current_user.id if current_user.is_authenticated else None)


def key_for(user_id: int | None) -> str:
    """``limit_key``'s rule for a user known by id (None: nobody logged in)."""
    return f"user:{user_id}" if user_id is not None else f"ip:{request.remote_addr or 'unknown'}"


def count_hit(setting: str, scope: str, key: str) -> None:
    """Count one request against the limit ``current_app.config[setting]`` for ``key``, as the
    ``@limiter.limit`` decorator does, and raise a 429 (with Retry-After) when it is over.

    For routes that learn who is asking only from their own statement (``app.accounts.callers``):
    they count after it, with ``limit_key``'s rule (per user, else per address); a 429 rolls
    the statement's writes back with the rest of the request."""
    if not limiter.enabled:
        return
    for item in _parsed(current_app.config[setting]):
        if not limiter.limiter.hit(item, scope, key):
            reset_at = limiter.limiter.get_window_stats(item, scope, key).reset_time
            raise TooManyRequests(
                "Too many requests; slow down and try again shortly.",
                retry_after_seconds=max(1, math.ceil(reset_at - time.time())),
            )


@lru_cache(maxsize=64)
def _parsed(limits: str) -> tuple[RateLimitItem, ...]:
    """A limit string's items, parsed once (``count_hit`` runs on every start and report)."""
    return tuple(parse_many(limits))


def address_key() -> str:
    """Count per client address, logged in or not (login, registration, resets)."""
    return f"ip:{request.remote_addr or 'unknown'}"


def account_key() -> str:
    """Count per account named in the request (the ``email`` of a form or a JSON body),
    whether or not it exists, so a limit tells nothing about which addresses have accounts;
    falls back to the logged-in user, then to the address."""
    email = request.form.get("email") if request.form else None
    if email is None and request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    if isinstance(email, str) and email.strip():
        return "account:" + email.strip().lower()[:254]
    return limit_key()


class PerAppLimiter(Limiter):
    """Flask-Limiter keeps one storage per ``Limiter`` object, and the last app bound to it
    wins. Each app here counts in the storage its own config names (a process hosting several
    apps, as the test suite does, must not count one app's requests in another's Redis).
    Relies on ``_storage``/``_limiter``, set by ``init_app`` in the pinned Flask-Limiter 4.1."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        if self.enabled:
            storage, limiter = self._storage, self._limiter
            if not isinstance(storage, MemoryStorage):
                storage = FallbackStorage(storage, app.config["RATELIMIT_RETRY_SECONDS"])
                limiter = STRATEGIES[self._strategy](storage)
            app.extensions["encore.ratelimit"] = (storage, limiter)

    def _bound(self):
        if has_app_context() and "encore.ratelimit" in current_app.extensions:
            return current_app.extensions["encore.ratelimit"]
        return self._storage, self._limiter

    @property
    def storage(self):
        return self._bound()[0]

    @property
    def limiter(self):
        return self._bound()[1]


limiter = PerAppLimiter(key_func=limit_key)

# Endpoints that count their own limits with ``count_hit``, once their statement has named the
# caller. Flask-Limiter's check before each request would only search them for limits they
# do not have, on the busiest routes, so it skips them (a ``@limiter.limit`` on one of them
# would be skipped too: count it with ``count_hit`` instead).
_counted_by_the_route: set[str] = set()


def counted_by_the_route(*endpoints: str) -> None:
    """Declare endpoints whose views count every limit they have with ``count_hit``."""
    _counted_by_the_route.update(endpoints)


@limiter.request_filter
def _counted_by_its_route() -> bool:
    return request.endpoint in _counted_by_the_route


def configured(name: str):
    """A limit read from ``app.core.config[name]`` at request time, e.g. ``"30 per minute"``."""
    return lambda: current_app.config[name]


class SweptMemoryStorage(MemoryStorage):
    """limits' memory storage, without a thread per hit.

    ``MemoryStorage`` drops expired counters from a ``threading.Timer`` that it starts again
    (a new thread, 10 ms later) on nearly every hit, and each run walks every key it holds:
    under steady traffic that is one thread start per request and a walk over all listeners'
    counters every 10 ms, holding the GIL the request threads need. Here the same sweep runs
    inline, at most once per ``SWEEP_EVERY`` seconds; counts are unchanged, because an expired
    counter is already ignored (and dropped) when read. Relies on the private name of the
    hook in the pinned ``limits`` 5.8 (``tests/core/test_ratelimit.py`` checks it still
    applies).
    """

    STORAGE_SCHEME = ["encore-memory"]  # noqa: RUF012 (limits reads this class attribute to register the scheme)
    SWEEP_EVERY = 1.0

    def __init__(self, uri: str | None = None, **options):
        super().__init__(uri, **options)
        self._sweep_lock = threading.Lock()
        self._next_sweep = time.monotonic() + self.SWEEP_EVERY

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces MemoryStorage.__schedule_expiry
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_EVERY
            self._MemoryStorage__expire_events()
        finally:
            self._sweep_lock.release()


def storage_uri(config) -> str:
    """Where limits are counted: Redis when ``REDIS_URL`` is set (shared by every process),
    else this process's memory (``SweptMemoryStorage``)."""
    return config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "encore-memory://"


def init_app(app: Flask) -> None:
    cfg = app.config
    cfg["RATELIMIT_STORAGE_URI"] = storage_uri(cfg)
    if cfg["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://", "redis+")):
        from app.core.deadlines import redis_options

        cfg.setdefault("RATELIMIT_STORAGE_OPTIONS", redis_options(cfg))
    cfg.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    cfg.setdefault("RATELIMIT_KEY_PREFIX", "encore")
    limiter.init_app(app)
