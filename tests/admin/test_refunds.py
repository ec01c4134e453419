"""Refunds from the admin order page: through the payment provider, fulfilled by the same code
as the refund webhook, so the two together move the money once."""

from __future__ import annotations

from sqlalchemy import select

from app.admin.models import AuditEntry
from app.core.extensions import db
from app.payments.models import Order, OrderStatus, PaymentEvent
from app.payments.services import payment_events, wallet
from tests.admin.admin_helpers import admin_headers, login_admin, make_admin, refresh
from tests.factories import login, make_user
from tests.payments.test_payments_in import buy_pack, charge_object, post_event, session_object
from tests.stripe_fake import event, fake_stripe, stripe_mode  # noqa: F401 (fixtures)


def paid_order(app, user, credits=10) -> Order:
    """A credit pack bought through the test provider's checkout page."""
    browser = app.test_client()
    login(browser, user)
    r = browser.post("/credits", data={"pack": str(credits)})
    browser.post(r.headers["Location"], data={"action": "pay"})
    order = db.session.scalar(select(Order).where(Order.user_id == user.id).order_by(Order.id.desc()))
    assert order.status is OrderStatus.PAID
    return order


def test_an_admin_refund_is_fulfilled_once_with_the_webhook(client, app, app_ctx):
    user = make_user()
    order = paid_order(app, user)
    before = wallet.balance(user)
    admin = make_admin()
    h = admin_headers(admin)

    r = client.post(f"/api/v1/admin/orders/{order.id}/refund", json={"reason": "Bought by mistake"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json["refund"]["outcome"] == "refunded"
    assert r.json["order"]["status"] == "refunded" and r.json["order"]["refundable_cents"] == 0
    assert wallet.balance(user) == before - order.credits
    event = db.session.scalar(select(PaymentEvent).where(PaymentEvent.type == "charge.refunded"))
    assert event.order_id == order.id and event.outcome == "refunded"

    # The provider's own webhook for the same refund arrives later: nothing moves again.
    assert payment_events.handle_event(payment_events.test_refund_event(refresh(order), order.amount_cents)) == (
        "already_refunded"
    )
    assert wallet.balance(user) == before - order.credits
    # Refunding again is refused.
    r = client.post(f"/api/v1/admin/orders/{order.id}/refund", json={}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "already_refunded"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "order.refund"))
    assert (entry.target_id, entry.reason, entry.actor_id) == (order.id, "Bought by mistake", admin.id)


def test_a_refund_the_webhook_brought_first_is_not_paid_twice(client, app, app_ctx):
    user = make_user()
    order = paid_order(app, user)
    before = wallet.balance(user)
    h = admin_headers()
    # A partial refund made in the provider's dashboard: its webhook arrives first.
    half = order.amount_cents // 2
    assert payment_events.handle_event(payment_events.test_refund_event(order, half)) == "partially_refunded"
    after_webhook = wallet.balance(user)
    assert after_webhook == before - order.credits // 2
    r = client.post(f"/api/v1/admin/orders/{order.id}/refund", json={"amount_cents": order.amount_cents}, headers=h)
    assert r.status_code == 422 and r.json["error"]["refundable_cents"] == order.amount_cents - half
    r = client.post(f"/api/v1/admin/orders/{order.id}/refund", json={}, headers=h)
    assert r.status_code == 200 and r.json["order"]["status"] == "refunded"
    assert wallet.balance(user) == before - order.credits


def test_the_order_page_refunds_and_shows_the_history(client, app, app_ctx):
    user = make_user()
    order = paid_order(app, user)
    login_admin(client)
    page = client.get(f"/admin/orders/{order.id}").text
    assert "refund-form" in page and user.email in page
    assert str(order.id) in client.get(f"/admin/orders?user={user.id}").text
    r = client.post(f"/admin/orders/{order.id}/refund", data={"amount_cents": "abc"})
    assert r.status_code == 302 and refresh(order).refunded_cents == 0
    r = client.post(f"/admin/orders/{order.id}/refund", data={"amount_cents": "100", "reason": "goodwill"})
    assert r.status_code == 302 and refresh(order).refunded_cents == 100
    page = client.get(f"/admin/orders/{order.id}").text
    assert "order refunded</td>" in page and "goodwill" in page


def test_only_paid_orders_can_be_refunded(client, app, app_ctx):
    user = make_user()
    browser = app.test_client()
    login(browser, user)
    browser.post("/credits", data={"pack": "10"})  # pending: never paid
    order = db.session.scalar(select(Order).where(Order.user_id == user.id))
    r = client.post(f"/api/v1/admin/orders/{order.id}/refund", json={}, headers=admin_headers())
    assert r.status_code == 409 and r.json["error"]["code"] == "not_refundable"
    assert client.post("/api/v1/admin/orders/999999/refund", json={}, headers=admin_headers()).status_code == 404


def test_with_stripe_the_refund_is_asked_once_and_the_webhook_fulfils_it(client, app, app_ctx, stripe_mode):
    user = make_user()
    order = buy_pack(app.test_client(), user, 5)
    post_event(client, event("checkout.session.completed", session_object(order)))
    order = refresh(order)
    before = wallet.balance(user)
    h = admin_headers()
    r = client.post(f"/api/v1/admin/orders/{order.id}/refund", json={"amount_cents": 125}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json["refund"]["outcome"] == "requested"
    (call,) = stripe_mode.calls("POST", "/v1/refunds")
    assert call.form["payment_intent"] == order.payment_intent_id and call.form["amount"] == "125"
    assert call.headers["Idempotency-Key"] == f"order-{order.id}-refund-125"
    assert wallet.balance(user) == before  # the wallet follows Stripe's confirmation
    assert (
        post_event(client, event("charge.refunded", charge_object(order, 125))).json["outcome"] == "partially_refunded"
    )
    assert wallet.balance(user) == before - 5_000_000 * 125 // order.amount_cents
