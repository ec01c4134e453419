"""Two-factor authentication: enrolment, replay-proof codes, recovery codes, the login's second
step (page and API) with its throttle, and the payout rules that require a (fresh) code."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import select

from app.accounts import two_factor
from app.accounts.models import RecoveryCode, Role, TwoFactor
from app.core.errors import Conflict, Forbidden, Unauthorized
from app.core.extensions import db
from app.core.models import OutboxMessage
from app.payments.models import PayoutDestination
from tests.factories import (
    PASSWORD,
    bearer,
    current_code,
    enable_two_factor,
    login,
    make_artist,
    make_user,
    token_for,
)
from tests.stripe_fake import fake_stripe, stripe_mode  # noqa: F401 (fixtures)

T0 = datetime(2026, 12, 2, 12, 0, 0, tzinfo=timezone.utc)


def code_at(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def test_enrolment_is_confirmed_by_a_first_code_and_gives_ten_hashed_recovery_codes(app_ctx):
    user = make_user()
    enrolment = two_factor.begin_enrolment(user)
    assert enrolment.uri.startswith("otpauth://totp/Encore:") and f"secret={enrolment.secret}" in enrolment.uri
    assert enrolment.qr_svg_data_uri.startswith("data:image/svg+xml")
    assert not two_factor.is_enabled(user)  # not before a first code
    with pytest.raises(Unauthorized):
        two_factor.confirm_enrolment(user, "000000" if code_at(enrolment.secret, T0) != "000000" else "111111", at=T0)
    codes = two_factor.confirm_enrolment(user, code_at(enrolment.secret, T0), at=T0)
    assert two_factor.is_enabled(user)
    assert len(codes) == len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    with pytest.raises(Conflict):
        two_factor.begin_enrolment(user)


def test_the_secret_is_sealed_at_rest_and_keys_rotate(app, app_ctx):
    from cryptography.fernet import Fernet

    user = make_user()
    secret = enable_two_factor(user)
    row = db.session.get(TwoFactor, user.id)
    assert secret not in row.sealed_secret and two_factor.secret_of(row) == secret
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app.config["TWO_FACTOR_KEYS"] = [old]
    try:
        assert two_factor.secret_of(row) is None  # sealed under the default key, not this one
        other = make_user()
        secret = enable_two_factor(other)
        user = other
        app.config["TWO_FACTOR_KEYS"] = [new, old]  # rotation: the new key seals, the old still opens
        assert two_factor.check(user, current_code(user)) == "totp"
        app.config["TWO_FACTOR_KEYS"] = [new]  # the old key lost: its codes are wrong (logged), not a 500
        row = db.session.get(TwoFactor, user.id)
        with pytest.raises(Unauthorized):
            two_factor.check(user, pyotp.TOTP(secret).now(), row=row)
        assert two_factor.secret_of(row) is None
    finally:
        app.config["TWO_FACTOR_KEYS"] = None


def test_a_code_cannot_be_replayed_within_its_window(app_ctx):
    user = make_user()
    enrolment = two_factor.begin_enrolment(user)
    two_factor.confirm_enrolment(user, code_at(enrolment.secret, T0), at=T0)
    later = T0 + timedelta(seconds=30)
    code = code_at(enrolment.secret, later)
    assert two_factor.check(user, code, at=later) == "totp"
    with pytest.raises(Unauthorized) as refused:
        two_factor.check(user, code, at=later + timedelta(seconds=5))  # still inside the window
    assert refused.value.code == "code_used"
    # an earlier step's code, still inside the +-1 window, is refused too
    with pytest.raises(Unauthorized):
        two_factor.check(user, code_at(enrolment.secret, T0), at=later)
    assert (
        two_factor.check(
            user, code_at(enrolment.secret, later + timedelta(seconds=30)), at=later + timedelta(seconds=30)
        )
        == "totp"
    )
    # a code from too far away is wrong
    with pytest.raises(Unauthorized):
        two_factor.check(user, code_at(enrolment.secret, T0 + timedelta(minutes=10)), at=T0 + timedelta(minutes=2))


def test_odd_input_is_a_wrong_code_not_an_error(app_ctx):
    user = make_user()
    enable_two_factor(user)
    for odd in ("١٢٣٤٥٦", "12 34 5x", "é" * 6, "x" * 500):
        with pytest.raises(Unauthorized):
            two_factor.check(user, odd)


def test_recovery_codes_work_once_each(app_ctx):
    user = make_user()
    enrolment = two_factor.begin_enrolment(user)
    codes = two_factor.confirm_enrolment(user, code_at(enrolment.secret, T0), at=T0)
    assert two_factor.check(user, codes[0].upper().replace("-", " ")) == "recovery"  # typed loosely
    with pytest.raises(Unauthorized):
        two_factor.check(user, codes[0])
    assert two_factor.status(user)["recovery_codes_left"] == 9


def test_five_wrong_codes_end_the_half_login(app_ctx):
    user = make_user()
    secret = enable_two_factor(user)
    marker = two_factor.start_half_login(user)
    for _attempt in range(4):
        with pytest.raises(Unauthorized) as wrong:
            two_factor.finish_half_login(marker, "12345")  # never a valid code (5 digits)
        assert wrong.value.code == "bad_code"
    with pytest.raises(Unauthorized) as last:
        two_factor.finish_half_login(marker, "12345")
    assert last.value.code == "too_many_attempts"
    current_code(user)
    with pytest.raises(Unauthorized) as ended:  # even the right code is too late now
        two_factor.finish_half_login(marker, pyotp.TOTP(secret).now())
    assert ended.value.code == "login_expired"
    # the password again gives five new tries, and the right code logs in, once
    marker = two_factor.start_half_login(user)
    assert two_factor.finish_half_login(marker, current_code(user)).id == user.id
    with pytest.raises(Unauthorized):
        two_factor.finish_half_login(marker, current_code(user))


def test_a_half_login_expires(app_ctx, monkeypatch):
    user = make_user()
    enable_two_factor(user)
    marker = two_factor.start_half_login(user)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + two_factor.HALF_LOGIN_SECONDS + 5)
    with pytest.raises(Unauthorized) as expired:
        two_factor.half_login_user(marker)
    assert expired.value.code == "login_expired"
    with pytest.raises(Unauthorized):
        two_factor.half_login_user("not-a-marker")


# --- pages -----------------------------------------------------------------------------------


def test_login_page_asks_for_the_code_after_the_password(client, app_ctx):
    user = make_user()
    enable_two_factor(user)
    r = client.post("/login?next=/account", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/code")
    assert client.get("/account").status_code == 302  # half logged in is not logged in
    r = client.post("/login/code", data={"code": "000000" if current_code(user) != "000000" else "111111"})
    assert r.status_code == 401 and "not right" in r.text
    assert db.session.get(TwoFactor, user.id).failed_attempts == 1  # committed though refused
    r = client.post("/login/code", data={"code": current_code(user)})
    assert r.status_code == 302 and r.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    # the spent half-login is gone
    assert client.get("/login/code").headers["Location"].endswith("/login")


def test_a_listener_enrols_on_the_page_sees_codes_once_and_disables_with_a_code(client, app_ctx):
    user = make_user()
    login(client, user)
    assert "Set up two-factor" in client.get("/account/two-factor").text
    client.post("/account/two-factor/setup")
    page = client.get("/account/two-factor").text
    row = db.session.get(TwoFactor, user.id)
    secret = two_factor.secret_of(row)
    assert (
        secret in page
        and secret not in row.sealed_secret
        and 'src="data:image/svg+xml' in page
        and "<script>" not in page
    )  # no inline script (CSP)
    r = client.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200 and r.text.count("<li><code>") == 10 and r.headers["Cache-Control"] == "no-store"
    assert "Recovery codes left: 10" in client.get("/account/two-factor").text
    r = client.post("/account/two-factor/disable", data={"code": "bad"}, follow_redirects=True)
    assert "not right" in r.text and two_factor.is_enabled(user)
    r = client.post("/account/two-factor/disable", data={"code": current_code(user)}, follow_redirects=True)
    assert "is off" in r.text
    db.session.expire_all()
    assert not two_factor.is_enabled(user)
    assert db.session.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id)) is None


# --- API -------------------------------------------------------------------------------------


def test_api_token_login_needs_the_second_step(client, app_ctx):
    user = make_user()
    enable_two_factor(user)
    r = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD, "name": "cli"})
    assert r.status_code == 401 and r.json["error"]["code"] == "two_factor_required"
    challenge = r.json["error"]["challenge"]
    r = client.post("/api/v1/auth/two-factor", json={"challenge": challenge, "code": "12345"})
    assert r.status_code == 401 and r.json["error"]["code"] == "bad_code"
    assert db.session.get(TwoFactor, user.id).failed_attempts == 1
    r = client.post("/api/v1/auth/two-factor", json={"challenge": challenge, "code": current_code(user)})
    assert r.status_code == 201 and r.json["name"] == "cli"
    assert client.get("/api/v1/me", headers=bearer(r.json["token"])).json["user"]["id"] == user.id
    r = client.post("/api/v1/auth/two-factor", json={"challenge": challenge, "code": current_code(user)})
    assert r.status_code == 401 and r.json["error"]["code"] == "login_expired"


def test_api_enrolment_recovery_codes_and_disable(client, app_ctx):
    user = make_user()
    headers = bearer(token_for(user))
    assert client.get("/api/v1/me/two-factor", headers=headers).json["two_factor"]["enabled"] is False
    r = client.post("/api/v1/me/two-factor", headers=headers)
    assert r.status_code == 201 and r.json["otpauth_uri"].startswith("otpauth://totp/")
    secret = r.json["secret"]
    r = client.post("/api/v1/me/two-factor/confirm", headers=headers, json={"code": "nope"})
    assert r.status_code == 401 and r.json["error"]["code"] == "bad_code"
    r = client.post("/api/v1/me/two-factor/confirm", headers=headers, json={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200 and len(r.json["recovery_codes"]) == 10
    assert r.json["two_factor"]["enabled"] is True
    first = r.json["recovery_codes"]
    r = client.post("/api/v1/me/two-factor/recovery-codes", headers=headers, json={"code": current_code(user)})
    assert r.status_code == 200 and not set(first) & set(r.json["recovery_codes"])
    fresh = r.json["recovery_codes"]
    r = client.post("/api/v1/me/two-factor/disable", headers=headers, json={"code": first[0]})
    assert r.status_code == 401  # the old codes died with the regeneration
    r = client.post("/api/v1/me/two-factor/disable", headers=headers, json={"code": fresh[0]})
    assert r.status_code == 204
    assert client.get("/api/v1/me/two-factor", headers=headers).json["two_factor"]["enabled"] is False
    r = client.post("/api/v1/me/two-factor/disable", headers=headers, json={"code": fresh[1]})
    assert r.status_code == 409 and r.json["error"]["code"] == "two_factor_disabled"


# --- payouts ---------------------------------------------------------------------------------

IBAN = "DE89370400440532013000"


def test_managers_and_admins_need_two_factor_for_payouts(client, app_ctx):
    manager, admin = make_user(), make_user(role=Role.ADMIN)
    artist = make_artist(manager=manager)
    login(client, manager)
    r = client.post(f"/artists/{artist.id}/money/bank", data={"iban": IBAN, "account_holder": "Band Ltd"})
    assert r.status_code == 403 and 'href="/account/two-factor"' in r.text
    assert client.post(f"/artists/{artist.id}/money/stripe").status_code == 403
    assert "turn on two-factor authentication" in client.get(f"/artists/{artist.id}/money").text
    assert db.session.get(PayoutDestination, artist.id) is None
    client.post("/logout")
    login(client, admin)
    r = client.post("/admin/payouts/runs", data={"period": "2026-01"})
    assert r.status_code == 403 and "Turn on two-factor authentication" in r.text
    assert client.get("/admin/payouts/bank.csv").status_code == 403
    with pytest.raises(Forbidden):
        two_factor.require_for_payouts(admin, "/account/two-factor")


def test_changing_payout_details_needs_a_fresh_code_and_mails_every_manager(client, app_ctx):
    manager, other = make_user(display_name="Mona Manager"), make_user()
    artist = make_artist(manager=manager)
    from app.accounts.services import add_artist_member

    add_artist_member(artist, other)
    db.session.commit()
    enable_two_factor(manager)
    login(client, manager)
    with client.session_transaction() as session:  # the login was 11 minutes ago
        session["verified_at"] = time.time() - 11 * 60
    form = {"iban": IBAN, "account_holder": "Band Ltd"}
    assert 'name="code"' in client.get(f"/artists/{artist.id}/money").text
    r = client.post(f"/artists/{artist.id}/money/bank", data=form)
    assert r.status_code == 401 and "Enter a code" in r.text
    r = client.post(f"/artists/{artist.id}/money/bank", data=form | {"code": "12345"})
    assert r.status_code == 401 and db.session.get(PayoutDestination, artist.id) is None
    r = client.post(f"/artists/{artist.id}/money/bank", data=form | {"code": current_code(manager)})
    assert r.status_code == 302
    assert db.session.get(PayoutDestination, artist.id).iban == IBAN
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("payout details"))).all()
    assert sorted(m.to_address for m in mails) == sorted([manager.email, other.email])
    assert all("Mona Manager" in m.body and "DE89 ****" in m.body and IBAN not in m.body for m in mails)
    # fresh for the next ten minutes: no code asked again
    assert client.post(f"/artists/{artist.id}/money/bank", data=form).status_code == 302


def test_a_deleted_users_session_logs_nobody_in(client, app_ctx):
    from app.accounts import deletion as account_deletion

    user = make_user()
    login(client, user)
    account_deletion.delete_account(db.session.get(type(user), user.id), password=PASSWORD)
    db.session.commit()
    assert client.get("/account").status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_connecting_stripe_mails_the_managers_twice_created_then_in_use(client, app_ctx, stripe_mode):
    manager = make_user()
    artist = make_artist(manager=manager)
    enable_two_factor(manager)
    login(client, manager)
    stripe_mode.transfers_status = "active"
    assert client.post(f"/artists/{artist.id}/money/stripe").status_code == 302
    client.get(f"/artists/{artist.id}/money/stripe/return")
    client.get(f"/artists/{artist.id}/money/stripe/return")  # again: no change, no mail
    bodies = db.session.scalars(
        select(OutboxMessage.body).where(
            OutboxMessage.to_address == manager.email, OutboxMessage.subject.contains("payout details")
        )
    ).all()
    assert len(bodies) == 2 and "was created" in bodies[0] and "now go to the Stripe account" in bodies[1]


def test_code_guesses_are_also_limited_per_address(database_url, tmp_path):
    """Across many half-logins (each allowed 5 wrong codes) one address still gets only the
    configured number of tries a minute: a 429 in the one error shape."""
    from tests.conftest import make_test_app

    app = make_test_app(database_url, tmp_path / "media", TWO_FACTOR_CODE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [
        client.post("/api/v1/auth/two-factor", json={"challenge": "x", "code": "123456"}).status_code for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    assert (
        client.post("/api/v1/auth/two-factor", json={"challenge": "x", "code": "1"}).json["error"]["code"]
        == "too_many_requests"
    )
    assert [client.post("/login/code", data={"code": "1"}).status_code for _ in range(4)][-1] == 429
