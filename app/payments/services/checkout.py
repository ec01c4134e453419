"""Buying credits and member shares: the offer, orders, and opening a checkout.

An order is written (pending) and committed BEFORE the provider is called, and the
provider's session id is stored after: no database transaction stays open across an HTTP
call to Stripe (it would hold row locks and a connection for the call's length). If that second step is lost,
the webhook still finds the order through the ``order_id`` in the session's metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

import ledger
from app.accounts.models import User
from app.accounts.suspension import require_not_suspended
from app.accounts.verification import require_verified
from app.core.errors import Conflict, NotFound, Unavailable, ValidationFailed
from app.core.extensions import db
from app.governance.models import MemberClass
from app.governance.services import membership
from app.payments.models import Order, OrderKind, OrderStatus, PaymentProvider
from app.payments.services.payment_gateway import (
    CheckoutRequest,
    CheckoutSession,
    GatewayError,
    gateway,
)
from ledger.units import MICRO_PER_CREDIT, format_money  # noqa: F401 (checkout.format_money: its name for the views)


@dataclass(frozen=True)
class Pack:
    credits: int  # whole credits
    price_cents: int

    @property
    def micro(self) -> int:
        return self.credits * MICRO_PER_CREDIT


def currency() -> str:
    return current_app.config["CURRENCY"]


def credit_price() -> tuple[int, int]:
    """(credit price in minor units, pricing version id) in force now."""
    version = ledger.pricing_in_force(db.session)
    return version.credit_price_cents, version.id


def packs() -> list[Pack]:
    """The credit packs on offer, priced at the credit price in force."""
    price, _ = credit_price()
    return [Pack(credits=c, price_cents=c * price) for c in current_app.config["CREDIT_PACKS"]]


def share_price() -> int:
    return current_app.config["MEMBER_SHARE_CENTS"]


def _provider() -> PaymentProvider:
    return gateway().kind


def create_pack_order(user: User, credits) -> Order:
    """A pending order for one pack of ``credits`` whole credits (one of the packs on offer)."""
    require_not_suspended(user, "buy credits")
    require_verified(user, "buy credits")
    # int() would read "١٠", " 10 " or "1_0" as 10: a pack is named by the digits 0-9 only.
    if isinstance(credits, str) and credits.isascii() and credits.isdigit() and len(credits) <= 9:
        credits = int(credits)
    if isinstance(credits, bool) or not isinstance(credits, int):
        raise ValidationFailed("Choose one of the credit packs (a number of credits written with 0-9).", field="pack")
    offered = {p.credits: p for p in packs()}
    if credits not in offered:
        raise ValidationFailed(f"There is no pack of {credits} credits.", field="pack")
    price, version_id = credit_price()
    order = Order(
        user_id=user.id,
        kind=OrderKind.CREDIT_PACK,
        provider=_provider(),
        credits=credits * MICRO_PER_CREDIT,
        amount_cents=offered[credits].price_cents,
        currency=currency(),
        credit_price_cents=price,
        pricing_version_id=version_id,
    )
    db.session.add(order)
    db.session.flush()
    return order


def create_share_order(user: User, member_class) -> Order:
    """A pending order for one member share of ``member_class``."""
    require_not_suspended(user, "buy a member share")
    require_verified(user, "buy a member share")
    member_class = membership.parse_member_class(member_class)
    if membership.is_member(user):
        raise Conflict("You are already a member of the co-op.", code="already_member")
    order = Order(
        user_id=user.id,
        kind=OrderKind.MEMBER_SHARE,
        provider=_provider(),
        credits=0,
        member_class=member_class,
        amount_cents=share_price(),
        currency=currency(),
    )
    db.session.add(order)
    db.session.flush()
    return order


def describe(order: Order) -> str:
    if order.kind is OrderKind.CREDIT_PACK:
        return f"{ledger.format_credits(order.credits)} Encore credits"
    return f"One Encore member share ({order.member_class.value})"


def metadata(order: Order) -> dict:
    """What is bought, for whom: sent to Stripe (strings only) and checked on fulfilment."""
    data = {"order_id": str(order.id), "user_id": str(order.user_id), "kind": order.kind.value}
    if order.kind is OrderKind.CREDIT_PACK:
        data["credits_micro"] = str(order.credits)
    else:
        data["member_class"] = order.member_class.value
    return data


def checkout_request(
    order: Order, *, success_url: str, cancel_url: str, local_checkout_url: Callable[[str], str]
) -> CheckoutRequest:
    """What to ask the provider for (plain values: usable after the caller has committed). The
    caller builds the URLs: where the buyer returns, and the embedded provider's page for a
    session id."""
    if order.status is not OrderStatus.PENDING or order.session_id is not None:
        raise Conflict("This order already has a checkout.", code="checkout_exists")
    return CheckoutRequest(
        order_id=order.id,
        user_id=order.user_id,
        email=order.user.email,
        description=describe(order),
        amount_cents=order.amount_cents,
        currency=order.currency,
        metadata=metadata(order),
        success_url=success_url,
        cancel_url=cancel_url,
        local_checkout_url=local_checkout_url,
    )


def create_session(request: CheckoutRequest) -> CheckoutSession | GatewayError:
    """Call the provider (no database work: call it with no transaction open). Returns the
    session, or the provider's error for ``record_session`` to record."""
    try:
        return gateway().create_checkout(request)
    except GatewayError as exc:
        return exc


def record_session(order_id: int, outcome: CheckoutSession | GatewayError) -> str:
    """Store the provider's session id on the order (or mark it failed); the URL to send the
    buyer to. Flushes; the caller commits."""
    order = db.session.get(Order, order_id)
    if isinstance(outcome, GatewayError):
        order.status = OrderStatus.FAILED
        order.failure_reason = f"checkout not created: {outcome.message}"[:500]
        db.session.flush()
        raise Unavailable("The payment provider could not be reached; please try again.", code="provider_error")
    order.session_id = outcome.id
    db.session.flush()
    return outcome.url


def order_for(user: User, order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or order.user_id != user.id:
        raise NotFound(f"There is no order {order_id}.")
    return order


def order_by_session(session_id: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.session_id == session_id))


def orders_of(user: User, *, limit: int = 100) -> list[Order]:
    """The user's orders, newest first."""
    return list(
        db.session.scalars(select(Order).where(Order.user_id == user.id).order_by(Order.id.desc()).limit(limit))
    )


def member_classes() -> list[MemberClass]:
    return list(MemberClass)
