"""Charging plays one round trip each: an autocommit entry point for callers that charge and
commit nothing else (a charging worker, the ledger benchmark).

``ledger.charge_play`` works inside the caller's transaction, so a charge costs three round
trips (BEGIN, the call, COMMIT) and the Session's bookkeeping around them. A
``PlayCharger`` holds one connection of its own in autocommit mode and sends each charge as
one prepared statement, ``SELECT * FROM ledger_charge_play(...)``: PostgreSQL runs it as its
own transaction, which commits when the statement ends. The function is atomic by itself
(it checks everything before it writes and answers refusals instead of raising them), so a
charge is either wholly committed or not written at all; there is nothing for the caller to
commit or roll back.

The money rules are the same as ``charge_play``'s because the code is the same: the
arguments are checked by ``ledger.operations.charge_play_params``, the rules are the
PostgreSQL function's (``ledger.functions``, their only implementation), and its answer is
mapped by ``ledger.operations.play_result``, so the result and the exceptions are
identical. Only the transaction handling differs.

Invariants: the charger's connection never holds an open transaction between charges; a
charger is used by one thread at a time (like the connection it holds); a lost connection is
invalidated (dropped from the pool, not reused) and the error raised.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine

from ledger.functions import PLAY_OUTCOME_NAMES
from ledger.operations import PlayResult, charge_play_params, play_result

_CHARGE_PLAY_SQL = "SELECT * FROM ledger_charge_play(%s, %s, %s, %s, %s, %s, %s, %s)"

# The function's answer, with the attribute names ``play_result`` reads (one class, made once).
_PlayRow = namedtuple("_PlayRow", PLAY_OUTCOME_NAMES)  # type: ignore[misc]


class PlayCharger:
    """Charges counted plays, each one statement, one round trip and its own transaction.

    Use as a context manager (or call ``close()``)::

        with ledger.PlayCharger(engine) as charger:
            result = charger.charge_play(key=..., listener_id=..., track_id=..., artist_id=...,
                                         track_is_free=False, listener_is_artist=False)

    The connection comes from ``engine``'s pool and goes back to it (with its isolation
    level restored) on ``close()``.
    """

    def __init__(self, engine: Engine) -> None:
        self._connection: Connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        # The driver's own connection and one cursor, reused: no statement compilation, no
        # Session or transaction bookkeeping per charge; the statement is prepared on the
        # server once (psycopg, ``prepare=True``) and then only bound and executed.
        driver: Any = self._connection.connection.driver_connection
        self._driver = driver
        self._cursor: Any = driver.cursor()

    def charge_play(
        self,
        *,
        key: str,
        listener_id: int,
        track_id: int,
        artist_id: int,
        track_is_free: bool,
        listener_is_artist: bool,
        at: datetime | None = None,
    ) -> PlayResult:
        """Charge one counted play and commit it, in one round trip. Arguments, result,
        idempotency and exceptions are those of ``ledger.charge_play``; a refusal
        (``InsufficientCredits``, ``IdempotencyConflict``...) has written nothing."""
        params = charge_play_params(key, listener_id, track_id, artist_id, track_is_free, listener_is_artist, at)
        try:
            self._cursor.execute(_CHARGE_PLAY_SQL, params, prepare=True)
            row = self._cursor.fetchone()
        except Exception:
            if self._driver.closed or self._driver.broken:
                self._connection.invalidate()  # never hand a dead connection back to the pool
            raise
        return play_result(_PlayRow._make(row), key, at)

    def close(self) -> None:
        """Give the connection back to the engine's pool."""
        self._cursor.close()
        self._connection.close()

    def __enter__(self) -> PlayCharger:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
