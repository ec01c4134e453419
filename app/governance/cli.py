"""``flask governance ...`` and ``flask mail ...``: closing votes, memberships, mail delivery."""

from __future__ import annotations

from datetime import datetime, timezone

import click
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.core.errors import ServiceError
from app.core.extensions import db
from app.governance.models import MembershipSource
from app.governance.services import membership

governance_cli = click.Group("governance", help="Co-op governance: votes and memberships.")


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("give an ISO time like 2026-12-01T00:00:00+00:00") from None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


@governance_cli.command("close-due")
@click.option("--now", default=None, help="Pretend it is this ISO time (UTC); default: now.")
def close_due(now: str | None):
    """Close every vote whose window has ended, send reminders, deliver mail."""
    from app.governance.tasks import run_housekeeping

    summary = run_housekeeping(_parse_now(now))
    for item in summary["closed"]:
        click.echo(f"proposal {item['proposal_id']}: {item['status']}")
    click.echo(
        f"closed {len(summary['closed'])}, reminded {summary['reminded']}, delivered {summary['delivered']} emails"
    )


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    return user


@governance_cli.command("grant-membership")
@click.argument("email")
@click.option(
    "--class",
    "member_class",
    default="listener",
    show_default=True,
    type=click.Choice(["listener", "artist", "worker"]),
)
@click.option("--reference", default=None, help="e.g. the share certificate number")
def grant(email: str, member_class: str, reference: str | None):
    """Record a share bought outside the service."""
    try:
        m = membership.grant_membership(_user(email), member_class, MembershipSource.ADMIN_RECORD, reference)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"membership {m.id}: {email} is a {m.member_class.value} member.")


@governance_cli.command("end-membership")
@click.argument("membership_id", type=int)
@click.option("--reason", default="", help="why it ends, kept with the history")
def end(membership_id: int, reason: str):
    """End a membership (the row stays, as history)."""
    try:
        membership.end_membership(membership.get_membership(membership_id), reason=reason)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"membership {membership_id} ended.")


COMMANDS = [governance_cli]
