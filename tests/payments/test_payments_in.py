"""Money in: checkouts sent to Stripe (a recording fake over HTTP), webhooks signed with
Stripe's scheme, fulfilment exactly once, refunds, shares, the test provider and its banner."""

from __future__ import annotations

import json
import re
import time

import pytest
from sqlalchemy import func, select

import ledger
from app import create_app
from app.core.config import ConfigurationError
from app.core.extensions import db
from app.governance.models import Membership
from app.governance.services import membership
from app.payments.models import Order, OrderKind, OrderStatus, PaymentEvent, Receivable
from app.payments.services import wallet
from ledger import reads
from ledger.schema import AccountKind, Transfer, TransferKind
from tests.factories import make_track, make_user
from tests.stripe_fake import (  # noqa: F401 (fixtures)
    WEBHOOK_SECRET,
    event,
    fake_stripe,
    sign,
    stripe_mode,
    use_provider_of_config,
)

STARTER = 200_000


def login(client, user):
    from tests.factories import PASSWORD

    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302


def post_event(client, evt: dict, *, secret=WEBHOOK_SECRET, timestamp=None, header=None):
    payload = json.dumps(evt)
    signature = header if header is not None else sign(payload, secret, timestamp)
    return client.post(
        "/webhooks/stripe", data=payload, content_type="application/json", headers={"Stripe-Signature": signature}
    )


def buy_pack(client, user, credits=10) -> Order:
    login(client, user)
    r = client.post("/credits", data={"pack": str(credits)})
    assert r.status_code == 302, r.data
    return db.session.scalar(select(Order).where(Order.user_id == user.id).order_by(Order.id.desc()))


def session_object(order: Order, **overrides) -> dict:
    obj = {
        "id": order.session_id,
        "object": "checkout.session",
        "payment_status": "paid",
        "amount_total": order.amount_cents,
        "currency": order.currency.lower(),
        "payment_intent": f"pi_{order.id}",
        "metadata": {"order_id": str(order.id), "user_id": str(order.user_id)},
    }
    obj.update(overrides)
    return obj


def refresh(obj):
    """The row again, as the database has it now (the object may be detached or stale)."""
    from sqlalchemy import inspect

    identity = inspect(obj).identity
    db.session.expire_all()
    return db.session.get(type(obj), identity)


# --- checkout -------------------------------------------------------------------------------


def test_checkout_sends_minor_units_metadata_and_an_idempotency_key(client, app_ctx, stripe_mode):
    user = make_user()
    order = buy_pack(client, user, 10)
    (call,) = stripe_mode.calls("POST", "/v1/checkout/sessions")
    assert call.headers["Authorization"] == "Bearer sk_test_fake"
    assert call.headers["Idempotency-Key"] == f"order-{order.id}-checkout"
    form = call.form
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][unit_amount]"] == "1250"  # 10 credits at 1.25 EUR, in cents
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["metadata[order_id]"] == str(order.id)
    assert form["metadata[user_id]"] == str(user.id)
    assert form["metadata[credits_micro]"] == "10000000"
    assert form["payment_intent_data[metadata][order_id]"] == str(order.id)
    assert order.status is OrderStatus.PENDING and order.session_id.startswith("cs_test_")
    assert (order.amount_cents, order.credits, order.credit_price_cents) == (1250, 10_000_000, 125)


def test_unknown_pack_is_refused_and_nothing_is_ordered(client, app_ctx, stripe_mode):
    user = make_user()
    login(client, user)
    r = client.post("/credits", data={"pack": "7"}, follow_redirects=True)
    assert "There is no pack of 7 credits" in r.text
    assert db.session.scalar(select(func.count(Order.id)).where(Order.user_id == user.id)) == 0
    assert stripe_mode.requests == []


@pytest.mark.parametrize("status,error_type", [(402, "card_error"), (500, "api_error")])
def test_provider_error_fails_the_order_cleanly(client, app_ctx, stripe_mode, status, error_type):
    stripe_mode.fail("/v1/checkout/sessions", status, error_type, message="nope")
    user = make_user()
    login(client, user)
    r = client.post("/credits", data={"pack": "5"}, follow_redirects=True)
    assert "could not be reached" in r.text
    order = db.session.scalar(select(Order).where(Order.user_id == user.id))
    assert order.status is OrderStatus.FAILED and order.session_id is None
    assert wallet.balance(user) == STARTER


# --- webhooks -------------------------------------------------------------------------------


def test_completed_checkout_tops_up_once_however_often_it_is_delivered(client, app_ctx, stripe_mode):
    user = make_user()
    order = buy_pack(client, user, 10)
    evt = event("checkout.session.completed", session_object(order))
    r = post_event(client, evt)
    assert r.status_code == 200 and r.json["outcome"] == "fulfilled"
    assert wallet.balance(user) == STARTER + 10_000_000
    order = refresh(order)
    assert order.status is OrderStatus.PAID and order.payment_intent_id == f"pi_{order.id}"
    top_up = db.session.get(Transfer, order.ledger_transfer_id)
    assert top_up.idempotency_key == f"order:{order.id}" and top_up.kind is TransferKind.TOP_UP

    # The same event again (Stripe retries): recorded once, nothing moves.
    r = post_event(client, evt)
    assert r.status_code == 200 and r.json["outcome"] == "duplicate"
    # Another event for the same session (async success after completed): idempotent on the session.
    r = post_event(client, event("checkout.session.async_payment_succeeded", session_object(order)))
    assert r.json["outcome"] == "already_fulfilled"
    assert wallet.balance(user) == STARTER + 10_000_000
    assert reads.account_balance(db.session, AccountKind.PAYMENTS_CLEARING) <= -10_000_000
    assert ledger.verify(db.session).ok


@pytest.mark.parametrize("problem", ["bad_signature", "wrong_secret", "stale", "missing", "tampered"])
def test_unverified_webhooks_get_400_and_change_nothing(client, app_ctx, stripe_mode, problem):
    user = make_user()
    order = buy_pack(client, user, 5)
    evt = event("checkout.session.completed", session_object(order))
    payload = json.dumps(evt)
    if problem == "bad_signature":
        r = post_event(client, evt, header=f"t={int(time.time())},v1={'0' * 64}")
    elif problem == "wrong_secret":
        r = post_event(client, evt, secret="whsec_someone_else")
    elif problem == "stale":
        r = post_event(client, evt, timestamp=int(time.time()) - 3600)
    elif problem == "missing":
        r = client.post("/webhooks/stripe", data=payload, content_type="application/json")
    else:  # signed, then the body changed in transit
        r = client.post(
            "/webhooks/stripe",
            data=payload.replace('"paid"', '"paid" '),
            content_type="application/json",
            headers={"Stripe-Signature": sign(payload)},
        )
    assert r.status_code == 400
    assert r.json["error"]["code"] == "bad_signature"
    assert refresh(order).status is OrderStatus.PENDING
    assert db.session.get(PaymentEvent, evt["id"]) is None
    assert wallet.balance(user) == STARTER


def test_unknown_event_types_are_recorded_and_ignored(client, app_ctx, stripe_mode):
    evt = event("customer.created", {"id": "cus_1", "object": "customer"})
    r = post_event(client, evt)
    assert r.status_code == 200 and r.json["outcome"] == "ignored"
    assert db.session.get(PaymentEvent, evt["id"]).outcome == "ignored"


def test_webhook_without_a_configured_secret_is_refused(client, app_ctx):
    r = client.post("/webhooks/stripe", data="{}", content_type="application/json")
    assert r.status_code == 503 and r.json["error"]["code"] == "not_configured"


def test_async_payments_wait_for_success_and_failures_mark_the_order(client, app_ctx, stripe_mode):
    user = make_user()
    first = buy_pack(client, user, 5)
    r = post_event(client, event("checkout.session.completed", session_object(first, payment_status="unpaid")))
    assert r.json["outcome"] == "awaiting_payment" and wallet.balance(user) == STARTER
    r = post_event(client, event("checkout.session.async_payment_succeeded", session_object(first)))
    assert r.json["outcome"] == "fulfilled" and wallet.balance(user) == STARTER + 5_000_000

    second = buy_pack(client, user, 20)
    r = post_event(
        client, event("checkout.session.async_payment_failed", session_object(second, payment_status="unpaid"))
    )
    assert r.json["outcome"] == "failed"
    assert refresh(second).status is OrderStatus.FAILED
    assert wallet.balance(user) == STARTER + 5_000_000


def test_a_paid_amount_that_differs_from_the_order_is_not_fulfilled(client, app_ctx, stripe_mode):
    user = make_user()
    order = buy_pack(client, user, 50)
    r = post_event(client, event("checkout.session.completed", session_object(order, amount_total=1)))
    assert r.json["outcome"] == "amount_mismatch"
    assert refresh(order).status is OrderStatus.PENDING and wallet.balance(user) == STARTER


def test_an_order_whose_session_id_was_lost_is_found_by_its_metadata(client, app_ctx, stripe_mode):
    user = make_user()
    order = buy_pack(client, user, 5)
    session_id = order.session_id
    order.session_id = None  # as if the commit after the Stripe call had been lost
    db.session.commit()
    r = post_event(client, event("checkout.session.completed", session_object(order, id=session_id)))
    assert r.json["outcome"] == "fulfilled"
    assert refresh(order).session_id == session_id


def test_a_failing_fulfilment_rolls_back_the_event_so_stripe_can_retry(client, app_ctx, stripe_mode, monkeypatch):
    user = make_user()
    order = buy_pack(client, user, 5)
    evt = event("checkout.session.completed", session_object(order))

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(ledger, "top_up", broken)
    r = post_event(client, evt)
    assert r.status_code == 500 and r.json["error"]["code"] == "internal_error"
    assert db.session.get(PaymentEvent, evt["id"]) is None and refresh(order).status is OrderStatus.PENDING
    monkeypatch.undo()
    monkeypatch.setitem(client.application.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    r = post_event(client, evt)
    assert r.json["outcome"] == "fulfilled" and wallet.balance(user) == STARTER + 5_000_000


# --- refunds --------------------------------------------------------------------------------


def charge_object(order: Order, refunded: int) -> dict:
    return {
        "id": f"ch_{order.id}",
        "object": "charge",
        "payment_intent": order.payment_intent_id,
        "amount": order.amount_cents,
        "amount_refunded": refunded,
        "refunded": refunded == order.amount_cents,
    }


def test_refund_takes_back_the_unspent_credits_and_records_the_rest_as_owed(client, app_ctx, stripe_mode):
    user = make_user()
    order = buy_pack(client, user, 5)
    post_event(client, event("checkout.session.completed", session_object(order)))
    order, user = refresh(order), refresh(user)
    # Spend 2.2 credits (the starter grant and 2 of the pack) on a track.
    track = make_track()
    spent, key = 0, 0
    while spent < 2_200_000:
        spent += wallet.charge_play(user, track, f"spend-{key}").price
        key += 1
        if key % 9 == 0:  # owned after nine plays: on to another track
            track = make_track()
        db.session.commit()
    left = wallet.balance(user)
    assert left == STARTER + 5_000_000 - spent

    # A partial refund (half the money) takes back half the credits, all still in the wallet.
    r = post_event(client, event("charge.refunded", charge_object(order, 312)))
    assert r.json["outcome"] == "partially_refunded"
    half = 5_000_000 * 312 // 625
    assert wallet.balance(user) == left - half
    order = refresh(order)
    assert order.status is OrderStatus.PAID and (order.refunded_cents, order.refunded_credits) == (312, half)

    # Then the rest: the wallet holds less than the rest of the pack, so it goes to zero and
    # the difference is owed.
    r = post_event(client, event("charge.refunded", charge_object(order, 625)))
    assert r.json["outcome"] == "refunded"
    assert wallet.balance(user) == 0
    (owed,) = db.session.scalars(select(Receivable.credits).where(Receivable.order_id == order.id)).all()
    assert owed == (5_000_000 - half) - (left - half)
    assert refresh(order).status is OrderStatus.REFUNDED

    # An older refund state, or the same again, changes nothing.
    assert post_event(client, event("charge.refunded", charge_object(order, 312))).json["outcome"] == "already_refunded"
    assert post_event(client, event("charge.refunded", charge_object(order, 625))).json["outcome"] == "already_refunded"
    assert wallet.balance(user) == 0
    taken = -sum(
        a
        for a in [
            line.amount for line in reads.wallet_statement(db.session, user.id) if line.kind is TransferKind.REFUND
        ]
    )
    assert taken + owed == 5_000_000  # every refunded credit is taken back or owed
    assert ledger.verify(db.session).ok


def test_refund_of_an_unknown_charge_is_recorded_unmatched(client, app_ctx, stripe_mode):
    r = post_event(
        client,
        event(
            "charge.refunded",
            {"id": "ch_x", "object": "charge", "payment_intent": "pi_nobody", "amount": 100, "amount_refunded": 100},
        ),
    )
    assert r.status_code == 200 and r.json["outcome"] == "unmatched"


# --- member shares --------------------------------------------------------------------------


def test_a_share_makes_a_member_and_its_refund_ends_the_membership(client, app_ctx, stripe_mode):
    user = make_user()
    login(client, user)
    r = client.post("/membership", data={"member_class": "worker"})
    assert r.status_code == 302
    order = db.session.scalar(select(Order).where(Order.user_id == user.id))
    assert order.kind is OrderKind.MEMBER_SHARE and order.amount_cents == 1000
    (call,) = stripe_mode.calls("POST", "/v1/checkout/sessions")
    assert (
        call.form["metadata[member_class]"] == "worker"
        and call.form["line_items[0][price_data][unit_amount]"] == "1000"
    )

    r = post_event(client, event("checkout.session.completed", session_object(order)))
    assert r.json["outcome"] == "fulfilled"
    assert membership.is_member(user)
    share = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert share.member_class.value == "worker" and share.reference == f"order:{order.id}"
    assert wallet.balance(user) == STARTER  # a share buys no credits

    # A member cannot buy a second share by mistake.
    r = client.post("/membership", data={"member_class": "listener"}, follow_redirects=True)
    assert "already a member" in r.text

    r = post_event(client, event("charge.refunded", charge_object(refresh(order), 1000)))
    assert r.json["outcome"] == "refunded"
    assert not membership.is_member(user)
    assert "refunded" in refresh(share).end_reason


def test_bad_member_class_is_refused(client, app_ctx, stripe_mode):
    user = make_user()
    login(client, user)
    r = client.post("/membership", data={"member_class": "king"}, follow_redirects=True)
    assert "listener, artist or worker" in r.text
    assert stripe_mode.requests == []


# --- the test provider ----------------------------------------------------------------------


def test_test_provider_completes_checkouts_through_the_same_fulfilment(client, app_ctx):
    user = make_user()
    login(client, user)
    page = client.get("/credits")
    assert "Test mode" in page.text and "6.25 EUR" in page.text and "62.50 EUR" in page.text
    r = client.post("/credits", data={"pack": "20"})
    assert re.fullmatch(r"/checkout/test/cs_local_[\w-]+", r.headers["Location"])
    checkout_page = client.get(r.headers["Location"])
    assert "25.00 EUR" in checkout_page.text
    r = client.post(r.headers["Location"], data={"action": "pay"})
    order = db.session.scalar(select(Order).where(Order.user_id == user.id))
    assert r.headers["Location"] == f"/checkout/done/{order.id}"
    assert wallet.balance(user) == STARTER + 20_000_000
    done = client.get(r.headers["Location"]).text
    assert "Payment received" in done and "see the open votes" not in done  # credits, not a share
    event_row = db.session.scalar(select(PaymentEvent).where(PaymentEvent.order_id == order.id))
    assert event_row.type == "checkout.session.completed" and event_row.outcome == "fulfilled"
    # Paying again does nothing more.
    client.post(f"/checkout/test/{order.session_id}", data={"action": "pay"})
    assert wallet.balance(user) == STARTER + 20_000_000

    r = client.post("/credits", data={"pack": "5"})
    client.post(r.headers["Location"], data={"action": "fail"})
    failed = db.session.scalar(select(Order).where(Order.user_id == user.id).order_by(Order.id.desc()))
    assert failed.status is OrderStatus.FAILED
    history = client.get("/orders").text
    assert "failed" in history and "paid" in history and "20 Encore credits" in history

    r = client.post("/membership", data={"member_class": "listener"})
    r = client.post(r.headers["Location"], data={"action": "pay"})
    assert 'href="/governance">see the open votes</a>' in client.get(r.headers["Location"]).text


def test_test_checkout_page_belongs_to_its_buyer_and_to_test_mode(client, app_ctx, monkeypatch):
    buyer, other = make_user(), make_user()
    login(client, buyer)
    location = client.post("/credits", data={"pack": "5"}).headers["Location"]
    client.post("/logout")
    login(client, other)
    assert client.get(location).status_code == 404
    assert client.post(location, data={"action": "pay"}).status_code == 404
    monkeypatch.setitem(client.application.config, "STRIPE_SECRET_KEY", "sk_test_x")
    use_provider_of_config(client.application, monkeypatch)
    login(client, buyer)
    assert client.get(location).status_code == 404
    assert wallet.balance(buyer) == STARTER


def test_banner_shows_in_test_mode_only(client, app_ctx, monkeypatch):
    assert "test-mode-banner" in client.get("/").text
    monkeypatch.setitem(client.application.config, "STRIPE_SECRET_KEY", "sk_test_x")
    use_provider_of_config(client.application, monkeypatch)
    assert "test-mode-banner" not in client.get("/").text


def test_production_refuses_to_start_without_stripe_keys(tmp_path):
    base = {
        "DATABASE_URL": "postgresql://encore@db.invalid/p",
        "SECRET_KEY": "x" * 32,
        "ENV_NAME": "production",
        "SESSION_COOKIE_SECURE": True,
    }
    with pytest.raises(ConfigurationError, match="STRIPE_SECRET_KEY"):
        create_app(base)
    with pytest.raises(ConfigurationError):
        create_app(base | {"STRIPE_SECRET_KEY": "sk_live_x"})
    assert create_app(base | {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"})
    with pytest.raises(ConfigurationError, match="CREDIT_PACKS"):
        create_app({"DATABASE_URL": "postgresql://encore@db.invalid/p", "CREDIT_PACKS": [5, 2.5]})


def test_starter_grant_is_given_exactly_once(app_ctx):
    user = make_user()
    assert wallet.balance(user) == STARTER
    wallet.grant_starter(user)
    wallet.grant_starter(user)
    db.session.commit()
    grants = db.session.scalar(
        select(func.count(Transfer.id)).where(
            Transfer.kind == TransferKind.STARTER_GRANT, Transfer.listener_id == user.id
        )
    )
    assert grants == 1 and wallet.balance(user) == STARTER


def test_the_test_provider_builds_no_route_url_itself():
    """The service layer knows no routes: the caller passes the local checkout page's URL
    maker, so the test provider works outside any request (no url_for)."""
    from app.payments.services.payment_gateway import CheckoutRequest, TestGateway

    request_ = CheckoutRequest(
        order_id=1,
        user_id=2,
        email="a@example.test",
        description="5 credits",
        amount_cents=625,
        currency="EUR",
        metadata={},
        success_url="https://x/done",
        cancel_url="https://x/cancel",
        local_checkout_url=lambda session_id: f"/checkout/test/{session_id}",
    )
    session = TestGateway().create_checkout(request_)
    assert session.id.startswith("cs_local_") and session.url == f"/checkout/test/{session.id}"
