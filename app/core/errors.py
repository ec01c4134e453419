"""Every error a service (or the request plumbing) raises on purpose, in one place.

Invariants: each error is a ``ServiceError`` subclass defined here; each meaning has one
``code`` and one HTTP ``status``, the same for the API (``{"error": {"code", "message"}}``)
and the pages (``app.core.error_pages``); a code passed at the raise site (``code=...``)
refines the class's meaning, never changes its status. The ledger's own refusals become
ServiceErrors through ``service_error_for``, here too, so no handler imports a domain.
"""

from __future__ import annotations

import ledger
from ledger.units import format_credits


class ServiceError(Exception):
    """A request the service refuses, with a message a person understands.

    ``code`` is a stable machine-readable name; ``status`` the HTTP status it maps to.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.details = details


class ValidationFailed(ServiceError):
    status = 422
    code = "invalid"


class InvalidText(ValidationFailed):
    """Text no field may hold: a NUL byte or a lone surrogate (app.core.validation)."""

    code = "invalid_text"


class JsonTooDeep(ValidationFailed):
    """A JSON body nested deeper than MAX_JSON_DEPTH."""

    code = "json_too_deep"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class BadCredentials(Unauthorized):
    """A wrong email or password (counted against the account: ``app.accounts.lockout``)."""

    code = "bad_credentials"


class AccountLocked(ServiceError):
    """Logins to this account are refused for a while after repeated wrong passwords; the
    answer carries ``retry_after_seconds`` (and the ``Retry-After`` header)."""

    status = 429
    code = "account_locked"


class TooManyRequests(ServiceError):
    """Over a rate limit counted by hand (``app.core.ratelimit.count_hit``); the answer carries
    ``retry_after_seconds`` (and the ``Retry-After`` header), as the limiter's own 429 does."""

    status = 429
    code = "too_many_requests"


class PaymentRequired(ServiceError):
    status = 402
    code = "insufficient_credits"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(ServiceError):
    """A body or file whose type we do not accept: a request that is not JSON, or an upload
    whose content is not audio (``unsupported_audio``) or an image (``unsupported_image``)."""

    status = 415
    code = "unsupported_media_type"


UnsupportedMedia = UnsupportedMediaType  # its name before the two 415 errors became one


class PlayExpired(ServiceError):
    """The play ended or outlived its track plus the grace period: start a new one."""

    status = 410
    code = "play_expired"


class CsrfFailed(ServiceError):
    """A browser's write without the page's CSRF token (a form field or the X-CSRFToken header)."""

    status = 403
    code = "csrf_failed"


class BadSignature(ServiceError):
    """A webhook whose body or signature does not verify."""

    status = 400
    code = "bad_signature"


class BadEvent(ServiceError):
    """A signed webhook event that is malformed (an id or type beyond their bounds)."""

    status = 400
    code = "bad_event"


class Unavailable(ServiceError):
    """A service we depend on (the object store) is unreachable; try again later."""

    status = 503
    code = "unavailable"


def service_error_for(exc: ledger.LedgerError) -> ServiceError:
    """The web layer's answer to a ledger refusal (one place, used by the services, the API and
    the pages)."""
    if isinstance(exc, ledger.InsufficientCredits):
        return PaymentRequired(
            f"Not enough credits: this costs {format_credits(exc.price)} and your balance is "
            f"{format_credits(exc.balance)}.",
            balance=exc.balance,
            price=exc.price,
        )
    if isinstance(exc, ledger.IdempotencyConflict):
        return Conflict("This idempotency key was already used for a different request.", code="idempotency_conflict")
    if isinstance(exc, ledger.AlreadyOwned):
        return Conflict("You already own this track.", code="already_owned")
    if isinstance(exc, ledger.NotPurchasable):
        return Conflict("This track costs you nothing; there is nothing to buy.", code="not_purchasable")
    if isinstance(exc, ledger.AlreadyReversed):
        return Conflict("This transfer has already been reversed.", code="already_reversed")
    if isinstance(exc, ledger.NegativeBalance):
        return Conflict("That would take an account below zero.", code="negative_balance")
    if isinstance(exc, ledger.UnknownTransfer):
        return NotFound(str(exc))
    if isinstance(exc, ledger.NoPricingVersion):
        return Unavailable("No pricing is in force; the co-op's prices are not set up.", code="no_pricing")
    return ValidationFailed(str(exc))
