"""``flask payouts ...``: pay artists for a period, retry, list what the bank must pay."""

from __future__ import annotations

import click

from app.core.errors import ServiceError
from app.core.extensions import db
from app.payments.services import payouts

payouts_cli = click.Group("payouts", help="Artist payouts.")


@payouts_cli.command("run")
@click.option("--period", required=True, help="The month to pay, like 2026-11 (it must have ended).")
def run_command(period: str):
    """Pay every artist whose earnings for PERIOD reach the minimum (safe to repeat)."""
    from app.payments.services.payout_runs import execute_run

    try:
        run = payouts.create_run(period)
        db.session.commit()
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    summary = execute_run(run.id)
    for status in ("paid", "in_transit", "returned", "held"):
        for artist_id, payout_id in summary[status]:
            click.echo(f"artist {artist_id}: payout {payout_id} {status.replace('_', ' ')}")
    for artist_id, reason in summary["skipped"]:
        click.echo(f"artist {artist_id}: skipped ({reason})")
    click.echo(
        f"run {run.id} for {period}: {len(summary['paid'])} paid, {len(summary['in_transit'])} in transit "
        f"(bank transfers to make, or Stripe to retry), {len(summary['returned'])} returned to earnings, "
        f"{len(summary['held'])} held for review, {len(summary['skipped'])} skipped"
    )


@payouts_cli.command("retry")
def retry_command():
    """Retry every Stripe transfer whose outcome is still unknown."""
    from app.payments.services.payout_runs import retry_in_transit

    for payout_id, status in retry_in_transit().items():
        click.echo(f"payout {payout_id}: {status.replace('_', ' ')}")


@payouts_cli.command("bank-csv")
@click.option("--period", default=None, help="Only this month.")
def bank_csv_command(period: str | None):
    """Print the bank payouts still to make, as CSV."""
    click.echo(payouts.bank_csv(period), nl=False)


COMMANDS = [payouts_cli]
