"""How governance looks in JSON: memberships, proposals, tallies, receipts, pricing versions."""

from __future__ import annotations

from datetime import datetime

from flask import url_for

from app.governance.models import Ballot, Membership, Proposal, ProposalStatus
from app.governance.services import pricing, voting
from app.governance.services.pricing_parameters import PARAMETERS
from app.governance.services.tally import Rule, Tally, passes, quorum_needed

SUPERSEDED_REASON = (
    "The vote passed, but other prices were decided after this proposal opened, so the complete "
    "set of prices its voters were shown can no longer be enacted without undoing that decision. "
    "No prices changed; propose it again against the new prices."
)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def membership_json(m: Membership) -> dict:
    return {
        "id": m.id,
        "user": {"id": m.user.id, "display_name": m.user.display_name, "email": m.user.email},
        "member_class": m.member_class.value,
        "source": m.source.value,
        "reference": m.reference,
        "started_at": _iso(m.started_at),
        "ended_at": _iso(m.ended_at),
        "end_reason": m.end_reason,
    }


def params_json(params) -> dict:
    """Every parameter of a pricing version: the ledger's integer and the human text."""
    return {
        p.key: {
            "value": p.text(getattr(params, p.ledger_field)),
            "display": p.show(getattr(params, p.ledger_field)),
            "ledger_value": getattr(params, p.ledger_field),
        }
        for p in PARAMETERS
    }


def changes_json(proposal: Proposal) -> dict:
    out = {}
    for p in PARAMETERS:
        value = getattr(proposal, p.column)
        if value is not None:
            out[p.key] = {"value": p.text(value), "display": p.show(value), "ledger_value": value}
    return out


def tally_json(tally: Tally, rule: Rule) -> dict:
    return {
        "members": tally.members,
        "yes": tally.yes,
        "no": tally.no,
        "abstain": tally.abstain,
        "turnout": tally.turnout,
        "quorum_needed": quorum_needed(tally.members, rule.quorum_percent),
        "passes": passes(tally, rule),
    }


def ballot_json(ballot: Ballot) -> dict:
    return {"choice": ballot.choice.value, "cast_at": _iso(ballot.cast_at), "sequence": ballot.sequence}


def proposal_ref(p: Proposal) -> dict:
    return {
        "id": p.id,
        "title": p.title,
        "status": p.status.value,
        "author": {"id": p.author.id, "display_name": p.author.display_name},
        "opened_at": _iso(p.opened_at),
        "closes_at": _iso(p.closes_at),
        "closed_at": _iso(p.closed_at),
        "effective_from": _iso(p.effective_from),
        "changes": changes_json(p),
        "url": url_for("api.get_proposal", proposal_id=p.id),
    }


def proposal_json(p: Proposal, viewer=None) -> dict:
    out = proposal_ref(p) | {
        "rationale": p.rationale,
        "voting_days": p.voting_days,
        "hide_results": p.hide_results,
        "created_at": _iso(p.created_at),
        "updated_at": _iso(p.updated_at),
    }
    if p.status.value != "draft":
        rule = voting.rule_of(p)
        out["rule"] = {
            "quorum_percent": p.quorum_percent,
            "threshold": f"more than {p.threshold_num}/{p.threshold_den} of yes + no",
            "threshold_num": p.threshold_num,
            "threshold_den": p.threshold_den,
        }
        if voting.results_visible(p):
            out["tally"] = tally_json(voting.current_tally(p), rule)
    # The complete price sets the voters are shown (recorded at the open): a passed proposal
    # is enacted as exactly ``enacts``.
    base, proposed = pricing.shown_prices(p)
    out["current_prices"] = params_json(base)
    out["opened_against"] = params_json(base)
    out["enacts"] = params_json(proposed)
    if p.status is ProposalStatus.SUPERSEDED:
        out["superseded"] = SUPERSEDED_REASON
    out["typical"] = {
        "current": pricing.typical(base).as_text(),
        "proposed": pricing.typical(proposed).as_text(),
    }
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        mine = voting.current_ballot(p, viewer)
        out["your_ballot"] = ballot_json(mine) if mine else None
    return out


def version_json(v) -> dict:
    return {
        "id": v.id,
        "effective_from": _iso(v.effective_from),
        "proposal_id": v.proposal_id,
        "proposal_url": url_for("api.get_proposal", proposal_id=v.proposal_id) if v.proposal_id else None,
        "parameters": params_json(v),
    }
