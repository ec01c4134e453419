"""Errors raised by services. The API and the HTML pages turn them into responses."""

from __future__ import annotations


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


class PaymentRequired(ServiceError):
    status = 402
    code = "insufficient_credits"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "too_large"


class UnsupportedMedia(ServiceError):
    """A file whose type we do not accept (decided by its content)."""

    status = 415
    code = "unsupported_media"


class Unavailable(ServiceError):
    """A service we depend on (the object store) is unreachable; try again later."""

    status = 503
    code = "unavailable"
