"""The one clock: every "now" of the ledger and the web layer is read here.

The design is plain: one module-level clock object, read through ``now()``. The ledger's
operations that take ``at: datetime | None`` default it to ``now()``; everything else that
stamps a time (``ledger.types.utcnow``, which ``app.core.types`` re-exports, so also the
models' column defaults and the services) calls ``now()`` as well. Nothing caches the time
it read, so replacing the clock changes every reader at once.

Production never replaces it: the default is the system's UTC clock. Tests replace it
through one fixture (``tests/conftest.py`` ``clock``) with a ``FrozenClock`` they move by
hand, or a ``SteppingClock`` that advances a fixed step per reading, and ``use()`` puts the
previous clock back when the test ends.

Invariant: ``now()`` always returns an aware UTC datetime.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, an aware UTC datetime."""
        ...


class SystemClock:
    """The wall clock of this machine, in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


def _aware_utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime given; use an aware UTC datetime")
    return at.astimezone(timezone.utc)


class FrozenClock:
    """A clock that stands still until moved (``set``, ``advance``)."""

    def __init__(self, at: datetime):
        self._at = _aware_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware_utc(at)

    def advance(self, delta: timedelta) -> datetime:
        self._at += delta
        return self._at


class SteppingClock(FrozenClock):
    """A clock that moves ``step`` forward after each reading, so readings are distinct and
    ordered (the first reading is ``at``)."""

    def __init__(self, at: datetime, step: timedelta = timedelta(milliseconds=1)):
        super().__init__(at)
        self.step = step

    def now(self) -> datetime:
        at = self._at
        self._at += self.step
        return at


SYSTEM = SystemClock()
_current: Clock = SYSTEM


def now() -> datetime:
    """The current time of the installed clock (the system's unless a test replaced it)."""
    return _current.now()


def current() -> Clock:
    """The installed clock."""
    return _current


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Install ``clock`` for the duration of the block, then put the previous one back."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous
