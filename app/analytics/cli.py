"""``flask analytics ...`` (the rollups) and ``flask transparency ...`` (the public books)."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app

from app.analytics.services import rollups, transparency
from app.core.extensions import db

analytics_cli = click.Group("analytics", help="The analytics rollups behind artist dashboards.")
transparency_cli = click.Group("transparency", help="The co-op's public books.")


def _progress(started: float):
    def show(total: rollups.Summary) -> None:
        click.echo(
            f"\r  {total.plays:,} plays, {total.transfers:,} transfers read ({time.monotonic() - started:.0f} s)",
            nl=False,
            err=True,
        )

    return show


@analytics_cli.command("update")
def update_command():
    """Read what the ledger recorded since the last run into the rollups."""
    started = time.monotonic()
    total = rollups.run_until_current(checkpoint=db.session.commit, progress=_progress(started))
    click.echo("", err=True)
    if total.skipped:
        click.echo("Another rollup run is in progress; it will read everything.")
    click.echo(
        f"Read {total.plays} plays and {total.transfers} transfers in {time.monotonic() - started:.1f} s; "
        f"{total.gaps_open} gap(s) open."
    )


@analytics_cli.command("rebuild")
def rebuild_command():
    """Empty the rollups and recompute them from the whole ledger."""
    started = time.monotonic()
    try:
        total = rollups.rebuild(progress=lambda line: click.echo(f"  {line}", err=True), checkpoint=db.session.commit)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Rebuilt up to play #{total.plays} and transfer #{total.transfers} in {time.monotonic() - started:.1f} s."
    )


@transparency_cli.command("export")
@click.option("--period", required=True, help="The month, YYYY-MM.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file (default: standard output).",
)
def export_command(period: str, output: str | None):
    """Write one month's public books as CSV (the figures of /transparency/YYYY-MM)."""
    from app.analytics.representations import books_json
    from app.core.errors import ServiceError

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        try:
            books = transparency.month_books(transparency.parse_period(period))
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        body = transparency.to_csv(transparency.csv_rows(books, books_json(books)))
    db.session.rollback()  # read-only
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(body)
        click.echo(f"Wrote the books of {period} to {output}.", err=True)
    else:
        sys.stdout.write(body)


COMMANDS = [analytics_cli, transparency_cli]
