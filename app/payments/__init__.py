"""Payments: checkout, orders, Stripe webhooks, the wallet, payouts and payout destinations."""
