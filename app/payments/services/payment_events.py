"""Processing payment events: Stripe's webhooks and the test provider's, through one path.

``verify_stripe_event`` checks a webhook's signature on the raw body with the official
library (``stripe.WebhookSignature.verify_header``: ``t=<unix time>,v1=<HMAC-SHA256 of
"<t>.<body>">``, within the tolerance), then parses it. ``handle_event`` processes a parsed
event (a plain dict shaped like Stripe's) and is idempotent twice over:

* on the event id: a ``payment_events`` row is inserted first, in the same transaction as
  whatever the event causes (the ledger top-up, the membership, the refund...). A replayed
  event finds its row and changes nothing; two deliveries racing collide on the primary key
  and the loser rolls back whole;
* on the checkout session: the order row is locked and fulfilled only while pending; its
  top-up has the key ``order:<id>``, its membership the reference ``order:<id>``.

Handled: ``checkout.session.completed`` and ``checkout.session.async_payment_succeeded``
(fulfil when ``payment_status`` is ``paid``), ``checkout.session.async_payment_failed`` and
``checkout.session.expired`` (mark failed), ``charge.refunded`` (take back what is unspent,
record the rest as owed, end a refunded share), ``account.updated`` (a connected account
became able to receive transfers) and ``transfer.reversed``. Anything else is recorded as
``ignored``. Flushes, never commits: the caller commits once.
"""

from __future__ import annotations

import json
import logging
import time

import stripe
from sqlalchemy import select

import ledger
from app.accounts.models import User
from app.core.converters import id_from_form
from app.core.errors import BadEvent, BadSignature, ValidationFailed
from app.core.extensions import db
from app.core.types import utcnow
from app.governance.models import MembershipSource
from app.governance.services import membership
from app.payments.models import Order, OrderKind, OrderStatus, PaymentEvent, Receivable

log = logging.getLogger(__name__)


def verify_stripe_event(payload: bytes, signature_header: str | None, secret: str, tolerance: int) -> dict:
    """The event in ``payload`` if its ``Stripe-Signature`` header is valid for ``secret`` and
    recent (within ``tolerance`` seconds); else ``BadSignature``."""
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature_header or "", secret, tolerance)
        event = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise BadSignature("The webhook body is not a JSON event.") from None
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(f"The webhook signature does not verify: {exc.user_message or exc}") from None
    # Stripe's library refuses only timestamps older than the tolerance; one from the future
    # (a signature made ahead of time, to replay later) is refused here.
    signed_at = _signed_at(signature_header or "")
    if signed_at is None or signed_at > time.time() + tolerance:
        raise BadSignature("The webhook signature is dated in the future beyond the tolerance.")
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise BadSignature("The webhook body is not an event (no id or type).")
    # The columns they go in are bounded; Stripe's own ids and types are far shorter.
    if not 0 < len(event["id"]) <= MAX_EVENT_ID or not 0 < len(event["type"]) <= MAX_EVENT_TYPE:
        raise BadEvent(f"An event id has 1 to {MAX_EVENT_ID} characters and a type 1 to {MAX_EVENT_TYPE}.")
    return event


MAX_EVENT_ID = 255  # PaymentEvent.id
MAX_EVENT_TYPE = 100  # PaymentEvent.type


def _signed_at(header: str) -> int | None:
    """The ``t=`` of a ``Stripe-Signature`` header (already verified), or None."""
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None
    return None


def _object(event: dict) -> dict:
    obj = (event.get("data") or {}).get("object")
    if not isinstance(obj, dict):
        raise ValidationFailed("The event carries no data.object.")
    return obj


def handle_event(event: dict) -> str:
    """Process one event once; return its outcome (``fulfilled``, ``duplicate``, ``ignored``...)."""
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise ValidationFailed("An event has a string id and type.")
    if db.session.get(PaymentEvent, event_id) is not None:
        return "duplicate"
    if len(event_id) > MAX_EVENT_ID or len(event_type) > MAX_EVENT_TYPE:
        raise BadEvent(f"An event id has at most {MAX_EVENT_ID} characters and a type {MAX_EVENT_TYPE}.")
    record = PaymentEvent(id=event_id, type=event_type, outcome="processing")
    db.session.add(record)
    db.session.flush()  # claim the id now: a concurrent delivery of this event fails here
    handler = _HANDLERS.get(event_type)
    outcome = handler(_object(event), record) if handler else "ignored"
    record.outcome = outcome
    db.session.flush()
    log.info("payment event %s %s: %s", event_id, event_type, outcome)
    return outcome


def _lock_order(session_obj: dict) -> Order | None:
    """The order of a checkout session, locked: by session id, else by the order id in its
    metadata (when the session id was never stored on our side)."""
    session_id = session_obj.get("id")
    order = (
        db.session.scalar(select(Order).where(Order.session_id == session_id).with_for_update()) if session_id else None
    )
    if order is None:
        meta = session_obj.get("metadata") or {}
        order_id = id_from_form(str(meta.get("order_id", "")))  # 0 unless an id a column can hold
        if order_id:
            order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update())
            if order is not None and (
                order.session_id not in (None, session_id) or str(order.user_id) != str(meta.get("user_id"))
            ):
                order = None
            elif order is not None:
                order.session_id = session_id
    return order


def fulfil(order: Order, payment_intent: str | None = None) -> None:
    """Deliver what a paid order bought, in the caller's transaction: credits from payments
    clearing into the wallet, or the membership. Idempotent (keys derived from the order)."""
    if order.kind is OrderKind.CREDIT_PACK:
        result = ledger.top_up(
            db.session, key=order.ledger_key, listener_id=order.user_id, amount=order.credits, memo=f"order {order.id}"
        )
        order.ledger_transfer_id = result.id
    else:
        user = db.session.get(User, order.user_id)
        granted = membership.grant_membership(
            user, order.member_class, MembershipSource.SHARE_PURCHASE, reference=order.ledger_key
        )
        order.membership_id = granted.id
    order.status = OrderStatus.PAID
    order.paid_at = utcnow()
    order.failure_reason = None
    if payment_intent:
        order.payment_intent_id = payment_intent
    db.session.flush()


def _session_paid(obj: dict, record: PaymentEvent) -> str:
    order = _lock_order(obj)
    if order is None:
        log.warning("checkout session %s matches no order", obj.get("id"))
        return "unmatched"
    record.order_id = order.id
    if obj.get("payment_status") != "paid":
        return "awaiting_payment"  # completed with a delayed method: async_payment_* follows
    if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        return "already_fulfilled"
    if obj.get("amount_total") != order.amount_cents or str(obj.get("currency", "")).upper() != order.currency:
        log.error(
            "checkout session %s: paid %s %s, order %s costs %s %s",
            obj.get("id"),
            obj.get("amount_total"),
            obj.get("currency"),
            order.id,
            order.amount_cents,
            order.currency,
        )
        order.failure_reason = "paid amount differs from the order; not fulfilled"
        return "amount_mismatch"
    payment_intent = obj.get("payment_intent")
    fulfil(order, payment_intent if isinstance(payment_intent, str) else None)
    return "fulfilled"


def _session_failed(reason: str):
    def handler(obj: dict, record: PaymentEvent) -> str:
        order = _lock_order(obj)
        if order is None:
            return "unmatched"
        record.order_id = order.id
        if order.status is not OrderStatus.PENDING:
            return "ignored_not_pending"
        order.status = OrderStatus.FAILED
        order.failure_reason = reason
        db.session.flush()
        return "failed"

    return handler


def _charge_refunded(charge: dict, record: PaymentEvent) -> str:
    payment_intent = charge.get("payment_intent")
    order = None
    if isinstance(payment_intent, str):
        order = db.session.scalar(select(Order).where(Order.payment_intent_id == payment_intent).with_for_update())
    if order is None:
        return "unmatched"
    record.order_id = order.id
    order.charge_id = order.charge_id or charge.get("id")
    refunded = charge.get("amount_refunded")
    if isinstance(refunded, bool) or not isinstance(refunded, int) or refunded < 0:
        raise ValidationFailed("charge.amount_refunded is not an amount.")
    if refunded > order.amount_cents:
        log.error(
            "charge %s refunds %s, more than order %s (%s)", charge.get("id"), refunded, order.id, order.amount_cents
        )
        return "amount_mismatch"
    if refunded <= order.refunded_cents:
        return "already_refunded"  # an older or repeated refund state
    order.refunded_cents = refunded
    full = refunded == order.amount_cents
    if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        if order.kind is OrderKind.CREDIT_PACK:
            _take_back(order, refunded)
        elif full and order.membership_id is not None:
            share = membership.get_membership(order.membership_id)
            if share.ended_at is None:
                membership.end_membership(share, reason=f"share refunded (order {order.id})")
    if full:
        order.status = OrderStatus.REFUNDED
    db.session.flush()
    return "refunded" if full else "partially_refunded"


def _take_back(order: Order, refunded_cents: int) -> None:
    """Take back the credits the refunded money bought, as far as the wallet holds them."""
    # Proportional to the money refunded, rounded down (a partial refund never takes more).
    target = order.credits * refunded_cents // order.amount_cents
    step = target - order.refunded_credits
    if step <= 0:
        return
    key = f"refund:{order.id}:{refunded_cents}"
    result = ledger.refund_top_up(
        db.session, key=key, listener_id=order.user_id, amount=step, memo=f"refund of order {order.id}"
    )
    if result.short > 0 and db.session.scalar(select(Receivable.id).where(Receivable.key == key)) is None:
        db.session.add(Receivable(key=key, user_id=order.user_id, order_id=order.id, credits=result.short))
    order.refunded_credits = target
    db.session.flush()


def _account_updated(account: dict, record: PaymentEvent) -> str:
    from app.payments.services import payout_destinations

    return "account_updated" if payout_destinations.account_updated(account) else "unmatched"


def _transfer_reversed(transfer: dict, record: PaymentEvent) -> str:
    from app.payments.services import payouts

    payout = payouts.transfer_reversed(transfer)
    if payout is None:
        return "unmatched"
    record.payout_id = payout.id
    return "payout_reversed"


_HANDLERS = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "checkout.session.async_payment_failed": _session_failed("the payment failed"),
    "checkout.session.expired": _session_failed("the checkout expired"),
    "charge.refunded": _charge_refunded,
    "account.updated": _account_updated,
    "transfer.reversed": _transfer_reversed,
}


def test_refund_event(order: Order, amount_refunded: int) -> dict:
    """The ``charge.refunded`` event Stripe would send after a refund through the test provider
    (``amount_refunded`` is cumulative, as Stripe's is)."""
    import secrets

    return {
        "id": f"evt_local_{secrets.token_urlsafe(12)}",
        "object": "event",
        "type": "charge.refunded",
        "livemode": False,
        "data": {
            "object": {
                "id": order.charge_id or f"ch_local_{order.id}",
                "object": "charge",
                "payment_intent": order.payment_intent_id,
                "amount": order.amount_cents,
                "amount_refunded": amount_refunded,
                "currency": order.currency.lower(),
            }
        },
    }


def test_provider_event(order: Order, *, paid: bool) -> dict:
    """The event Stripe would send for the test provider's Pay / Fail buttons."""
    import secrets

    return {
        "id": f"evt_local_{secrets.token_urlsafe(12)}",
        "object": "event",
        "type": "checkout.session.completed" if paid else "checkout.session.async_payment_failed",
        "livemode": False,
        "data": {
            "object": {
                "id": order.session_id,
                "object": "checkout.session",
                "mode": "payment",
                "payment_status": "paid" if paid else "unpaid",
                "amount_total": order.amount_cents,
                "currency": order.currency.lower(),
                "payment_intent": f"pi_local_{order.id}",
                "client_reference_id": str(order.id),
                "metadata": {"order_id": str(order.id), "user_id": str(order.user_id), "kind": order.kind.value},
            }
        },
    }
