"""The periodic governance job: close due votes, send "closes tomorrow" reminders, deliver mail.

The work is plain service code (``run_housekeeping``), shared with ``flask governance
close-due``; the periodic task is only a thin wrapper (``app.core.queue`` gives it an app context).
"""

from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab

from app.core import mail
from app.core.extensions import db
from app.core.queue import periodic
from app.governance.services import closing

log = logging.getLogger(__name__)


def run_housekeeping(now: datetime | None = None) -> dict:
    """Close what is due (one commit), queue reminders (one commit), then deliver the outbox."""
    closed = closing.close_due_proposals(now)
    db.session.commit()
    reminded = closing.send_closing_reminders(now)
    db.session.commit()
    delivered = mail.deliver_outbox(checkpoint=db.session.commit)
    summary = {
        "closed": [{"proposal_id": c.proposal_id, "passed": c.passed, "status": c.status.value} for c in closed],
        "reminded": reminded,
        "delivered": delivered,
    }
    if closed or reminded or delivered:
        log.info("governance housekeeping: %s", summary)
    return summary


@periodic("governance.housekeeping", crontab(minute="*/5"))
def governance_housekeeping() -> dict:
    """Every five minutes: close due votes, send reminders, deliver mail. Periodic and
    idempotent (a closed vote is not closed again, reminders and mail have dedupe keys), so a
    run lost with its worker is made up by the next one; no durable job is needed."""
    return run_housekeeping()
