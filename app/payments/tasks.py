"""The payouts' queued work: the admin's run button, a released hold's transfer, the hourly
retry. The runner itself is ``app.payments.services.payout_runs``."""

from __future__ import annotations

from huey import crontab

from app.core.queue import periodic, task
from app.payments.services.payout_runs import execute_run, retry_in_transit, send_payout


@task("payouts.send")
def send_one_payout(payout_id: int) -> str:
    """After an admin releases a held payout: its transfer, in the background."""
    return send_payout(payout_id)


@task("payouts.run", durable=True)
def run_payouts(run_id: int) -> dict:
    """The admin's button: one run, in the background. Durable: a run whose worker died is
    run again (``execute_run`` resumes: reserved payouts are found again, sent ones are not
    sent twice)."""
    return execute_run(run_id)


@periodic("payouts.retry", crontab(minute="17"))
def retry_payouts() -> dict:
    """Hourly: retry Stripe transfers whose outcome is still unknown. Periodic and idempotent
    (same idempotency keys), so a run lost with its worker is made up by the next one."""
    return retry_in_transit()
