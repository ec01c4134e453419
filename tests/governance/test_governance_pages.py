"""The co-op pages: list, proposal with diff and typical costs, ballot, history, register."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.accounts.models import Role
from app.core.extensions import db
from app.governance.models import Membership, Proposal, ProposalStatus
from app.governance.services import closing, voting
from tests.factories import PASSWORD, make_member, make_proposal, make_user

NOW = datetime.now(timezone.utc)


def login(client, user):
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302


def test_list_shows_open_with_countdown_and_closed_with_tally(client, app_ctx):
    open_ = make_proposal(title="Open one", open_at=NOW - timedelta(hours=1))
    closed = make_proposal(title="Closed one", open_at=NOW - timedelta(days=8))
    closing.close_due_proposals(NOW)
    db.session.commit()
    html = client.get("/governance").get_data(as_text=True)
    assert "Open one" in html and 'class="countdown"' in html and "6 d 22 h" in html
    assert "Closed one" in html and "rejected" in html
    assert open_.id != closed.id


def test_proposal_page_shows_diff_and_typical_costs(client, app_ctx):
    proposal = make_proposal(open_at=NOW - timedelta(hours=1), changes={"first_play_price": "0.001"})
    html = client.get(f"/governance/proposals/{proposal.id}").get_data(as_text=True)
    assert "<strong>0.001 credits</strong>" in html  # proposed
    assert "0.002 credits" in html  # today
    assert "1.022 credits (1.28 EUR)" in html  # owning a track today: 1.022 x 1.25 EUR
    assert "0.511 credits (0.64 EUR)" in html  # under the proposal
    assert "The count is hidden until the vote closes." in html
    assert "Log in</a> to vote" in html


def test_member_votes_on_the_page_and_sees_the_receipt_once(client, app_ctx):
    proposal = make_proposal(open_at=NOW - timedelta(hours=1))
    member = make_member(at=NOW - timedelta(days=1))
    login(client, member)
    r = client.post(f"/governance/proposals/{proposal.id}/vote", data={"choice": "no"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="receipt">rcpt-' in html
    code = html.split('id="receipt">')[1].split("<")[0]
    assert voting.current_ballot(proposal, member).receipt_hash == voting.receipt_hash(code)
    html = client.get(f"/governance/proposals/{proposal.id}").get_data(as_text=True)
    assert code not in html and "You voted <strong>no</strong>" in html


def test_non_member_reads_but_cannot_vote(client, app_ctx):
    proposal = make_proposal(open_at=NOW - timedelta(hours=1))
    reader = make_user()
    login(client, reader)
    html = client.get(f"/governance/proposals/{proposal.id}").get_data(as_text=True)
    assert "Only members of the co-op can vote" in html and "ballot-form" not in html
    assert 'href="/membership">Become a member</a>' in html  # the way to a vote, not a dead end
    assert 'href="/membership">Buy a share</a>' in client.get("/governance").get_data(as_text=True)
    r = client.post(f"/governance/proposals/{proposal.id}/vote", data={"choice": "yes"})
    assert r.status_code == 403
    assert voting.current_ballot(proposal, reader) is None


def test_draft_form_validates_and_saves(client, app_ctx):
    member = make_member()
    login(client, member)
    r = client.post(
        "/governance/proposals/new", data={"title": "Bigger share", "artist_share": "99", "voting_days": "7"}
    )
    assert r.status_code == 422
    assert "Artist share must be between 50 % and 95 %" in r.get_data(as_text=True)
    assert db.session.scalar(select(Proposal.id)) is None
    r = client.post(
        "/governance/proposals/new",
        data={"title": "Bigger share", "artist_share": "80", "voting_days": "3", "hide_results": "on"},
    )
    assert r.status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert (proposal.new_artist_share_bp, proposal.voting_days, proposal.hide_results) == (8000, 3, True)
    r = client.post(f"/governance/proposals/{proposal.id}/open")
    assert r.status_code == 302
    db.session.expire_all()
    assert proposal.status is ProposalStatus.OPEN


def test_closed_page_publishes_receipts_and_history_links_the_proposal(client, app_ctx):
    proposal = make_proposal(open_at=NOW - timedelta(days=8), changes={"growth": "1.8"})
    voting.cast_vote(proposal, proposal.author, "yes", now=NOW - timedelta(days=7))
    closing.close_due_proposals(NOW)
    db.session.commit()
    html = client.get(f"/governance/proposals/{proposal.id}").get_data(as_text=True)
    assert "Published receipts" in html and 'id="tally-yes">1<' in html and "Passed." in html
    history = client.get("/governance/pricing").get_data(as_text=True)
    assert f'href="/governance/proposals/{proposal.id}"' in history and "upcoming" in history
    assert "x1.8" in history and "the founding prices" in history


def test_admin_register_records_and_ends(client, app_ctx):
    admin = make_user(role=Role.ADMIN)
    ada = make_user(email="ada@example.test")
    login(client, admin)
    r = client.post(
        "/governance/members", data={"email": "ada@example.test", "member_class": "worker", "reference": "c-9"}
    )
    assert r.status_code == 302
    m = db.session.scalar(select(Membership).where(Membership.user_id == ada.id))
    assert m.member_class.value == "worker" and m.recorded_by_id == admin.id
    r = client.post("/governance/members", data={"action": "end", "membership_id": str(m.id), "reason": "left"})
    assert r.status_code == 302
    db.session.expire_all()
    assert m.ended_at is not None and m.end_reason == "left"
    client.post("/logout")
    login(client, ada)
    assert client.get("/governance/members").status_code == 403


def test_admin_end_with_a_bad_membership_id_is_not_found(client, app_ctx):
    login(client, make_user(role=Role.ADMIN))
    for bad in ("abc", str(2**70), "-1"):
        r = client.post("/governance/members", data={"action": "end", "membership_id": bad, "reason": "x"})
        assert r.status_code == 404, bad
