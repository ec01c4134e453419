"""Orders as admins see them, and refunds: through ``app.payments.services.refunds`` (the
provider, then the webhook's refund code), written to the audit log."""

from __future__ import annotations

from app.accounts.models import User
from app.admin.services import audit
from app.payments.services import refunds
from app.payments.services.refunds import RefundOutcome, get_order, list_orders, refundable_cents

__all__ = ["get_order", "list_orders", "refund", "refundable_cents"]


def refund(order_id: int, *, by: User, amount_cents: int | None = None, reason: str | None = None) -> RefundOutcome:
    outcome = refunds.refund_order(order_id, amount_cents)
    audit.record(
        by,
        "order.refund",
        "order",
        order_id,
        reason=(reason or "").strip() or None,
        amount_cents=outcome.amount_cents,
        currency=outcome.order.currency,
        refund_id=outcome.refund_id,
        outcome=outcome.outcome,
        user_id=outcome.order.user_id,
    )
    return outcome
