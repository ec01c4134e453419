"""Buying credits and member shares, order history, and the test provider's checkout page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.core.error_pages import refused_redirect
from app.core.errors import ServiceError
from app.core.transactions import commit_now
from app.core.web import bp
from app.governance.services import membership
from app.payments.models import OrderStatus
from app.payments.services import checkout, payment_events, wallet
from app.payments.services.payment_gateway import gateway


@bp.app_context_processor
def payments_context():
    return {"payments_test_mode": gateway().test_mode}


def _start(order) -> str:
    """Open the provider's checkout for a new order; committed before and after the call."""
    request_ = checkout.checkout_request(
        order,
        success_url=url_for("web.checkout_done", order_id=order.id, _external=True),
        cancel_url=url_for("web.checkout_cancelled", order_id=order.id, _external=True),
        local_checkout_url=lambda session_id: url_for("web.test_checkout", session_id=session_id),
    )
    order_id = order.id
    commit_now("the pending order exists before the payment provider hears of it")
    outcome = checkout.create_session(request_)  # no transaction open during the HTTP call
    try:
        url = checkout.record_session(order_id, outcome)
    finally:
        # The session id, or the provider's refusal, which record_session raises after noting
        # it on the order: kept although the request then fails.
        commit_now("the provider's answer is recorded even when it refused")
    return url


@bp.route("/credits", methods=["GET", "POST"])
@login_required
def credits():
    if request.method == "POST":
        try:
            order = checkout.create_pack_order(current_user, request.form.get("pack"))
            return redirect(_start(order))
        except ServiceError as exc:
            return refused_redirect(exc, url_for("web.credits"))
    return render_template(
        "payments/credits.html",
        packs=checkout.packs(),
        balance=wallet.balance(current_user),
        credit_price=checkout.credit_price()[0],
    )


@bp.get("/orders")
@login_required
def orders():
    return render_template("payments/orders.html", orders=checkout.orders_of(current_user), describe=checkout.describe)


@bp.route("/membership", methods=["GET", "POST"])
@login_required
def membership_page():
    if request.method == "POST":
        try:
            order = checkout.create_share_order(current_user, request.form.get("member_class", ""))
            return redirect(_start(order))
        except ServiceError as exc:
            return refused_redirect(exc, url_for("web.membership_page"))
    return render_template(
        "payments/membership.html",
        is_member=membership.is_member(current_user),
        shares=membership.memberships_of(current_user),
        price=checkout.share_price(),
        classes=checkout.member_classes(),
    )


@bp.get("/checkout/done/<int:order_id>")
@login_required
def checkout_done(order_id: int):
    order = checkout.order_for(current_user, order_id)
    return render_template(
        "payments/done.html", order=order, describe=checkout.describe(order), balance=wallet.balance(current_user)
    )


@bp.get("/checkout/cancelled/<int:order_id>")
@login_required
def checkout_cancelled(order_id: int):
    order = checkout.order_for(current_user, order_id)
    flash(gettext("Checkout cancelled: nothing was charged."), "info")
    return redirect(url_for("web.credits" if order.kind.value == "credit_pack" else "web.membership_page"))


def _test_order(session_id: str):
    if not gateway().test_mode:
        abort(404)  # only the embedded provider has this page
    order = checkout.order_by_session(session_id)
    if order is None or order.user_id != current_user.id:
        abort(404)
    return order


@bp.route("/checkout/test/<session_id>", methods=["GET", "POST"])
@login_required
def test_checkout(session_id: str):
    """The test provider's checkout page: Pay or Fail, fulfilled through the webhook's code."""
    order = _test_order(session_id)
    if request.method == "POST":
        if order.status is OrderStatus.PENDING:
            event = payment_events.test_provider_event(order, paid=request.form.get("action") == "pay")
            payment_events.handle_event(event)
        if order.status is OrderStatus.PAID:
            return redirect(url_for("web.checkout_done", order_id=order.id))
        flash(gettext("The test payment failed; nothing was charged."), "error")
        return redirect(url_for("web.orders"))
    return render_template("payments/test_checkout.html", order=order, describe=checkout.describe(order))
