"""The payment provider behind one interface, ``PaymentGateway``: Stripe, or the embedded
test provider.

The provider is chosen once, when the app starts (``init_app``, like the object store): with
``STRIPE_SECRET_KEY`` set it is ``StripeGateway`` (one ``stripe.StripeClient`` for the app's
keys and ``STRIPE_API_BASE``; no global ``stripe.api_key``), otherwise ``TestGateway``, which
completes checkouts on a local page (``/checkout/test/<session>``) through the same fulfilment
code as Stripe's webhooks. Use sites fetch it with ``gateway()`` and never ask which it is;
what differs between the two is a method of the interface.

Every Stripe call that creates something carries an idempotency key derived from our row's
id, so a retried call (the library retries 5xx and connection errors itself, then we retry on
the next run) can never create a second session, account or transfer.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import stripe
from flask import Flask, current_app

from app.payments.models import PaymentProvider


class GatewayError(Exception):
    """The provider refused or could not be reached.

    ``permanent``: the provider answered that this request will never succeed (a 4xx such as
    a card error or an invalid destination); nothing was created. Otherwise (5xx, 429,
    timeouts, connection errors) the outcome is unknown and the same call may be retried with
    the same idempotency key.
    """

    def __init__(self, message: str, *, permanent: bool, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = code
        self.status = status


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class CheckoutRequest:
    order_id: int
    user_id: int
    email: str
    description: str
    amount_cents: int
    currency: str
    metadata: dict  # str -> str, sent to Stripe with the session and its payment intent
    success_url: str
    cancel_url: str
    # The embedded provider's page for a session id (``/checkout/test/<session>``); the view
    # builds it, as it builds the two URLs above, so no service knows a route. Stripe ignores it.
    local_checkout_url: Callable[[str], str]


@dataclass(frozen=True)
class TransferRequest:
    payout_id: int
    artist_id: int
    period: str
    amount_cents: int
    currency: str
    destination: str  # the connected account
    idempotency_key: str


@dataclass(frozen=True)
class RefundRequest:
    order_id: int
    payment_intent: str
    amount_cents: int  # this refund's amount (not the cumulative one)
    idempotency_key: str  # derived from the order and the cumulative amount refunded after it


class PaymentGateway(Protocol):
    """What Encore asks of a payment provider. Each call either returns or raises
    ``GatewayError``; calls that create something are idempotent on our row's id."""

    kind: PaymentProvider  # recorded on each order
    # True for the embedded provider, which hands out credits for free: every page shows a
    # "Test mode" banner and the local checkout page answers.
    test_mode: bool

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """A hosted checkout for one order; the buyer is sent to ``url``."""
        ...

    def create_transfer(self, request: TransferRequest) -> str:
        """Pay an artist's connected account (or get the transfer made under this key); its id."""
        ...

    def find_transfer(self, payout_id: int) -> str | None:
        """The transfer made for this payout, if any (after an answer was lost)."""
        ...

    def create_connected_account(self, artist_id: int, email: str | None) -> str:
        """The artist's connected account (Connect onboarding, step one); its id."""
        ...

    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        """Where the artist fills in the connected account's details."""
        ...

    def account_ready(self, account_id: str) -> bool:
        """True when the connected account can receive transfers."""
        ...

    def create_refund(self, request: RefundRequest) -> str:
        """Refund (part of) an order's payment (or get the refund made under this key); its id.
        The money and the wallet follow from the ``charge.refunded`` event, as for any refund."""
        ...


def gateway_for(config: Mapping[str, Any]) -> PaymentGateway:
    """The provider the configuration names: Stripe with a secret key, else the test provider."""
    return StripeGateway(config) if config["STRIPE_SECRET_KEY"] else TestGateway()


def init_app(app: Flask) -> None:
    """Choose the provider once, at start."""
    app.extensions["encore.payments"] = gateway_for(app.config)


def gateway() -> PaymentGateway:
    """The current app's payment provider, chosen at start."""
    return current_app.extensions["encore.payments"]


def _error(exc: stripe.StripeError) -> GatewayError:
    status = getattr(exc, "http_status", None)
    # 4xx other than 409 (idempotency / lock conflicts) and 429 (rate limit) are answers:
    # the request was refused and nothing was created. Anything else may have happened.
    permanent = isinstance(exc, (stripe.CardError, stripe.InvalidRequestError, stripe.PermissionError)) and (
        status is None or (400 <= status < 500 and status not in (409, 429))
    )
    message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
    return GatewayError(message, permanent=permanent, code=getattr(exc, "code", None), status=status)


class StripeGateway:
    """Stripe through the official library: one ``StripeClient`` per app, made at start (its
    HTTP sessions are per thread, so gunicorn's threads share it safely)."""

    kind = PaymentProvider.STRIPE
    test_mode = False

    def __init__(self, config: Mapping[str, Any]):
        base = config["STRIPE_API_BASE"]
        self.client = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"],
            base_addresses={"api": base, "connect": base} if base else None,
            max_network_retries=config["STRIPE_MAX_NETWORK_RETRIES"],
        )

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": request.amount_cents,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "client_reference_id": str(request.order_id),
            "customer_email": request.email,
            "metadata": request.metadata,
            "payment_intent_data": {"metadata": request.metadata},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"order-{request.order_id}-checkout"}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from None
        return CheckoutSession(id=session.id, url=session.url)

    def create_transfer(self, request: TransferRequest) -> str:
        """Create the transfer (or get the one already created under this key); its id."""
        params = {
            "amount": request.amount_cents,
            "currency": request.currency.lower(),
            "destination": request.destination,
            # Unique per payout, so a lost answer can be looked up (find_transfer).
            "transfer_group": f"payout-{request.payout_id}",
            "metadata": {
                "payout_id": str(request.payout_id),
                "artist_id": str(request.artist_id),
                "period": request.period,
            },
        }
        try:
            transfer = self.client.v1.transfers.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from None
        return transfer.id

    def find_transfer(self, payout_id: int) -> str | None:
        """The transfer made for this payout, if Stripe has one (after answers were lost)."""
        try:
            found = self.client.v1.transfers.list(params={"transfer_group": f"payout-{payout_id}", "limit": 1})
        except stripe.StripeError as exc:
            raise _error(exc) from None
        return found.data[0].id if found.data else None

    def create_connected_account(self, artist_id: int, email: str | None) -> str:
        params = {
            "type": "express",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"artist_id": str(artist_id)},
        }
        if email:
            params["email"] = email
        try:
            account = self.client.v1.accounts.create(
                params=params, options={"idempotency_key": f"artist-{artist_id}-account"}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from None
        return account.id

    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        try:
            link = self.client.v1.account_links.create(
                params={
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        except stripe.StripeError as exc:
            raise _error(exc) from None
        return link.url

    def account_ready(self, account_id: str) -> bool:
        """True when the connected account can receive transfers."""
        try:
            account = self.client.v1.accounts.retrieve(account_id)
        except stripe.StripeError as exc:
            raise _error(exc) from None
        return account_can_receive(account.to_dict())

    def create_refund(self, request: RefundRequest) -> str:
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": request.payment_intent,
                    "amount": request.amount_cents,
                    "metadata": {"order_id": str(request.order_id)},
                },
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _error(exc) from None
        return refund.id


def account_can_receive(account: dict) -> bool:
    """A connected account (Stripe's JSON) whose transfers capability is active."""
    capabilities = account.get("capabilities") or {}
    return capabilities.get("transfers") == "active" or bool(account.get("payouts_enabled"))


class TestGateway:
    """The embedded provider: no network. Checkouts are paid or failed on a local page;
    connected accounts are ready at once; transfers succeed."""

    kind = PaymentProvider.TEST
    test_mode = True

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        session_id = f"cs_local_{secrets.token_urlsafe(18)}"
        return CheckoutSession(id=session_id, url=request.local_checkout_url(session_id))

    def create_transfer(self, request: TransferRequest) -> str:
        return f"tr_local_{request.payout_id}"

    def find_transfer(self, payout_id: int) -> str | None:
        return None

    def create_connected_account(self, artist_id: int, email: str | None) -> str:
        return f"acct_local_{artist_id}"

    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        return return_url

    def account_ready(self, account_id: str) -> bool:
        return True

    def create_refund(self, request: RefundRequest) -> str:
        return f"re_local_{request.idempotency_key}"
