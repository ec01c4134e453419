"""Drafting, editing, opening proposals over JSON: validation, freezing, notices."""

from sqlalchemy import func, select

from app.core.extensions import db
from app.core.models import OutboxMessage
from app.governance.models import Proposal, ProposalStatus
from tests.factories import bearer, make_member, make_proposal, make_user, token_for


def draft(client, headers, **body):
    payload = {"title": "Fairer artist share", "rationale": "Artists first.", "artist_share": "75"}
    payload.update(body)
    return client.post("/api/v1/governance/proposals", json=payload, headers=headers)


def test_member_drafts_edits_and_opens(client, app_ctx):
    author = make_member()
    other = make_member()
    headers = bearer(token_for(author))
    r = draft(client, headers, first_play_price="0.0015", voting_days=3)
    assert r.status_code == 201, r.json
    p = r.json["proposal"]
    assert p["status"] == "draft"
    assert p["changes"] == {
        "first_play_price": {"value": "0.0015", "display": "0.0015 credits", "ledger_value": 1500},
        "artist_share": {"value": "75", "display": "75 %", "ledger_value": 7500},
    }
    assert p["current_prices"]["artist_share"]["display"] == "70 %"
    assert p["typical"]["current"]["ownership"] == "1.022 credits"
    assert p["typical"]["proposed"]["first_play"] == "0.0015 credits"
    assert p["typical"]["proposed"]["ownership"] == "0.7665 credits"
    pid = p["id"]

    r = client.patch(
        f"/api/v1/governance/proposals/{pid}",
        headers=headers,
        json={"first_play_price": None, "growth": "1.5", "title": "Gentler growth"},
    )
    assert r.status_code == 200, r.json
    assert set(r.json["proposal"]["changes"]) == {"growth", "artist_share"}
    assert r.json["proposal"]["title"] == "Gentler growth"

    r = client.post(f"/api/v1/governance/proposals/{pid}/open", headers=headers)
    assert r.status_code == 200, r.json
    opened = r.json["proposal"]
    assert opened["status"] == "open"
    assert opened["rule"]["threshold_num"] == 2 and opened["rule"]["threshold_den"] == 3  # artist share
    assert "tally" not in opened  # hidden by default
    # Every member (the author too) is told, once.
    to = sorted(db.session.scalars(select(OutboxMessage.to_address)))
    assert to == sorted([author.email, other.email])

    r = client.patch(f"/api/v1/governance/proposals/{pid}", headers=headers, json={"growth": "3"})
    assert r.status_code == 409 and r.json["error"]["code"] == "proposal_frozen"
    r = client.post(f"/api/v1/governance/proposals/{pid}/open", headers=headers)
    assert r.status_code == 409


def test_majority_rule_when_artist_share_untouched(client, app_ctx):
    author = make_member()
    headers = bearer(token_for(author))
    pid = draft(client, headers, artist_share=None, credit_price="1.30").json["proposal"]["id"]
    r = client.post(f"/api/v1/governance/proposals/{pid}/open", headers=headers)
    assert (r.json["proposal"]["rule"]["threshold_num"], r.json["proposal"]["rule"]["threshold_den"]) == (1, 2)


def test_non_members_cannot_draft(client, app_ctx):
    r = draft(client, bearer(token_for(make_user())))
    assert r.status_code == 403 and r.json["error"]["code"] == "not_a_member"
    r = draft(client, {})
    assert r.status_code == 401
    assert db.session.scalar(select(func.count(Proposal.id))) == 0


def test_validation_errors_are_clear_and_write_nothing(client, app_ctx):
    headers = bearer(token_for(make_member()))
    cases = [
        ({"artist_share": "96"}, "artist_share", "Artist share must be between 50 % and 95 %"),
        ({"plays_to_own": 25}, "plays_to_own", "Plays to own must be between 1 plays and 20 plays"),
        ({"growth": "5"}, "growth", "Growth per repeat play must be between x1 and x4"),
        ({"growth": 2.5}, "growth", "'growth' must be a string."),
        ({"voting_days": 1}, "voting_days", "The voting window is 2 to 30 days."),
        ({"title": "  "}, "title", "The title needs 1 to 200 characters."),
        ({"colour": "red"}, "colour", "Unknown field(s): colour."),
    ]
    for body, field, message in cases:
        r = draft(client, headers, **body)
        assert r.status_code == 422, (body, r.json)
        assert r.json["error"]["field"] == field
        assert message in r.json["error"]["message"], r.json
    assert db.session.scalar(select(func.count(Proposal.id))) == 0


def test_a_bad_edit_changes_nothing(client, app_ctx):
    author = make_member()
    proposal = make_proposal(author=author, changes={"growth": "1.5"})
    r = client.patch(
        f"/api/v1/governance/proposals/{proposal.id}",
        headers=bearer(token_for(author)),
        json={"title": "New title", "artist_share": "20"},
    )
    assert r.status_code == 422
    db.session.expire_all()
    assert proposal.title == "Cheaper first plays" and proposal.new_artist_share_bp is None


def test_cannot_open_without_changes_or_with_an_absurd_schedule(client, app_ctx):
    author = make_member()
    headers = bearer(token_for(author))
    empty = make_proposal(author=author, changes={})
    r = client.post(f"/api/v1/governance/proposals/{empty.id}/open", headers=headers)
    assert r.status_code == 422 and "at least one new price" in r.json["error"]["message"]
    absurd = make_proposal(author=author, changes={"growth": "4", "plays_to_own": 20, "first_play_price": "0.1"})
    r = client.post(f"/api/v1/governance/proposals/{absurd.id}/open", headers=headers)
    assert r.status_code == 422 and "owning one track would cost" in r.json["error"]["message"]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    db.session.expire_all()
    assert absurd.status is ProposalStatus.DRAFT


def test_drafts_are_private_and_only_the_author_edits(client, app_ctx):
    author = make_member()
    proposal = make_proposal(author=author)
    stranger = make_member()
    r = client.get(f"/api/v1/governance/proposals/{proposal.id}", headers=bearer(token_for(stranger)))
    assert r.status_code == 404
    r = client.get(f"/api/v1/governance/proposals/{proposal.id}")
    assert r.status_code == 404
    r = client.get("/api/v1/governance/proposals", headers=bearer(token_for(author)))
    assert [d["id"] for d in r.json["drafts"]] == [proposal.id]
    assert r.json["open"] == []


def test_pricing_history_lists_the_founding_version(client, app_ctx):
    r = client.get("/api/v1/governance/pricing")
    assert r.status_code == 200
    assert len(r.json["versions"]) == 1
    first = r.json["versions"][0]
    assert first["proposal_id"] is None and first["id"] == r.json["current_id"]
    assert first["parameters"]["first_play_price"]["ledger_value"] == 2000
