"""One commit point per request: views and services flush, this module commits.

Invariants:

- A request whose response is a success (status < 400: 2xx, a 302 redirect, a 304) commits
  once, after the view returned and before the response leaves; anything else (an error
  page, a JSON error, a re-rendered form with 422, an exception) rolls back, so a view whose
  service raised after flushing leaves nothing written.
- A failure of that commit (a lost connection, say) is
  handled like an exception in the view: rolled back and answered by the error handlers.
- A streamed body (a generator, ``send_file``) is produced after the commit: it may read, but
  what it writes is never committed.
- The only other commits in a request are ``commit_now(reason)`` calls, each made because
  something outside the database must see the data first: a payment provider called with an
  order's id, a background job enqueued that reads what the request wrote, a file deleted
  once the row that pointed at it has moved on. Grep ``commit_now(`` to see them all.

Background tasks commit in ``app.core.queue`` (one transaction per task) and CLI commands
commit themselves; services never commit.
"""

from __future__ import annotations

import logging

from flask import Flask, Response

from app.core.extensions import db

log = logging.getLogger(__name__)


def commit_now(reason: str) -> None:
    """Commit the request's work so far, before the request ends, because ``reason``.

    For the deliberate exceptions to the one commit point only (see the module docstring); the
    request-end commit still runs for whatever the view writes afterwards.
    """
    log.debug("commit before the end of the request: %s", reason)
    db.session.commit()


def register_transaction_hooks(app: Flask) -> None:
    """Commit after a successful view, roll back otherwise (see the module docstring).

    Registered after every other ``after_request`` function, so it runs first (Flask runs them
    in reverse) and the others (headers) see the response a failed commit turned into.
    """

    @app.after_request
    def commit_or_roll_back(response: Response) -> Response:
        if response.status_code >= 400:
            _roll_back()
            return response
        try:
            db.session.commit()
        except Exception as exc:  # answered like an exception raised by the view itself
            db.session.rollback()
            return app.make_response(app.handle_user_exception(exc))
        return response

    @app.teardown_request
    def roll_back_on_exception(exc: BaseException | None) -> None:
        # An exception no handler answered (after_request did not run): leave nothing behind.
        if exc is not None:
            _roll_back()


def _roll_back() -> None:
    """End the request's transaction without committing.

    ``close()`` rolls back like ``rollback()`` but leaves the objects the request loaded as
    they were (detached, not expired), exactly as the session's own removal at the end of the
    request does; code still holding them (a test's factories) can read them afterwards.
    """
    db.session.close()
