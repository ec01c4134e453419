"""Co-op pages: proposals, the ballot, pricing history, and the admin's membership register."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.core.converters import id_from_form
from app.core.error_pages import refuse, refused_redirect
from app.core.errors import Forbidden, ServiceError, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.core.web import bp
from app.governance.models import MembershipSource, Proposal
from app.governance.representations import SUPERSEDED_REASON
from app.governance.services import membership, pricing, proposals, voting
from app.governance.services.pricing_parameters import PARAMETERS
from app.governance.services.tally import passes, quorum_needed


@bp.app_template_filter("countdown")
def countdown(at: datetime | None) -> str:
    """'3 days 4 h' until ``at`` (server-side; a small script keeps it ticking)."""
    if at is None:
        return ""
    seconds = int((at - utcnow()).total_seconds())
    if seconds <= 0:
        return gettext("closing now")
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    # The same messages as governance/_countdown_time.html gives countdown.js.
    if days:
        return gettext("{days} d {hours} h").format(days=days, hours=hours)
    if hours:
        return gettext("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    return gettext("{minutes} min").format(minutes=minutes)


def _is_member() -> bool:
    return current_user.is_authenticated and membership.is_member(current_user)


@bp.get("/governance")
def governance():
    lists = proposals.list_proposals(current_user)
    return render_template(
        "governance/list.html", lists=lists, is_member=_is_member(), members_now=membership.count_members()
    )


def _form_fields() -> dict:
    """Proposal fields from a submitted form; blank pricing fields mean "unchanged"."""
    form = request.form
    return {
        "title": form.get("title", ""),
        "rationale": form.get("rationale", ""),
        "voting_days": form.get("voting_days", "7"),
        "hide_results": form.get("hide_results") == "on",
        "changes": {p.key: form.get(p.key, "") for p in PARAMETERS},
    }


@bp.route("/governance/proposals/new", methods=["GET", "POST"])
@login_required
def new_proposal():
    if not _is_member():
        raise Forbidden("Only members of the co-op can draft proposals.")
    current = pricing.current_params()
    if request.method == "POST":
        try:
            proposal = proposals.create_draft(current_user, **_form_fields())
        except ServiceError as exc:
            refuse(exc)
            return render_template(
                "governance/form.html", form=request.form, current=current, parameters=PARAMETERS, proposal=None
            ), exc.status
        flash(gettext("Draft saved. Check it, then open it for the vote."), "success")
        return redirect(url_for("web.proposal", proposal_id=proposal.id))
    return render_template(
        "governance/form.html",
        form={"voting_days": "7", "hide_results": "on"},
        current=current,
        parameters=PARAMETERS,
        proposal=None,
    )


def _draft_form(proposal: Proposal) -> dict:
    form = {"title": proposal.title, "rationale": proposal.rationale, "voting_days": str(proposal.voting_days)}
    if proposal.hide_results:
        form["hide_results"] = "on"
    for p in PARAMETERS:
        value = getattr(proposal, p.column)
        form[p.key] = p.text(value) if value is not None else ""
    return form


@bp.route("/governance/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_proposal(proposal_id: int):
    proposal = proposals.get_visible_proposal(proposal_id, current_user)
    current = pricing.current_params()
    if request.method == "POST":
        try:
            proposals.update_draft(proposal, current_user, **_form_fields())
        except ServiceError as exc:
            refuse(exc)
            return render_template(
                "governance/form.html",
                form=request.form,
                current=current,
                parameters=PARAMETERS,
                proposal=proposal,
            ), exc.status
        flash(gettext("Draft saved."), "success")
        return redirect(url_for("web.proposal", proposal_id=proposal.id))
    if proposal.status.value != "draft":
        flash(gettext("This proposal is open or closed and can no longer change."), "error")
        return redirect(url_for("web.proposal", proposal_id=proposal.id))
    return render_template(
        "governance/form.html",
        form=_draft_form(proposal),
        current=current,
        parameters=PARAMETERS,
        proposal=proposal,
    )


@bp.post("/governance/proposals/<int:proposal_id>/open")
@login_required
def open_proposal(proposal_id: int):
    proposal = proposals.get_visible_proposal(proposal_id, current_user)
    try:
        proposals.open_proposal(proposal, current_user)
    except ServiceError as exc:
        return refused_redirect(exc, url_for("web.proposal", proposal_id=proposal_id))
    flash(gettext("The vote is open. Members have been told by email."), "success")
    return redirect(url_for("web.proposal", proposal_id=proposal_id))


def _render_proposal(proposal: Proposal, *, receipt: str | None = None, status: int = 200):
    base, proposed = pricing.shown_prices(proposal)  # recorded at the open: what is enacted
    tally = rule = None
    receipts = None
    if proposal.status.value != "draft":
        rule = voting.rule_of(proposal)
        if voting.results_visible(proposal):
            tally = voting.current_tally(proposal)
        if proposal.status.closed:
            receipts = voting.published_receipts(proposal)
    context = dict(
        proposal=proposal,
        diff=pricing.diff(proposal, base),
        typical_now=pricing.typical(base),
        typical_proposed=pricing.typical(proposed),
        is_member=_is_member(),
        my_ballot=voting.current_ballot(proposal, current_user) if current_user.is_authenticated else None,
        tally=tally,
        rule=rule,
        passes=passes(tally, rule) if tally else None,
        quorum_needed=quorum_needed(tally.members, rule.quorum_percent) if tally else None,
        receipts=receipts,
        receipt=receipt,
        version=pricing.version_of_proposal(proposal) if proposal.status.closed else None,
        superseded_reason=SUPERSEDED_REASON,
        can_edit=current_user.is_authenticated
        and proposal.status.value == "draft"
        and proposal.author_id == current_user.id,
    )
    return render_template("governance/proposal.html", **context), status


@bp.get("/governance/proposals/<int:proposal_id>")
def proposal(proposal_id: int):
    return _render_proposal(proposals.get_visible_proposal(proposal_id, current_user))


@bp.post("/governance/proposals/<int:proposal_id>/vote")
@login_required
def vote(proposal_id: int):
    proposal = proposals.get_visible_proposal(proposal_id, current_user)
    try:
        _, receipt = voting.cast_vote(proposal, current_user, request.form.get("choice", ""))
    except ServiceError as exc:
        refuse(exc)
        return _render_proposal(proposal, status=exc.status)
    # The receipt is rendered in this response only (never stored, never put in the session).
    return _render_proposal(proposal, receipt=receipt)


@bp.get("/governance/pricing")
def pricing_history():
    versions = pricing.history()
    current = pricing.in_force()
    by_id = {}
    ids = [v.proposal_id for v in versions if v.proposal_id]
    if ids:
        by_id = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(ids)))}
    return render_template(
        "governance/pricing.html",
        versions=versions,
        current=current,
        proposals_by_id=by_id,
        parameters=PARAMETERS,
        now=utcnow(),
    )


@bp.route("/governance/members", methods=["GET", "POST"])
@login_required
def members():
    if not current_user.is_admin:
        raise Forbidden("Only admins can do that.")
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "end":
                m = membership.get_membership(id_from_form(form.get("membership_id")))
                membership.end_membership(m, reason=form.get("reason", ""))
                flash(gettext("Membership of %(name)s ended.", name=m.user.display_name), "info")
            else:
                email = accounts.normalize_email(form.get("email", ""))
                user = db.session.scalar(select(User).where(User.email == email))
                if user is None:
                    raise ValidationFailed(f"There is no account with the email {email or '(blank)'}.", field="email")
                membership.grant_membership(
                    user,
                    form.get("member_class", ""),
                    MembershipSource.ADMIN_RECORD,
                    form.get("reference"),
                    recorded_by=current_user,
                )
                flash(gettext("%(name)s is now a member.", name=user.display_name), "success")
        except ServiceError as exc:
            refuse(exc)
            return render_template(
                "governance/members.html",
                memberships=membership.list_memberships(),
                members_now=membership.count_members(),
                form=form,
            ), exc.status
        return redirect(url_for("web.members"))
    return render_template(
        "governance/members.html",
        memberships=membership.list_memberships(),
        members_now=membership.count_members(),
        form={},
    )
