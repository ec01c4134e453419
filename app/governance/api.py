"""Governance over JSON: memberships, proposals, votes, results, pricing history.

Pricing values travel in human units as strings (``"0.0015"`` credits, ``"75"`` percent,
``"1.30"`` EUR, ``"2.5"`` for growth) so no client has to round a float; whole numbers
(plays to own, seconds) are integers. The server converts them exactly.
"""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.core.api import bp
from app.core.auth import api_login_required, require_admin
from app.core.errors import ValidationFailed
from app.core.extensions import db
from app.core.inputs import Field, Query, accepts, documented, query_int
from app.governance.models import MembershipSource
from app.governance.representations import (
    ballot_json,
    membership_json,
    proposal_json,
    proposal_ref,
    tally_json,
    version_json,
)
from app.governance.services import membership, pricing, proposals, voting
from app.governance.services.pricing_parameters import PARAMETERS


def _parameter_fields(nullable: bool) -> list[Field]:
    fields = []
    for p in PARAMETERS:
        whole = p.scale == 1
        fields.append(
            Field(
                p.key,
                int if whole else str,
                required=False,
                nullable=nullable,
                description=f"new {p.label.lower()} in {p.unit} ({p.show_human(p.minimum)} to "
                f"{p.show_human(p.maximum)})" + ("; null leaves it unchanged" if nullable else ""),
            )
        )
    return fields


def _split(body: dict) -> tuple[dict, dict]:
    """(proposal fields, pricing changes) of a request body."""
    keys = {p.key for p in PARAMETERS}
    return {k: v for k, v in body.items() if k not in keys}, {k: v for k, v in body.items() if k in keys}


@bp.get("/governance/proposals")
def list_proposals():
    """Open proposals (closing soonest first), closed ones (newest first) and your drafts."""
    lists = proposals.list_proposals(current_user)
    return jsonify(
        open=[proposal_ref(p) for p in lists.open],
        closed=[proposal_ref(p) for p in lists.closed],
        drafts=[proposal_ref(p) for p in lists.drafts],
    )


@bp.post("/governance/proposals")
@documented(status=201, errors=(409,))
@api_login_required
@accepts(
    Field("title", str),
    Field("rationale", str, required=False),
    Field("voting_days", int, required=False, description="2 to 30, default 7"),
    Field("hide_results", bool, required=False, description="hide the count until the close (default true)"),
    *_parameter_fields(nullable=True),
)
def create_proposal(body):
    """Draft a pricing proposal (members only)."""
    fields, changes = _split(body)
    proposal = proposals.create_draft(current_user, changes=changes, **fields)
    return jsonify(proposal=proposal_json(proposal, current_user)), 201


@bp.get("/governance/proposals/<int:proposal_id>")
def get_proposal(proposal_id: int):
    """One proposal: its changes, the current prices, typical costs, the tally when visible."""
    proposal = proposals.get_visible_proposal(proposal_id, current_user)
    return jsonify(proposal=proposal_json(proposal, current_user))


@bp.patch("/governance/proposals/<int:proposal_id>")
@documented(errors=(409,))
@api_login_required
@accepts(
    Field("title", str, required=False),
    Field("rationale", str, required=False),
    Field("voting_days", int, required=False),
    Field("hide_results", bool, required=False),
    *_parameter_fields(nullable=True),
)
def update_proposal(proposal_id: int, body):
    """Edit your draft (a parameter set to null is left unchanged again)."""
    proposal = proposals.get_visible_proposal(proposal_id, current_user)
    fields, changes = _split(body)
    proposals.update_draft(proposal, current_user, changes=changes, **fields)
    return jsonify(proposal=proposal_json(proposal, current_user))


@bp.post("/governance/proposals/<int:proposal_id>/open")
@documented(errors=(409,))
@api_login_required
def open_proposal(proposal_id: int):
    """Open your draft for voting; it is frozen from now on."""
    proposal = proposals.get_visible_proposal(proposal_id, current_user)
    proposals.open_proposal(proposal, current_user)
    return jsonify(proposal=proposal_json(proposal, current_user))


@bp.post("/governance/proposals/<int:proposal_id>/votes")
@documented(errors=(409,))
@api_login_required
@accepts(Field("choice", str, description="yes, no or abstain"))
def cast_vote(proposal_id: int, body):
    """Vote (members only). The latest vote counts. The receipt is shown only in this answer."""
    proposal = proposals.get_visible_proposal(proposal_id, current_user)
    ballot, receipt = voting.cast_vote(proposal, current_user, body["choice"])
    return jsonify(
        ballot=ballot_json(ballot),
        receipt=receipt,
        receipt_hash=ballot.receipt_hash,
        note="Keep this receipt: it is not shown again. After the close, find its SHA-256 in the published list.",
    ), 201


@bp.get("/governance/proposals/<int:proposal_id>/results")
def get_results(proposal_id: int):
    """The tally and, after the close, every counted ballot as (receipt hash, choice)."""
    proposal = proposals.get_visible_proposal(proposal_id, current_user)
    tally = voting.current_tally(proposal)
    out = {"status": proposal.status.value, "tally": tally_json(tally, voting.rule_of(proposal))}
    if proposal.status.closed:
        out["receipts"] = [
            {"receipt_hash": r.receipt_hash, "choice": r.choice.value} for r in voting.published_receipts(proposal)
        ]
        version = pricing.version_of_proposal(proposal)
        out["pricing_version"] = version_json(version) if version else None
    return jsonify(out)


@bp.get("/governance/pricing")
def pricing_history():
    """Every pricing version, newest first, with the proposal that enacted it."""
    current = pricing.in_force()
    return jsonify(current_id=current.id, versions=[version_json(v) for v in pricing.history()])


@bp.get("/governance/me")
@api_login_required
def my_membership():
    """Whether you are a member now, and your membership history."""
    return jsonify(
        member=membership.is_member(current_user),
        memberships=[membership_json(m) for m in membership.memberships_of(current_user)],
    )


@bp.get("/governance/memberships")
@documented(
    query=(
        Query("limit", int, "how many (at most 1000)", minimum=1, maximum=1000),
        Query("offset", int, "how many to skip", minimum=0),
    )
)
@api_login_required
def list_memberships():
    """Every membership, newest first (admins)."""
    require_admin()
    rows = membership.list_memberships(
        limit=query_int("limit", 200, minimum=1, maximum=1000), offset=query_int("offset", 0)
    )
    return jsonify(memberships=[membership_json(m) for m in rows], members_now=membership.count_members())


@bp.post("/governance/memberships")
@documented(status=201, errors=(409,))
@api_login_required
@accepts(
    Field("email", str, format="email", description="the member's account"),
    Field("member_class", str, description="listener, artist or worker"),
    Field("reference", str, required=False, nullable=True, description="e.g. the share certificate number"),
)
def record_membership(body):
    """Record a share bought outside the service (admins)."""
    require_admin()
    user = db.session.scalar(select(User).where(User.email == accounts.normalize_email(body["email"])))
    if user is None:
        raise ValidationFailed(f"There is no account with the email {body['email']}.", field="email")
    m = membership.grant_membership(
        user, body["member_class"], MembershipSource.ADMIN_RECORD, body.get("reference"), recorded_by=current_user
    )
    return jsonify(membership=membership_json(m)), 201


@bp.post("/governance/memberships/<int:membership_id>/end")
@documented(errors=(409,))
@api_login_required
@accepts(Field("reason", str, required=False))
def end_membership(membership_id: int, body):
    """End a membership; it stays in the history (admins)."""
    require_admin()
    m = membership.get_membership(membership_id)
    membership.end_membership(m, reason=body.get("reason", ""))
    return jsonify(membership=membership_json(m))
