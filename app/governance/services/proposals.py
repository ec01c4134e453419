"""Pricing proposals: drafting, editing while a draft, opening for a vote.

Any current member drafts; only the author edits, and only while it is a draft. Opening
freezes the proposal (a database trigger backs this) and fixes the rules it is decided by:
the quorum and the threshold (two thirds when the artist share changes, else one half).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.accounts.models import User
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.governance.models import CLOSED_STATUSES, Proposal, ProposalStatus
from app.governance.services import membership
from app.governance.services import notices as governance_notices
from app.governance.services.pricing_parameters import BY_KEY, proposed_values
from app.governance.services.tally import SIMPLE_MAJORITY, TWO_THIRDS

DEFAULT_VOTING_DAYS = 7
MIN_VOTING_DAYS = 2
MAX_VOTING_DAYS = 30

_UNCHANGED = object()


def _title(value) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if not 1 <= len(value) <= 200:
        raise ValidationFailed("The title needs 1 to 200 characters.", field="title")
    return value


def _rationale(value) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if len(value) > 20_000:
        raise ValidationFailed("The rationale needs at most 20,000 characters.", field="rationale")
    return value


def _voting_days(value) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("The voting window is a whole number of days.", field="voting_days")
    if not MIN_VOTING_DAYS <= value <= MAX_VOTING_DAYS:
        raise ValidationFailed(
            f"The voting window is {MIN_VOTING_DAYS} to {MAX_VOTING_DAYS} days.", field="voting_days"
        )
    return value


def parse_changes(changes: dict) -> dict[str, int | None]:
    """Human values keyed by parameter (``{"artist_share": "75"}``) -> proposal columns with
    the ledger's integers. ``None`` or an empty string means "leave this parameter alone"."""
    if not isinstance(changes, dict):
        raise ValidationFailed("The changes are an object of parameter: value.", field="changes")
    unknown = sorted(set(changes) - set(BY_KEY))
    if unknown:
        raise ValidationFailed(
            f"Unknown pricing parameter(s): {', '.join(unknown)}. Known: {', '.join(BY_KEY)}.",
            field=unknown[0],
        )
    out: dict[str, int | None] = {}
    for key, raw in changes.items():
        param = BY_KEY[key]
        out[param.column] = None if raw is None or (isinstance(raw, str) and raw.strip() == "") else param.parse(raw)
    return out


def _require_member(user: User, what: str, at: datetime | None = None) -> None:
    if not membership.is_member(user, at):
        raise Forbidden(f"Only members of the co-op can {what}.", code="not_a_member")


def create_draft(
    author: User,
    *,
    title: str,
    rationale: str = "",
    changes: dict | None = None,
    voting_days: int = DEFAULT_VOTING_DAYS,
    hide_results: bool = True,
) -> Proposal:
    """A member's new draft proposal. It may start without changes; it cannot open without."""
    _require_member(author, "draft proposals")
    proposal = Proposal(
        author_id=author.id,
        title=_title(title),
        rationale=_rationale(rationale),
        voting_days=_voting_days(voting_days),
        hide_results=bool(hide_results),
        status=ProposalStatus.DRAFT,
    )
    for column, value in parse_changes(changes or {}).items():
        setattr(proposal, column, value)
    db.session.add(proposal)
    db.session.flush()
    return proposal


def _require_editable(proposal: Proposal, user: User) -> None:
    if proposal.status is not ProposalStatus.DRAFT:
        raise Conflict("This proposal is open or closed and can no longer change.", code="proposal_frozen")
    if proposal.author_id != user.id:
        raise Forbidden("Only the author can change a draft.")


def update_draft(
    proposal: Proposal,
    editor: User,
    *,
    title=_UNCHANGED,
    rationale=_UNCHANGED,
    changes: dict | None = None,
    voting_days=_UNCHANGED,
    hide_results=_UNCHANGED,
) -> Proposal:
    """Edit a draft. ``changes`` updates only the parameters it names (``None`` clears one)."""
    _require_editable(proposal, editor)
    # Validate everything before touching the row, so a bad field changes nothing.
    updates: dict[str, object] = {}
    if title is not _UNCHANGED:
        updates["title"] = _title(title)
    if rationale is not _UNCHANGED:
        updates["rationale"] = _rationale(rationale)
    if voting_days is not _UNCHANGED:
        updates["voting_days"] = _voting_days(voting_days)
    if hide_results is not _UNCHANGED:
        updates["hide_results"] = bool(hide_results)
    updates.update(parse_changes(changes or {}))
    for column, value in updates.items():
        setattr(proposal, column, value)
    proposal.updated_at = utcnow()
    db.session.flush()
    return proposal


def open_proposal(proposal: Proposal, by: User, *, now: datetime | None = None) -> Proposal:
    """Open the vote: freeze the proposal, fix its rules, tell every member."""
    from app.governance.services import pricing  # the ledger's prices, for the whole-schedule check

    now = now or utcnow()
    if proposal.status is not ProposalStatus.DRAFT:
        raise Conflict("This proposal is already open or closed.", code="proposal_frozen")
    if proposal.author_id != by.id and not by.is_admin:
        raise Forbidden("Only the author (or an admin) can open this proposal.")
    if not by.is_admin:
        _require_member(by, "open proposals", now)
    changes = proposed_values(proposal)
    if not changes:
        raise ValidationFailed("A proposal needs at least one new price before it can open.", field="changes")
    # The voters are shown one complete price set: the latest decided version (possibly not
    # in force yet) with these changes. Both are recorded; a pass enacts exactly ``enacts``.
    base = pricing.latest_params()
    enacts = pricing.check_combination(changes, base=base)

    proposal.opened_against = pricing.record_of(base)
    proposal.enacts = pricing.record_of(enacts)
    proposal.status = ProposalStatus.OPEN
    proposal.opened_at = now
    proposal.closes_at = now + timedelta(days=proposal.voting_days)
    proposal.quorum_percent = current_app.config["GOVERNANCE_QUORUM_PERCENT"]
    num, den = TWO_THIRDS if BY_KEY["artist_share"] in changes else SIMPLE_MAJORITY
    proposal.threshold_num, proposal.threshold_den = num, den
    proposal.updated_at = now
    db.session.flush()
    governance_notices.proposal_opened(proposal, at=now)
    return proposal


def get_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"There is no proposal {proposal_id}.")
    return proposal


def visible_to(proposal: Proposal, user) -> bool:
    """Drafts are the author's (and admins') business; everything else is public."""
    if proposal.status is not ProposalStatus.DRAFT:
        return True
    return bool(user and user.is_authenticated and (user.id == proposal.author_id or user.is_admin))


def get_visible_proposal(proposal_id: int, user) -> Proposal:
    proposal = get_proposal(proposal_id)
    if not visible_to(proposal, user):
        raise NotFound(f"There is no proposal {proposal_id}.")
    return proposal


@dataclass
class ProposalLists:
    open: list[Proposal]
    closed: list[Proposal]
    drafts: list[Proposal]  # the viewer's own


def list_proposals(viewer=None, *, limit: int = 100) -> ProposalLists:
    """Open proposals closing soonest first, closed ones newest first, the viewer's drafts."""
    open_ = db.session.scalars(
        select(Proposal).where(Proposal.status == ProposalStatus.OPEN).order_by(Proposal.closes_at, Proposal.id)
    )
    closed = db.session.scalars(
        select(Proposal)
        .where(Proposal.status.in_(CLOSED_STATUSES))
        .order_by(Proposal.closed_at.desc(), Proposal.id.desc())
        .limit(limit)
    )
    drafts: list[Proposal] = []
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        drafts = list(
            db.session.scalars(
                select(Proposal)
                .where(Proposal.status == ProposalStatus.DRAFT, Proposal.author_id == viewer.id)
                .order_by(Proposal.updated_at.desc())
            )
        )
    return ProposalLists(list(open_), list(closed), drafts)
