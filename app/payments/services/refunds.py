"""Refunds an admin starts: asked of the payment provider, fulfilled by the webhook's code.

Invariants:

- There is one refund implementation: ``payment_events._charge_refunded`` (the
  ``charge.refunded`` event). This module only asks the provider for the refund; the wallet,
  the ledger's refund transfer, what is owed and the membership follow from the event, whether
  Stripe delivers it (the webhook) or the test provider's is processed here at once (as its
  checkout page does for payments).
- Idempotent with the webhook: the event carries the cumulative amount refunded, so the same
  refund seen twice (ours, then Stripe's delivery, or the reverse) moves money once. The
  provider's idempotency key is derived from the order and that cumulative amount, so a
  retried request cannot refund twice either.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.core.errors import Conflict, NotFound, Unavailable, ValidationFailed
from app.core.extensions import db
from app.payments.models import Order, OrderStatus
from app.payments.services import payment_events
from app.payments.services.payment_gateway import GatewayError, RefundRequest, gateway


@dataclass(frozen=True)
class RefundOutcome:
    order: Order
    amount_cents: int
    refund_id: str
    outcome: str  # the event's outcome (test provider), or "requested" (Stripe: the webhook follows)


def get_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    return order


def list_orders(*, user_id: int | None = None, status: str | None = None, limit: int = 100) -> list[Order]:
    query = select(Order).order_by(Order.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(Order.user_id == user_id)
    if status:
        try:
            query = query.where(Order.status == OrderStatus(status))
        except ValueError:
            raise ValidationFailed("status is pending, paid, failed or refunded.", field="status") from None
    return list(db.session.scalars(query))


def refundable_cents(order: Order) -> int:
    if order.status is not OrderStatus.PAID or not order.payment_intent_id:
        return 0
    return order.amount_cents - order.refunded_cents


def refund_order(order_id: int, amount_cents: int | None = None) -> RefundOutcome:
    """Refund ``amount_cents`` of a paid order (all that is left when None)."""
    order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    if order.status is OrderStatus.REFUNDED:
        raise Conflict(f"Order {order.id} is already refunded in full.", code="already_refunded")
    left = refundable_cents(order)
    if left <= 0:
        raise Conflict(
            f"Order {order.id} has no payment to refund (it is {order.status.value}).", code="not_refundable"
        )
    if amount_cents is None:
        amount_cents = left
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or not 0 < amount_cents <= left:
        raise ValidationFailed(
            f"The refund is a whole number of cents from 1 to {left}.", field="amount_cents", refundable_cents=left
        )
    cumulative = order.refunded_cents + amount_cents
    provider = gateway()
    try:
        refund_id = provider.create_refund(
            RefundRequest(
                order_id=order.id,
                payment_intent=order.payment_intent_id,
                amount_cents=amount_cents,
                idempotency_key=f"order-{order.id}-refund-{cumulative}",
            )
        )
    except GatewayError as exc:
        if exc.permanent:
            raise Conflict(f"The payment provider refused the refund: {exc.message}", code="refund_refused") from None
        raise Unavailable("The payment provider could not be reached; try the refund again.") from None
    outcome = "requested"
    if provider.test_mode:
        outcome = payment_events.handle_event(payment_events.test_refund_event(order, cumulative))
    return RefundOutcome(order=order, amount_cents=amount_cents, refund_id=refund_id, outcome=outcome)
