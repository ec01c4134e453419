"""Passwords (strength, change, reset by mail) and email verification, by service and over HTTP."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.models import AccountSession, AccountToken, AccountTokenPurpose, ApiToken, User
from app.accounts.password_strength import require_strong_password
from app.accounts.sessions import digest
from app.core.errors import ValidationFailed
from app.core.extensions import db
from app.core.models import OutboxMessage
from app.payments.services import wallet
from tests.factories import PASSWORD, make_member, make_proposal, make_user, token_for

NEW_PASSWORD = "velvet lantern orchard 42"


def mails_to(address: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id))
    )


def link_in(message: OutboxMessage, path: str) -> str:
    """The path and token of the link to ``path`` in a mail (the mail's host is BASE_URL)."""
    return re.search(rf"https?://[^/\s]+({path}/\S+)", message.body).group(1)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def api_headers(client, email, password=PASSWORD) -> dict:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.json
    return {"X-CSRFToken": r.json["csrf_token"]}


# --- strength -------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["password1", "qwertyuiop", "12345678910", "iloveyou2", "aaaaaaaaaaaa"])
def test_common_and_weak_passwords_are_refused_with_zxcvbns_reasons(weak):
    with pytest.raises(ValidationFailed) as refused:
        require_strong_password(weak)
    assert refused.value.code == "weak_password" and refused.value.field == "password"
    assert "too easy to guess" in refused.value.message and len(refused.value.message) > 40


def test_the_users_own_name_and_email_count_as_easy():
    require_strong_password("ada lovelace 1815x")  # fine on its own...
    with pytest.raises(ValidationFailed):
        require_strong_password("ada lovelace 1815x", user_inputs=("ada.lovelace@example.test", "Ada Lovelace 1815x"))


def test_strong_and_very_long_passwords_are_accepted():
    require_strong_password(PASSWORD)
    require_strong_password("x7#Qp!" + "word " * 100)  # past zxcvbn's own length limit
    with pytest.raises(ValidationFailed):
        require_strong_password("a" * 1025)


def test_the_form_and_the_api_explain_a_weak_password(client, app_ctx):
    r = client.post("/register", data={"email": "w@example.test", "password": "password123", "display_name": "W"})
    assert r.status_code == 422 and b"too easy to guess" in r.data and b"very common password" in r.data
    r = client.post(
        "/api/v1/auth/register", json={"email": "w@example.test", "password": "password123", "display_name": "W"}
    )
    assert r.status_code == 422
    error = r.json["error"]
    assert error["code"] == "weak_password" and error["field"] == "password"
    assert error["warning"] == "This is a very common password." and error["suggestions"]
    assert db.session.scalar(select(func.count(User.id))) == 0


# --- verification ---------------------------------------------------------------------------


def test_registration_mails_a_link_and_verification_grants_the_starter_credits_once(client, app_ctx):
    r = client.post(
        "/api/v1/auth/register", json={"email": "v@example.test", "password": PASSWORD, "display_name": "Vera"}
    )
    assert r.status_code == 202
    user = db.session.scalar(select(User).where(User.email == "v@example.test"))
    assert not user.email_verified and wallet.balance(user) == 0
    link = link_in(mails_to("v@example.test")[-1], "/verify-email")
    stored = db.session.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
    assert stored.token_hash == digest(token_of(link)) and token_of(link) not in stored.token_hash

    r = client.post("/api/v1/auth/verify-email", json={"token": token_of(link)})
    assert r.status_code == 200 and r.json["user"]["email_verified"] is True
    user = db.session.get(User, user.id)
    starter = wallet.balance(user)
    assert starter > 0
    r = client.post("/api/v1/auth/verify-email", json={"token": token_of(link)})  # single use
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_token"
    assert client.get(link).status_code == 422
    assert wallet.balance(db.session.get(User, user.id)) == starter


def test_the_verification_link_on_the_web(client, app_ctx):
    user = make_user(verified=False)
    link = link_in(mails_to(user.email)[-1], "/verify-email")
    r = client.get(link)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert db.session.get(User, user.id).email_verified


def test_an_expired_verification_link_is_refused_and_a_new_one_can_be_asked(client, app_ctx):
    user = make_user(verified=False)
    email = user.email
    for row in db.session.scalars(select(AccountToken).where(AccountToken.user_id == user.id)):
        row.expires_at -= timedelta(days=3)
        row.created_at -= timedelta(days=3)
    db.session.commit()
    link = link_in(mails_to(email)[-1], "/verify-email")
    assert client.get(link).status_code == 422
    headers = api_headers(client, email)
    r = client.post("/api/v1/me/verification-email", headers=headers)
    assert r.status_code == 202
    new_link = link_in(mails_to(email)[-1], "/verify-email")
    assert new_link != link
    r = client.post("/api/v1/me/verification-email", headers=headers)  # at most one a minute
    assert r.status_code == 202 and link_in(mails_to(email)[-1], "/verify-email") == new_link
    assert client.get(new_link).status_code == 302


def test_unverified_accounts_cannot_buy_vote_or_be_paid(client, app_ctx):
    from app.payments.services import checkout

    user = make_user(verified=False)
    with pytest.raises(Exception) as refused:
        checkout.create_pack_order(user, 5)
    assert refused.value.status == 403 and refused.value.code == "email_unverified"
    assert "Verify your email" in refused.value.message

    proposal = make_proposal(open_at=None)
    from app.governance.services import proposals

    proposals.open_proposal(proposal, proposal.author)
    db.session.commit()
    make_member(user)
    headers = api_headers(client, user.email)
    r = client.post(f"/api/v1/governance/proposals/{proposal.id}/votes", json={"choice": "yes"}, headers=headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "email_unverified"
    assert "Verify your email to vote" in r.json["error"]["message"]

    from tests.factories import enable_two_factor, make_artist
    from tests.factories import login as login_with_code

    manager = db.session.get(User, user.id)
    artist = make_artist(manager=manager)
    enable_two_factor(manager)  # payout details need a second factor first; then the email
    login_with_code(client, manager)
    r = client.post(
        f"/artists/{artist.id}/money/bank", data={"iban": "DE89370400440532013000", "account_holder": "Vera"}
    )
    assert r.status_code == 403 and b"Verify your email to receive payouts" in r.data


def test_unverified_accounts_can_play_free_tracks(client, app_ctx):
    from tests.streaming.streaming_helpers import make_streamable_track

    track = make_streamable_track(free=True)
    user = make_user(verified=False)
    headers = api_headers(client, user.email)
    r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers)
    assert r.status_code == 201, r.json


# --- change ---------------------------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions_and_optionally_the_api_tokens(client, app, app_ctx):
    user = make_user()
    token = token_for(user)
    other = app.test_client()
    login(other, user.email)
    login(client, user.email)
    r = client.post(
        "/account", data={"action": "change_password", "current_password": "wrong one!", "new_password": NEW_PASSWORD}
    )
    assert r.status_code == 422 and b"current password is not right" in r.data
    r = client.post(
        "/account", data={"action": "change_password", "current_password": PASSWORD, "new_password": "password123"}
    )
    assert r.status_code == 422 and b"too easy to guess" in r.data
    r = client.post(
        "/account", data={"action": "change_password", "current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert r.status_code == 200 and b"1 other session(s) logged out" in r.data
    assert client.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "password was just changed" in mails_to(user.email)[-1].body
    accounts.authenticate(user.email, NEW_PASSWORD)


def test_changing_the_password_over_the_api_can_revoke_the_tokens(client, app, app_ctx):
    user = make_user()
    token = token_for(user)
    headers = api_headers(client, user.email)
    r = client.put(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "end_api_tokens": True},
    )
    assert r.status_code == 200 and r.json == {"sessions_ended": 0}
    assert db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.user_id == user.id)) == 0
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    r = client.put(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": "nope", "new_password": "another fine password 7"},
    )
    assert r.status_code == 422 and r.json["error"]["code"] == "wrong_password"


# --- reset ----------------------------------------------------------------------------------


def test_a_reset_request_answers_the_same_for_unknown_addresses(client, app_ctx):
    user = make_user()
    known = client.post("/api/v1/auth/password-reset", json={"email": user.email})
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 202
    assert known.json["message"].replace(user.email, "X") == unknown.json["message"].replace("nobody@example.test", "X")
    assert mails_to("nobody@example.test") == []
    assert "/reset-password/" in mails_to(user.email)[-1].body
    page_known = client.post("/forgot-password", data={"email": user.email}).data.replace(user.email.encode(), b"X")
    page_unknown = client.post("/forgot-password", data={"email": "nobody@example.test"}).data.replace(
        b"nobody@example.test", b"X"
    )
    csrf = rb'(value|content)="[^"]+"'  # CSRF tokens carry a timestamp: the one expected difference
    assert re.sub(csrf, b"", page_known) == re.sub(csrf, b"", page_unknown)


def test_a_reset_link_works_once_and_ends_every_session(client, app, app_ctx):
    user = make_user()
    token = token_for(user)
    other = app.test_client()
    login(other, user.email)
    client.post("/forgot-password", data={"email": user.email})
    link = link_in(mails_to(user.email)[-1], "/reset-password")
    assert client.get(link).status_code == 200
    r = client.post(link, data={"new_password": "password123"})
    assert r.status_code == 422 and b"too easy to guess" in r.data  # the link still works after that
    r = client.post(link, data={"new_password": NEW_PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert other.get("/api/v1/me").status_code == 401
    assert db.session.scalar(select(func.count(AccountSession.id)).where(AccountSession.user_id == user.id)) == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert login(client, user.email, NEW_PASSWORD).status_code == 302
    r = client.post(link, data={"new_password": "yet another good password 9"})
    assert r.status_code == 422 and b"not valid any more" in r.data


def test_a_reset_link_expires_after_an_hour(client, app_ctx):
    user = make_user()
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    link = link_in(mails_to(user.email)[-1], "/reset-password")
    row = db.session.scalar(select(AccountToken).where(AccountToken.purpose == AccountTokenPurpose.RESET_PASSWORD))
    assert timedelta(minutes=59) < row.expires_at - row.created_at <= timedelta(hours=1)
    row.expires_at = row.created_at - timedelta(seconds=1)
    db.session.commit()
    r = client.post("/api/v1/auth/password-reset/confirm", json={"token": token_of(link), "new_password": NEW_PASSWORD})
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_token"


def test_reset_over_the_api_can_revoke_tokens_and_verifies_the_address(client, app_ctx):
    user = make_user(verified=False)
    token = token_for(user)
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    link = link_in(mails_to(user.email)[-1], "/reset-password")
    r = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token_of(link), "new_password": NEW_PASSWORD, "end_api_tokens": True},
    )
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert db.session.get(User, user.id).email_verified  # the link proved the address


def test_a_reset_link_for_an_address_the_account_no_longer_has_is_refused(client, app_ctx):
    user = make_user()
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    link = link_in(mails_to(user.email)[-1], "/reset-password")
    db.session.get(User, user.id).email = "moved@example.test"
    db.session.commit()
    assert client.get(link).status_code == 422
