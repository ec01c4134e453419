"""Security headers on every response: one strict Content-Security-Policy, no framing, nosniff.

Invariants:
- Every response (pages, JSON, files, errors, redirects) leaves through ``add_security_headers``.
- The policy allows no inline script, no inline style and no ``eval``: page behaviour lives in
  ``app/static/*.js``; a template never holds ``<script>`` text, ``on...=`` handlers or
  ``style=`` attributes (tests/app/test_security_headers.py checks every template).
- No page can be framed (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), except the
  views marked ``@framable`` (the embeddable players): any site may frame those
  (``frame-ancestors *``, no ``X-Frame-Options``). Only a successful answer of such a view is
  framable; its errors and every other response keep the strict policy.
- HSTS is sent only when the site is served over HTTPS: the request arrived securely, or the
  configuration says so (``SESSION_COOKIE_SECURE``, required in production).
"""

from __future__ import annotations

import logging
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, current_app, make_response, request

log = logging.getLogger(__name__)

# Features the site never uses are switched off for it and anything it embeds; the player
# may autoplay the next track of a queue.
PERMISSIONS_POLICY = ", ".join(
    [
        f"{feature}=()"
        for feature in (
            "accelerometer",
            "camera",
            "display-capture",
            "geolocation",
            "gyroscope",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "usb",
        )
    ]
    + ["autoplay=(self)"]
)


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


# The attribute ``@framable`` sets on a response; ``add_security_headers`` reads it.
_FRAMABLE = "encore_framable"


def framable(view):
    """Let any site frame this view's answers (an embeddable player). Nothing else changes:
    the rest of the policy (no inline script, no plugins...) still applies inside the frame."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        setattr(response, _FRAMABLE, True)
        return response

    return wrapper


def _policy(framed: bool = False) -> str:
    """The app's policy, built on first use (it depends only on configuration)."""
    app = current_app._get_current_object()
    name = "encore.csp.framable" if framed else "encore.csp"
    policy = app.extensions.get(name)
    if policy is None:
        policy = app.extensions[name] = content_security_policy(app, frame_ancestors="*" if framed else "'none'")
    return policy


def media_origins(app: Flask) -> list[str]:
    """Origins audio, covers and peaks may come from besides this site: the object store's,
    when it hands out presigned URLs (S3), plus ``CSP_MEDIA_ORIGINS`` (a CDN, say)."""
    origins = [o.rstrip("/") for o in app.config["CSP_MEDIA_ORIGINS"]]
    store = app.extensions.get("encore.store")
    try:
        # Signing is local (no request is sent): the URL shows the exact host the browser is
        # redirected to, whatever the endpoint and addressing style.
        url = store.presigned_get("csp-origin-probe", expires=60) if store is not None else None
    except Exception:  # no credentials yet, say: fall back to the configured endpoint
        log.warning("could not sign a probe URL; the CSP names only S3_ENDPOINT_URL", exc_info=True)
        url = app.config["S3_ENDPOINT_URL"]
    if url:
        parts = urlsplit(url)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def content_security_policy(app: Flask, frame_ancestors: str = "'none'") -> str:
    media = " ".join(media_origins(app))
    form_targets = " ".join(app.config["CSP_FORM_ACTION_ORIGINS"])
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": f"'self' data: {media}",  # data: only for the empty favicon
        # blob: the MediaSource object URL a metered stream plays through (metered_audio.js)
        "media-src": f"'self' blob: {media}",
        "connect-src": f"'self' {media}",
        "font-src": "'self'",
        "object-src": "'none'",
        "frame-src": "'none'",
        "worker-src": "'none'",
        "manifest-src": "'self'",
        "base-uri": "'none'",
        # Chromium applies form-action to the redirect after a POST too: checkout and payout
        # onboarding forms redirect to Stripe's hosted pages.
        "form-action": f"'self' {form_targets}",
        "frame-ancestors": frame_ancestors,
    }
    return "; ".join(f"{name} {value.strip()}" for name, value in directives.items())


def add_security_headers(response):
    headers = response.headers
    framed = getattr(response, _FRAMABLE, False)
    headers["Content-Security-Policy"] = _policy(framed)
    if framed:
        headers.pop("X-Frame-Options", None)
    else:
        headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    max_age = current_app.config["HSTS_SECONDS"]
    if max_age > 0 and (request.is_secure or current_app.config["SESSION_COOKIE_SECURE"]):
        headers["Strict-Transport-Security"] = f"max-age={max_age}; includeSubDomains"
    return response
