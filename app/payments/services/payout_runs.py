"""Payout runs: the admin's button and ``flask payouts run`` execute the same runner.

The runner commits between steps (see ``app.payments.services.payouts``): the reservation of each
artist's payout is committed before Stripe is called, and Stripe is called with no
transaction open. Progress (artists done / total) is committed as it goes, so the admin's
page can show it while the run works. The queued tasks (``app.payments.tasks``) call it; so do
``flask payouts run`` and the demo's seed.
"""

from __future__ import annotations

import logging

from app.core.errors import ServiceError
from app.core.extensions import db
from app.core.types import utcnow
from app.payments.models import Payout, PayoutRunStatus
from app.payments.services import payouts
from ledger import LedgerError

log = logging.getLogger(__name__)


def _send(payout_id: int) -> str:
    """Step 2 for one reserved Stripe payout: call Stripe with no transaction open, record."""
    payout = db.session.get(Payout, payout_id)
    request = payouts.transfer_request(payout)
    db.session.commit()  # end the read transaction before the network call
    if request is None:
        return payout.status.value
    outcome = payouts.send_transfer(request)
    status = payouts.record_transfer(payout_id, outcome)
    db.session.commit()
    return status.value


def execute_run(run_id: int) -> dict:
    """Run (or resume) the payouts of a run's period. Safe to call again for the same period:
    reserved payouts are found again, and only the unsent ones are sent."""
    run = payouts.get_run(run_id)
    period = payouts.parse_period(run.period)
    run.status = PayoutRunStatus.RUNNING
    run.error = None
    artists = payouts.candidate_artists()
    run.total, run.done, run.paid = len(artists), 0, 0
    db.session.commit()
    summary: dict[str, list] = {"paid": [], "in_transit": [], "returned": [], "held": [], "voided": [], "skipped": []}
    try:
        for artist_id in artists:
            try:
                outcome = payouts.reserve(artist_id, period, run_id)
                db.session.commit()
            except (ServiceError, LedgerError) as exc:
                db.session.rollback()
                log.warning("payout of artist %s for %s not reserved: %s", artist_id, period.name, exc)
                outcome = payouts.Skipped(artist_id, str(exc))
            if isinstance(outcome, payouts.Skipped):
                summary["skipped"].append((artist_id, outcome.reason))
            else:
                payout_id = outcome.id
                status = _send(payout_id)
                summary[status].append((artist_id, payout_id))
            run = payouts.get_run(run_id)
            run.done += 1
            run.paid = len(summary["paid"]) + len(summary["in_transit"])
            db.session.commit()
        run = payouts.get_run(run_id)
        run.status = PayoutRunStatus.DONE
        run.finished_at = utcnow()
        db.session.commit()
    except BaseException as exc:
        db.session.rollback()
        run = payouts.get_run(run_id)
        run.status = PayoutRunStatus.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = utcnow()
        db.session.commit()
        raise
    log.info("payout run %s (%s): %s", run_id, period.name, {k: len(v) for k, v in summary.items()})
    return summary


def retry_in_transit() -> dict:
    """Send again every Stripe payout left in transit (a crash, a 5xx), same idempotency keys."""
    ids = payouts.in_transit_transfers()
    db.session.commit()
    return {payout_id: _send(payout_id) for payout_id in ids}


def send_payout(payout_id: int) -> str:
    """Send one payout's Stripe transfer if it needs one (a released hold). Commits."""
    return _send(payout_id)
