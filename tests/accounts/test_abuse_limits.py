"""Abuse limits: the login lockout with backoff, per-address and per-account throttles on
login, registration, password reset and token creation (429 + Retry-After in the one error
shape), and starter credits for verified, distinct people only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import deletion as account_deletion
from app.accounts import starter_grants, verification
from app.accounts.models import StarterGrantClaim, User
from app.core.extensions import db
from app.core.models import OutboxMessage
from app.core.ratelimit import limiter
from app.payments.services import wallet
from tests.factories import PASSWORD, make_user

STRONG = "velvet lantern orchard 42"


@pytest.fixture
def limits(app):
    """Tight limits for one test, counted from zero."""
    saved = dict(app.config)

    def set_limits(**values):
        app.config.update(values)

    with app.app_context():
        limiter.reset()
    yield set_limits
    app.config.clear()
    app.config.update(saved)
    with app.app_context():
        limiter.reset()


def lock_mails(user) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.to_address == user.email, OutboxMessage.subject.contains("locked")
            )
        )
    )


# --- the lockout ---------------------------------------------------------------------------


def test_forty_wrong_passwords_in_a_row_do_not_all_answer_401(client, app_ctx, clock):
    user = make_user()
    statuses = []
    for _ in range(40):
        r = client.post("/api/v1/auth/login", json={"email": user.email, "password": "wrong horse battery"})
        statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 35
    assert r.json["error"]["code"] == "account_locked" and 0 < r.json["error"]["retry_after_seconds"] <= 60
    # (Flask-Limiter rewrites the header as whole seconds from now: one less, rounded down)
    assert 0 <= r.json["error"]["retry_after_seconds"] - int(r.headers["Retry-After"]) <= 1
    assert len(lock_mails(user)) == 1  # the owner is told, once per lock
    # while locked, even the right password is refused (the password is not checked at all)
    assert client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).status_code == 429


def test_the_lock_doubles_at_each_further_failure_and_a_right_password_clears_it(client, app_ctx, clock):
    user = make_user()
    for _ in range(5):
        client.post("/api/v1/auth/tokens", json={"email": user.email, "password": "nope nope", "name": "x"})
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until == clock.now() + timedelta(seconds=60)
    clock.advance(timedelta(seconds=61))
    r = client.post("/api/v1/auth/login", json={"email": user.email, "password": "still wrong"})
    assert r.status_code == 401
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until == clock.now() + timedelta(seconds=120)
    assert len(lock_mails(user)) == 2
    clock.advance(timedelta(hours=3))  # the cap: never more than LOGIN_LOCKOUT_MAX_SECONDS
    r = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 200
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.failed_logins == 0 and fresh.locked_until is None


def test_the_cap_bounds_every_lock(app_ctx):
    from app.accounts.lockout import lock_seconds

    assert [lock_seconds(n) for n in (1, 4, 5, 6, 7)] == [0, 0, 60, 120, 240]
    assert lock_seconds(12) == 3600 and lock_seconds(10_000) == 3600


def test_a_locked_account_gets_a_clear_error_page_with_retry_after(client, app_ctx, clock):
    user = make_user()
    for _ in range(5):
        r = client.post("/login", data={"email": user.email, "password": "wrong wrong"})
        assert r.status_code == 401
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "locked" in r.text and "/forgot-password" in r.text


def test_unknown_emails_never_lock_and_answer_401(client, app_ctx):
    for _ in range(8):
        r = client.post("/api/v1/auth/login", json={"email": "nobody@example.test", "password": "x"})
        assert r.status_code == 401 and r.json["error"]["code"] == "bad_credentials"


# --- the throttles ---------------------------------------------------------------------------


def test_logins_are_throttled_per_address(client, app_ctx, limits):
    limits(LOGIN_ADDRESS_LIMIT="3 per minute")
    answers = [
        client.post("/api/v1/auth/login", json={"email": f"n{i}@example.test", "password": "x"}) for i in range(4)
    ]
    assert [r.status_code for r in answers] == [401, 401, 401, 429]
    refused = answers[-1]
    assert refused.json["error"]["code"] == "too_many_requests" and int(refused.headers["Retry-After"]) > 0
    # another address is not this one's neighbour
    r = client.post(
        "/api/v1/auth/login",
        json={"email": "n9@example.test", "password": "x"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert r.status_code == 401


def test_logins_are_throttled_per_account_across_addresses(client, app_ctx, limits):
    limits(LOGIN_ACCOUNT_LIMIT="3 per minute")
    codes = [
        client.post(
            "/login",
            data={"email": "Target@Example.test", "password": "x"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{i}"},
        ).status_code
        for i in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_registrations_are_throttled_per_address(client, app_ctx, limits):
    limits(REGISTER_ADDRESS_LIMIT="3 per hour")
    codes = [
        client.post(
            "/api/v1/auth/register",
            json={"email": f"farm{i}@example.test", "password": STRONG, "display_name": f"Farm {i}"},
        ).status_code
        for i in range(4)
    ]
    assert codes == [202, 202, 202, 429]
    r = client.post("/register", data={"email": "farm9@example.test", "password": STRONG, "display_name": "F"})
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_password_resets_are_throttled_per_account_and_per_address(client, app_ctx, limits):
    limits(PASSWORD_RESET_ACCOUNT_LIMIT="2 per hour", PASSWORD_RESET_ADDRESS_LIMIT="4 per hour")
    codes = [
        client.post(
            "/api/v1/auth/password-reset",
            json={"email": "one@example.test"},
            environ_base={"REMOTE_ADDR": f"192.0.2.{i}"},
        ).status_code
        for i in range(3)
    ]
    assert codes == [202, 202, 429]
    codes = [client.post("/forgot-password", data={"email": f"p{i}@example.test"}).status_code for i in range(5)]
    assert codes == [200, 200, 200, 200, 429]


def test_token_creation_is_throttled(client, app_ctx, limits):
    limits(TOKEN_CREATE_LIMIT="2 per hour")
    user = make_user()
    codes = [
        client.post(
            "/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD, "name": f"t{i}"}
        ).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]
    limiter.reset()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    codes = [client.post("/account", data={"action": "create_token", "name": f"p{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    # other account actions are not counted as token creations
    assert client.post("/account", data={"action": "profile", "display_name": "Still here"}).status_code == 200


# --- starter credits: verified, distinct people ------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("Ann.Lee@gmail.com", "annlee@gmail.com"),
        ("ann.lee+encore@gmail.com", "ANNLEE@googlemail.com"),
        ("bob+1@example.test", "Bob+2@Example.test"),
    ],
)
def test_spellings_of_one_mailbox_share_an_identity(a, b):
    assert starter_grants.identity(a) == starter_grants.identity(b)


def test_dots_count_outside_gmail():
    assert starter_grants.identity("ann.lee@example.test") != starter_grants.identity("annlee@example.test")


def test_one_starter_grant_per_normalised_email(app_ctx):
    first = make_user(email="ann.lee+one@gmail.com", verified=False)
    second = make_user(email="annlee+two@googlemail.com", verified=False)
    verification.mark_verified(first)
    verification.mark_verified(second)
    assert wallet.balance(first) > 0
    assert wallet.balance(second) == 0
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(StarterGrantClaim)
            .where(StarterGrantClaim.user_id.in_([first.id, second.id]))
        )
        == 1
    )


def test_a_deleted_and_re_registered_email_gets_no_second_grant(app_ctx):
    email = "returning@example.test"
    person = make_user(email=email)
    assert wallet.balance(person) > 0
    account_deletion.delete_account(person, password=PASSWORD)
    again = make_user(email=email)
    assert again.id != person.id and again.email_verified
    assert wallet.balance(again) == 0
    # the record names nobody: only a digest of the address is kept
    claim = db.session.scalar(select(StarterGrantClaim).where(StarterGrantClaim.user_id == person.id))
    assert claim.email_digest == starter_grants.digest(email) and email not in claim.email_digest


def test_unverified_accounts_get_no_starter_credits(client, app_ctx):
    r = client.post(
        "/api/v1/auth/register", json={"email": "fresh@example.test", "password": STRONG, "display_name": "Fresh"}
    )
    assert r.status_code == 202
    user = db.session.scalar(select(User).where(User.email == "fresh@example.test"))
    assert wallet.balance(user) == 0
