"""``POST /webhooks/stripe``: Stripe's events, verified on the raw body, processed once.

CSRF-exempt (Stripe signs instead); answers JSON. 400 and nothing changes for a bad or stale
signature; 200 for every verified event, processed, replayed or ignored; 500 when processing
failed (rolled back whole; Stripe retries later).
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from app.core.errors import Unavailable
from app.core.extensions import csrf, db
from app.core.transactions import commit_now
from app.payments.services import payment_events

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)


@bp.post("/stripe")
def stripe_webhook():
    """Receive a Stripe event."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not secret:
        raise Unavailable("Stripe webhooks are not configured (ENCORE_STRIPE_WEBHOOK_SECRET).", code="not_configured")
    event = payment_events.verify_stripe_event(
        request.get_data(cache=False),  # the raw bytes Stripe signed, before any parsing
        request.headers.get("Stripe-Signature"),
        secret,
        current_app.config["STRIPE_WEBHOOK_TOLERANCE_SECONDS"],
    )
    try:
        outcome = payment_events.handle_event(event)
        # Here, not at the end of the request: two deliveries of one event at once collide on
        # its id at this commit, and the loser answers "duplicate" below.
        commit_now("a duplicate delivery surfaces here as an IntegrityError")
    except IntegrityError:
        # The same event delivered twice at once: the other delivery claimed its id first.
        db.session.rollback()
        if db.session.get(payment_events.PaymentEvent, event["id"]) is None:
            raise
        outcome = "duplicate"
    except Exception:
        db.session.rollback()
        raise
    return jsonify(received=True, id=event["id"], type=event["type"], outcome=outcome)
