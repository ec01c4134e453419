"""``flask users ...``: user administration."""

from __future__ import annotations

import click
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.core.errors import ServiceError
from app.core.extensions import db

users_cli = click.Group("users", help="User administration.")


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
        user = accounts.register(
            email=email, password=password, display_name=display_name, country=country, verified=True
        )
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    if user is None:
        raise click.ClickException(f"There is already an account with {email}.")
    db.session.commit()
    click.echo(f"Created {user.email} (verified).")


COMMANDS = [users_cli]
