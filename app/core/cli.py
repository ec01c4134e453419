"""``flask`` commands of the shared parts: the ledger's checks, the mail outbox, the settings.

``init_app`` adds every domain's command groups (each ``app/<domain>/cli.py`` lists its own
in ``COMMANDS``).
"""

from __future__ import annotations

import click
from flask import Flask

from app.core.extensions import db

ledger_cli = click.Group("ledger", help="The credits ledger.")
mail_cli = click.Group("mail", help="Outgoing email.")
config_cli = click.Group("config", help="The ENCORE_* settings.")


@ledger_cli.command("verify")
def verify_command():
    """Check the ledger's invariants; exit 1 if any is breached."""
    import ledger

    report = ledger.verify(db.session)
    db.session.rollback()  # read-only: end the transaction the checks ran in
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise SystemExit(1)


@mail_cli.command("deliver")
def deliver():
    """Deliver the emails waiting in the outbox."""
    from app.core.mail import deliver_outbox

    click.echo(f"delivered {deliver_outbox(checkpoint=db.session.commit)} emails")


@config_cli.command("table")
def config_table():
    """Print the settings as the README's Markdown table."""
    from app.core.config import markdown_table

    click.echo(markdown_table(), nl=False)


COMMANDS = [ledger_cli, mail_cli, config_cli]


def init_app(app: Flask) -> None:
    from app.core import domains

    for group in domains.cli_groups():
        app.cli.add_command(group)
