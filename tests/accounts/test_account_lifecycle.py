"""Leaving the co-op: the data export holds everything and no secret; deletion erases every
personal field in the whole database while the ledger, ballots and books still verify."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, text

import ledger
from app.accounts import deletion as account_deletion
from app.accounts import services as accounts
from app.accounts.models import TwoFactor, User
from app.core.extensions import db
from app.governance.models import Ballot, Membership
from app.governance.services import voting
from app.payments.models import PayoutDestination
from app.payments.services import payout_destinations, payouts, wallet
from tests.factories import (
    PASSWORD,
    bearer,
    current_code,
    enable_two_factor,
    login,
    make_artist,
    make_member,
    make_proposal,
    make_release,
    make_track,
    make_user,
    token_for,
)

NAME = "Zebulon Quayle"
EMAIL = "zebulon.quayle@example.test"
IBAN = "DE89370400440532013000"
T = datetime.now(timezone.utc) - timedelta(days=2)


def rich_person():
    """A member who listens, buys, votes, manages an artist with a co-manager, and has a token
    and a second factor: something in nearly every table."""
    person = make_user(email=EMAIL, display_name=NAME)
    make_member(person, at=T - timedelta(days=30))
    proposal = make_proposal(open_at=T)
    voting.cast_vote(proposal, person, "yes", now=T + timedelta(hours=1))
    wallet.admin_top_up(person.id, "5", f"top-up-{person.id}")
    db.session.commit()
    other_artist_track = make_track()
    for n in range(3):
        wallet.charge_play(person, other_artist_track, f"play-{person.id}-{n}")
    wallet.buy_now(person, make_track().id, f"buy-{person.id}")
    db.session.commit()

    co_manager = make_user()
    band = make_artist(name="The Quayles", manager=person)
    accounts.add_artist_member(band, co_manager)
    payout_destinations.set_bank_details(band, iban=IBAN, account_holder="Quayle Music Ltd", by=person)
    solo = make_artist(name="Zeb Solo", manager=person)
    payout_destinations.set_bank_details(solo, iban=IBAN, account_holder="Quayle Music Ltd", by=person)
    fan = make_user()
    wallet.admin_top_up(fan.id, "5", f"top-up-{fan.id}")
    wallet.buy_now(fan, make_track(release=make_release(artist=solo)).id, f"buy-solo-{fan.id}")
    db.session.commit()
    token = token_for(person)
    secret = enable_two_factor(person)
    return person, token, secret, band, solo, co_manager


def personal_hits(*needles: str) -> list[str]:
    """Every (table.column) of text type, in the whole database, holding one of ``needles``."""
    columns = db.session.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')"
        )
    ).all()
    hits = []
    for table, column in columns:
        for needle in needles:
            found = db.session.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE :pattern'),
                {"pattern": f"%{needle}%"},
            ).scalar()
            if found:
                hits.append(f"{table}.{column} ({needle})")
    return hits


def test_export_holds_everything_about_the_person_and_no_secret(client, app_ctx):
    person, token, secret, _band, _solo, _ = rich_person()
    r = client.get("/api/v1/me/export", headers=bearer(token))
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    archive = r.json
    assert archive["profile"]["email"] == EMAIL and archive["profile"]["display_name"] == NAME
    assert len(archive["plays"]) == 3 and len(archive["owned_tracks"]) == 1
    assert [m["kind"] for m in archive["wallet_statement"]["movements"]].count("play_charge") == 3
    assert archive["wallet_statement"]["balance_micro"] == wallet.balance(person)
    assert len(archive["ballots"]) == 1 and len(archive["ballots"][0]["receipt_sha256"]) == 64
    assert len(archive["memberships"]) == 1 and archive["two_factor"]["enabled"] is True
    assert {a["name"] for a in archive["managed_artists"]} == {"The Quayles", "Zeb Solo"}
    assert [t["name"] for t in archive["api_tokens"]] == ["tests"]
    assert any("payout details" in m["subject"] for m in archive["emails"])
    dumped = json.dumps(archive)
    assert token not in dumped and secret not in dumped and person.password_hash not in dumped
    # the page offers the same archive as a download
    login(client, person)
    page = client.get("/account/export")
    assert (
        page.headers["Content-Disposition"].startswith("attachment")
        and json.loads(page.text)["profile"]["id"] == person.id
    )


def test_deletion_erases_every_personal_field_and_the_books_still_verify(client, app_ctx):
    person, token, _secret, band, solo, _co_manager = rich_person()
    person_id, band_id, solo_id = person.id, band.id, solo.id
    ballots_before = db.session.scalar(select(db.func.count(Ballot.id)))
    solo_earnings = payouts.earnings(solo)
    assert solo_earnings > 0
    assert personal_hits(EMAIL, NAME)  # the search finds them before

    headers = bearer(token)
    preview = client.get("/api/v1/me/delete", headers=headers).json["deletion"]
    assert preview["needs_code"] is True and preview["blocked_by"] == []
    fates = {a["name"]: a for a in preview["artists"]}
    assert "last manager of Zeb Solo" in fates["Zeb Solo"]["fate"]
    assert fates["Zeb Solo"]["unpaid_micro"] == solo_earnings
    assert fates["The Quayles"]["other_managers"] == 1

    r = client.post("/api/v1/me/delete", headers=headers, json={"password": "wrong password"})
    assert r.status_code == 401 and r.json["error"]["code"] == "bad_password"
    r = client.post("/api/v1/me/delete", headers=headers, json={"password": PASSWORD})
    assert r.status_code == 422 and r.json["error"]["code"] == "code_required"
    r = client.post("/api/v1/me/delete", headers=headers, json={"password": PASSWORD, "code": "12345"})
    assert r.status_code == 401 and db.session.get(TwoFactor, person_id).failed_attempts == 1
    r = client.post("/api/v1/me/delete", headers=headers, json={"password": PASSWORD, "code": current_code(person)})
    assert r.status_code == 204

    db.session.expire_all()
    assert personal_hits(EMAIL, NAME, "zebulon") == []
    assert ledger.verify(db.session).ok
    gone = db.session.get(User, person_id)
    assert gone.deleted_at is not None and gone.email == account_deletion.deleted_email(person_id)
    assert db.session.scalar(select(db.func.count(Ballot.id))) == ballots_before  # ballots intact
    assert all(
        m.ended_at is not None for m in db.session.scalars(select(Membership).where(Membership.user_id == person_id))
    )
    # the band keeps its details and its co-manager; the solo artist keeps its earnings, not the details
    assert db.session.get(PayoutDestination, band_id).iban == IBAN
    assert db.session.get(PayoutDestination, solo_id) is None
    assert payouts.earnings(db.session.get(type(solo), solo_id)) == solo_earnings
    # tokens and logins end; the email can join again
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    r = client.post("/api/v1/auth/tokens", json={"email": EMAIL, "password": PASSWORD, "name": "x"})
    assert r.status_code == 401
    r = client.post("/api/v1/auth/register", json={"email": EMAIL, "password": PASSWORD, "display_name": NAME})
    assert r.status_code == 202  # the same answer as for any address; a new account it is
    again = db.session.scalar(select(User).where(User.email == EMAIL))
    assert again is not None and again.id != person_id


def test_nobody_can_register_a_deleted_accounts_placeholder_address(client, app_ctx):
    """Taking ``deleted-<id>@deleted.invalid`` before user <id> leaves would make that
    deletion fail on the unique email (a 500 before the domain was refused)."""
    victim = make_user()
    r = client.post(
        "/api/v1/auth/register",
        json={"email": account_deletion.deleted_email(victim.id), "password": PASSWORD, "display_name": "Squatter"},
    )
    assert r.status_code == 422 and r.json["error"]["field"] == "email"
    account_deletion.delete_account(db.session.get(User, victim.id), password=PASSWORD)
    db.session.commit()


def test_draft_proposals_go_with_the_person_opened_ones_stay(app_ctx):
    from app.governance.models import Proposal

    author = make_member(at=T - timedelta(days=30))
    draft = make_proposal(author=author, title="My half-baked idea")
    opened = make_proposal(author=author, title="Cheaper plays", open_at=T)
    draft_id, opened_id = draft.id, opened.id
    account_deletion.delete_account(author, password=PASSWORD)
    db.session.commit()
    assert db.session.get(Proposal, draft_id) is None and db.session.get(Proposal, opened_id) is not None


def test_the_deletion_page_explains_then_needs_the_password(client, app_ctx):
    person = make_user(display_name="Paula Page")
    artist = make_artist(name="Paula's Band", manager=person)
    login(client, person)
    page = client.get("/account/delete").text
    assert "last manager of Paula&#39;s Band" in page and "forfeited" in page and 'name="code"' not in page
    r = client.post("/account/delete", data={"password": "nope"})
    assert r.status_code == 401 and "not your password" in r.text
    r = client.post("/account/delete", data={"password": PASSWORD}, follow_redirects=True)
    assert "Your account is deleted" in r.text
    assert client.get("/account").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).display_name == account_deletion.DELETED_NAME
    assert db.session.get(type(artist), artist.id) is not None  # the catalog stays


def test_the_last_manager_cannot_leave_while_a_bank_payout_is_in_transit(app_ctx):
    from app.payments.models import Payout, PayoutMethod, PayoutStatus

    person = make_user()
    artist = make_artist(manager=person)
    payout_destinations.set_bank_details(artist, iban=IBAN, account_holder="Someone", by=person)
    db.session.add(
        Payout(
            artist_id=artist.id,
            period="2026-01",
            method=PayoutMethod.BANK,
            status=PayoutStatus.IN_TRANSIT,
            credits=1,
            amount_cents=1000,
            currency="EUR",
            credit_price_cents=125,
        )
    )
    db.session.commit()
    plan = account_deletion.preview(person)
    assert plan.blocked_by and "on its way" in plan.blocked_by[0]
    import pytest

    from app.core.errors import Conflict

    with pytest.raises(Conflict):
        account_deletion.delete_account(person, password=PASSWORD)


def test_export_lists_the_persons_devices_and_no_session_secret(app):
    person = make_user()
    phone, laptop = app.test_client(), app.test_client()
    login(phone, person)
    r = laptop.post(
        "/login",
        data={"email": person.email, "password": PASSWORD, "remember": "on"},
        headers={"User-Agent": "LaptopBrowser/1.0"},
    )
    assert r.status_code == 302
    cookies = [c.value for c in laptop._cookies.values()]
    archive = laptop.get("/account/export").json
    devices = archive["sessions"]
    assert len(devices) == 2
    assert {"created_at", "last_seen_at", "user_agent", "ip_address", "remembered_until"} <= set(devices[0])
    assert any(d["user_agent"] == "LaptopBrowser/1.0" and d["remembered_until"] for d in devices)
    dumped = json.dumps(archive)
    for value in cookies:  # neither the session id nor the remember-me token, nor a piece of them
        for piece in value.split("."):
            assert len(piece) < 8 or piece not in dumped


def test_deleting_the_account_logs_out_its_other_devices(app):
    from app.accounts.models import AccountSession

    person = make_user()
    phone, laptop = app.test_client(), app.test_client()
    login(phone, person)
    r = laptop.post("/login", data={"email": person.email, "password": PASSWORD, "remember": "on"})
    assert r.status_code == 302
    assert phone.get("/account").status_code == 200
    r = laptop.post("/account/delete", data={"password": PASSWORD})
    assert r.status_code == 302, r.text
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(AccountSession.id)).where(AccountSession.user_id == person.id)) == 0
    # the other device (session cookie and remember-me cookie alike) is a visitor now
    r = phone.get("/account")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
