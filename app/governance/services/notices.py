"""Emails to members about proposals: when one opens, and a day before it closes.

Each notice has a dedupe key per proposal, event and member, so running the reminder job
twice, or opening a proposal in a retried request, never mails anyone twice.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from app.core.mail import queue_mail
from app.governance.models import Proposal
from app.governance.services import membership


def proposal_url(proposal: Proposal) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/governance/proposals/{proposal.id}"


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _send_to_members(proposal: Proposal, event: str, subject: str, body: str, at: datetime) -> int:
    sent = 0
    for user_id, email in membership.member_emails(at):
        if queue_mail(to=email, subject=subject, body=body, dedupe_key=f"proposal:{proposal.id}:{event}:{user_id}"):
            sent += 1
    return sent


def proposal_opened(proposal: Proposal, *, at: datetime) -> int:
    """Tell every member a vote has opened. Returns how many notices were queued."""
    subject = f"Vote open: {proposal.title}"
    body = (
        f"A pricing proposal is open for your vote until {_when(proposal.closes_at)}.\n\n"
        f"{proposal.title}\n\n{proposal.rationale}\n\n"
        f"Read it and vote: {proposal_url(proposal)}\n\n"
        "One member, one vote. You can change your vote until the vote closes.\n"
    )
    return _send_to_members(proposal, "opened", subject, body, at)


def proposal_closing_soon(proposal: Proposal, *, at: datetime) -> int:
    """Remind every member that the vote closes within a day."""
    subject = f"Vote closes soon: {proposal.title}"
    body = (
        f'The vote on "{proposal.title}" closes at {_when(proposal.closes_at)}.\n\n'
        f"If you have not voted yet, or want to change your vote: {proposal_url(proposal)}\n"
    )
    return _send_to_members(proposal, "closing-soon", subject, body, at)
