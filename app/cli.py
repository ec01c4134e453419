"""``flask`` commands: the demo co-op and user administration."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Role, User
from app.services import accounts
from app.services.errors import ServiceError

demo_cli = click.Group("demo", help="The demo co-op.")
users_cli = click.Group("users", help="User administration.")
ledger_cli = click.Group("ledger", help="The credits ledger.")


@demo_cli.command("seed")
def seed_command():
    """Seed the demo co-op once; later calls only print the logins."""
    from app import demo

    if demo.is_seeded():
        click.echo("The demo co-op is already seeded.")
    else:
        demo.seed_demo()
        db.session.commit()
        click.echo("Seeded the demo co-op.")
    click.echo(f"Demo logins (password: {demo.DEMO_PASSWORD}):")
    for who, email in demo.demo_logins():
        click.echo(f"  {who:<28} {email}")


@users_cli.command("make-admin")
@click.argument("email")
def make_admin(email: str):
    """Give an existing user the admin role."""
    user = db.session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    user.role = Role.ADMIN
    db.session.commit()
    click.echo(f"{user.email} is now an admin.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--display-name", required=True)
@click.option("--country", default=None)
@click.password_option()
def create_user(email: str, display_name: str, country: str | None, password: str):
    """Create a listener account (its email counts as verified: an operator vouches for it)."""
    try:
        user = accounts.register(email=email, password=password, display_name=display_name, country=country,
                                 verified=True)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    if user is None:
        raise click.ClickException(f"There is already an account with {email}.")
    db.session.commit()
    click.echo(f"Created {user.email} (verified).")


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


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(ledger_cli)

    from app.governance_cli import governance_cli, mail_cli

    app.cli.add_command(governance_cli)
    app.cli.add_command(mail_cli)

    from app.payments_cli import payouts_cli

    app.cli.add_command(payouts_cli)

    from app.analytics_cli import analytics_cli, transparency_cli

    app.cli.add_command(analytics_cli)
    app.cli.add_command(transparency_cli)
