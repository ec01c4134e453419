"""Money amounts are written with the digits 0-9 only: "١٢" (Arabic-Indic) or "１２" (full
width) would otherwise read as 12 through Python's int(), Decimal() and \\d."""

import pytest

import ledger
from app.accounts.models import Role
from app.core.errors import ValidationFailed
from app.governance.services.pricing_parameters import PARAMETERS
from app.payments.models import Order
from tests.factories import PASSWORD, bearer, make_user, token_for

OTHER_DIGITS = ["١٢", "１２", "१२", "1_2", "۱.۵"]


@pytest.mark.parametrize("text", OTHER_DIGITS)
def test_parse_credits_takes_ascii_digits_only(text):
    with pytest.raises(ledger.InvalidOperation, match="digits 0-9"):
        ledger.parse_credits(text)
    assert ledger.parse_credits("12") == 12_000_000


@pytest.mark.parametrize("text", OTHER_DIGITS)
@pytest.mark.parametrize("parameter", PARAMETERS, ids=lambda p: p.key)
def test_pricing_parameters_take_ascii_digits_only(parameter, text):
    with pytest.raises(ValidationFailed, match="digits 0-9"):
        parameter.parse(text)


def test_admin_top_up_refuses_other_digits(client, app_ctx):
    admin, listener = make_user(role=Role.ADMIN), make_user()
    r = client.post(
        f"/api/v1/admin/users/{listener.id}/top-ups",
        headers=bearer(token_for(admin)),
        json={"credits": "١٢", "idempotency_key": "k1"},
    )
    assert r.status_code == 422 and "digits 0-9" in r.json["error"]["message"]


def test_credit_pack_refuses_other_digits(client, app_ctx):
    from sqlalchemy import func, select

    from app.core.extensions import db

    user = make_user()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    for pack in ("١٠", "１０", " 10", "1_0"):
        r = client.post("/credits", data={"pack": pack}, follow_redirects=True)
        assert "Choose one of the credit packs" in r.text, pack
    assert db.session.scalar(select(func.count(Order.id)).where(Order.user_id == user.id)) == 0


def test_proposal_amounts_refuse_other_digits(client, app_ctx):
    from tests.factories import make_member

    member = make_member()
    r = client.post(
        "/api/v1/governance/proposals",
        headers=bearer(token_for(member)),
        json={"title": "Cheaper", "first_play_price": "٠.٠٠١"},
    )
    assert r.status_code == 422 and "digits 0-9" in r.json["error"]["message"], r.json
