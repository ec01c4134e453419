"""Outages of what Encore depends on, told apart from bugs.

A dependency that is down or too slow (the database, the object store, Redis) is not a
defect of the request: it answers 503 with ``Retry-After`` so clients and load balancers
come back later, instead of ``500 internal_error``. A full disk answers 507. ``classify``
looks at an exception and everything it was raised from; the messages it returns are for
the public and never carry the internal error text.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

# Disk full, or the user's quota used up: the server cannot store what it was given.
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


@dataclass(frozen=True)
class Outage:
    status: int  # 503 or 507
    code: str  # the API's error code
    dependency: str  # "database", "storage", "redis", "disk": the metric's label
    message: str  # for the public


def _chain(exc: BaseException):
    """``exc`` and every exception it was raised from or during, each once."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify(exc: BaseException) -> Outage | None:
    """The outage ``exc`` stands for, or None when it is not one (a bug: 500)."""
    import redis.exceptions
    import sqlalchemy.exc

    from audio.storage import ObjectNotFound, StorageError

    chain = list(_chain(exc))
    for link in chain:
        if isinstance(link, OSError) and link.errno in _NO_SPACE:
            return Outage(
                507,
                "insufficient_storage",
                "disk",
                "The server has no room to store this right now; please try again later.",
            )
    for link in chain:
        if isinstance(
            link,
            (
                sqlalchemy.exc.OperationalError,
                sqlalchemy.exc.InterfaceError,
                sqlalchemy.exc.TimeoutError,
                sqlalchemy.exc.DisconnectionError,
            ),
        ):
            return Outage(
                503,
                "unavailable",
                "database",
                "The database is unreachable or overloaded right now; please try again shortly.",
            )
        if isinstance(link, sqlalchemy.exc.DBAPIError) and link.connection_invalidated:
            return Outage(
                503,
                "unavailable",
                "database",
                "The database is unreachable or overloaded right now; please try again shortly.",
            )
        if isinstance(link, StorageError) and not isinstance(link, ObjectNotFound):
            return Outage(
                503, "unavailable", "storage", "The file store is unreachable right now; please try again shortly."
            )
        if isinstance(link, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
            return Outage(
                503,
                "unavailable",
                "redis",
                "A service Encore depends on is unreachable right now; please try again shortly.",
            )
    return None
