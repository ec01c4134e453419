"""The payment provider is chosen once, at start, and both providers offer the same interface."""

import inspect

from flask import Flask

from app import create_app
from app.payments.models import PaymentProvider
from app.payments.services.payment_gateway import PaymentGateway, StripeGateway, TestGateway, gateway


def _app(tmp_path, **overrides) -> Flask:
    return create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "SECRET_KEY": "x", **overrides})


def test_the_provider_is_chosen_once_at_start(tmp_path):
    stripe_app = _app(tmp_path, STRIPE_SECRET_KEY="sk_test_x", STRIPE_API_BASE="http://127.0.0.1:9")
    test_app = _app(tmp_path)
    with stripe_app.app_context():
        chosen = gateway()
        assert isinstance(chosen, StripeGateway) and chosen.kind is PaymentProvider.STRIPE
        stripe_app.config["STRIPE_SECRET_KEY"] = None  # read at start, not per call
        assert gateway() is chosen
    with test_app.app_context():
        assert isinstance(gateway(), TestGateway) and gateway().test_mode
        assert gateway().kind is PaymentProvider.TEST


def test_both_providers_implement_the_whole_interface():
    wanted = {
        name: inspect.signature(f)
        for name, f in vars(PaymentGateway).items()
        if inspect.isfunction(f) and not name.startswith("_")
    }
    assert {"create_checkout", "create_transfer", "create_connected_account", "account_ready"} <= set(wanted)
    for provider in (StripeGateway, TestGateway):
        for name, signature in wanted.items():
            assert inspect.signature(getattr(provider, name)).parameters.keys() == signature.parameters.keys(), (
                provider,
                name,
            )
        assert isinstance(provider.kind, PaymentProvider) and isinstance(provider.test_mode, bool)
