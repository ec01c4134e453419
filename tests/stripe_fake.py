"""A tiny Stripe API over HTTP on 127.0.0.1 that records what it is sent, and webhook signing.

The official library talks to it for real (``STRIPE_API_BASE`` points there): form-encoded
bodies, the ``Authorization`` and ``Idempotency-Key`` headers, Stripe's error JSON. It honours
idempotency keys like Stripe (the same key answers the first response again) and can be told
to fail the next calls to a path with a given status and error.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

WEBHOOK_SECRET = "whsec_test_secret"


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header made the way Stripe makes it: ``t=<unix>,v1=<hex HMAC-SHA256
    of "<t>.<payload>" keyed with the endpoint's secret>``."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{next(_ids)}",
        "object": "event",
        "type": event_type,
        "api_version": "2026-10-28",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


_ids = itertools.count(1000)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    form: dict  # flattened: {"metadata[order_id]": "3", ...}


@dataclass
class FakeStripe:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    transfers_status: str = "active"  # the transfers capability of retrieved accounts
    _failures: dict = field(default_factory=dict)
    _idempotent: dict = field(default_factory=dict)
    _transfers: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fail(
        self,
        path: str,
        status: int,
        error_type: str,
        code: str = "",
        message: str = "refused",
        times: int = 1,
        method: str = "POST",
    ):
        """Answer the next ``times`` ``method`` calls to ``path`` with this Stripe error."""
        body = {"error": {"type": error_type, "code": code or None, "message": message}}
        self._failures.setdefault((method, path), []).extend([(status, body)] * times)

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def handle(self, method: str, path: str, query: dict, headers: dict, form: dict) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(Recorded(method, path, query, headers, form))
            key = headers.get("Idempotency-Key")
            if method == "POST" and key and (path, key) in self._idempotent:
                return self._idempotent[(path, key)]
            failures = self._failures.get((method, path))
            if failures:
                return failures.pop(0)  # errors are not remembered under the key (like 5xx at Stripe)
            status, body = self._route(method, path, query, form)
            if method == "POST" and key and status == 200:
                self._idempotent[(path, key)] = (status, body)
            return status, body

    def _route(self, method, path, query, form):
        n = next(self._seq)
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            sid = f"cs_test_{n}"
            return 200, {
                "id": sid,
                "object": "checkout.session",
                "url": f"https://checkout.stripe.test/pay/{sid}",
                "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            }
        if (method, path) == ("POST", "/v1/refunds"):
            return 200, {
                "id": f"re_{n}",
                "object": "refund",
                "amount": int(form["amount"]),
                "payment_intent": form["payment_intent"],
                "status": "succeeded",
            }
        if (method, path) == ("POST", "/v1/transfers"):
            transfer = {
                "id": f"tr_{n}",
                "object": "transfer",
                "amount": int(form["amount"]),
                "currency": form["currency"],
                "destination": form["destination"],
                "transfer_group": form.get("transfer_group"),
                "reversed": False,
            }
            self._transfers.append(transfer)
            return 200, transfer
        if (method, path) == ("GET", "/v1/transfers"):
            data = [t for t in self._transfers if t["transfer_group"] == query.get("transfer_group")]
            return 200, {"object": "list", "url": "/v1/transfers", "has_more": False, "data": data[:1]}
        if (method, path) == ("POST", "/v1/accounts"):
            return 200, {
                "id": f"acct_{n}",
                "object": "account",
                "type": form.get("type"),
                "capabilities": {"transfers": "inactive"},
            }
        if method == "GET" and path.startswith("/v1/accounts/"):
            return 200, {
                "id": path.rsplit("/", 1)[1],
                "object": "account",
                "capabilities": {"transfers": self.transfers_status},
            }
        if (method, path) == ("POST", "/v1/account_links"):
            return 200, {
                "object": "account_link",
                "url": f"https://connect.stripe.test/setup/{form['account']}",
                "expires_at": int(time.time()) + 300,
            }
        return 404, {"error": {"type": "invalid_request_error", "message": f"no route {method} {path}"}}

    @property
    def transfers(self) -> list[dict]:
        return list(self._transfers)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def _serve(self, method: str):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        status, payload = self.fake.handle(
            method,
            parts.path,
            dict(parse_qsl(parts.query)),
            dict(self.headers.items()),
            dict(parse_qsl(body, keep_blank_values=True)),
        )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_fake")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def log_message(self, *args):
        pass


class FakeStripeServer:
    """Serves a ``FakeStripe`` on a free port in a background thread."""

    def __init__(self):
        self.fake = FakeStripe()
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.fake.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeStripe:
        self._thread.start()
        return self.fake

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --- fixtures (import them into a test module to use them) ---------------------------------

import pytest  # noqa: E402


@pytest.fixture
def fake_stripe():
    """A recording fake Stripe API on a free port."""
    with FakeStripeServer() as fake:
        yield fake


@pytest.fixture
def stripe_mode(app, fake_stripe, monkeypatch):
    """The app configured for Stripe (keys set, API base on the fake, no library retries)."""
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_fake")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", fake_stripe.url)
    monkeypatch.setitem(app.config, "STRIPE_MAX_NETWORK_RETRIES", 0)
    use_provider_of_config(app, monkeypatch)
    return fake_stripe


def use_provider_of_config(app, monkeypatch):
    """Choose the payment provider again after a test changed the Stripe keys (the app
    chooses it once, at start); undone with the test's other changes."""
    from app.payments.services.payment_gateway import gateway_for

    monkeypatch.setitem(app.extensions, "encore.payments", gateway_for(app.config))
