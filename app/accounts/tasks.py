"""Account tasks: deliver account mail right after the request that wrote it (a reset link
should not wait for the five-minute housekeeping), and purge ended sessions."""

from __future__ import annotations

import logging

from flask import after_this_request
from huey import crontab

from app.accounts import sessions
from app.core import mail
from app.core.queue import enqueue, periodic, task

log = logging.getLogger(__name__)


@task("accounts.deliver_mail", retries=2, retry_delay=30)
def deliver_mail() -> int:
    return mail.deliver_outbox()


def deliver_mail_soon() -> None:
    """Ask a worker to send the outbox once this request's response is ready (call after
    committing the mail). A queue outage only delays the mail until the periodic
    housekeeping sends it: the request does not fail."""

    @after_this_request
    def enqueue_delivery(response):
        try:
            enqueue("accounts.deliver_mail")
        except Exception:  # noqa: BLE001 (any broker error; the mail is safe in the outbox)
            log.warning("could not queue mail delivery; the periodic housekeeping will send it", exc_info=True)
        return response


@periodic("accounts.purge_sessions", crontab(minute="23"))
def purge_sessions() -> int:
    """Hourly: delete sessions that ended by idling and are not remembered."""
    return sessions.purge_expired()
