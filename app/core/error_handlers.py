"""One mapping from errors to responses: ``{"error": {"code": ..., "message": ...}}`` under
/api/ and /webhooks/, the error page elsewhere, with the same status for the same error.

``ServiceError`` (``app.core.errors``) carries its status and code; the ledger's refusals and
Flask-WTF's CSRF failure are turned into ServiceErrors first, so they answer alike on both."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import force_locale, gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound

from app.core.error_pages import http_error_page, service_error_page
from app.core.errors import CsrfFailed, ServiceError, service_error_for
from app.core.i18n import browser_language
from app.core.outages import Outage, classify
from ledger import LedgerError

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Marks a message for the catalogs; it is translated where it is shown (pages only: the
    JSON API answers in English)."""
    return message


# Messages a person understands, for the statuses Werkzeug raises on its own.
_HTTP_MESSAGES = {
    400: N_("The request could not be understood."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not accept that method."),
    413: N_("The request body is too large."),
    429: N_("Too many requests; slow down and try again shortly."),
}
_INTERNAL_ERROR = N_("Something went wrong on our side; it has been logged.")


def error_response(status: int, code: str, message: str, **details):
    error = {"code": code, "message": message}
    error.update({k: v for k, v in details.items() if v is not None})
    response = jsonify(error=error)
    response.status_code = status
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/")


def outage_response(outage: Outage):
    """The answer to an outage: 503 (or 507) with ``Retry-After``, JSON under /api/, else a
    page that needs neither the database nor the session."""
    from app.core import metrics

    metrics.record_outage(outage.dependency)
    retry_after = current_app.config["RETRY_AFTER_SECONDS"]
    if _wants_json():
        response = error_response(outage.status, outage.code, outage.message)
    else:
        # In the browser's language: the account's and the session's need the database.
        with force_locale(browser_language()):
            page = render_template("outage.html", status=outage.status, message=outage.message, retry_after=retry_after)
        response = current_app.make_response((page, outage.status))
    response.headers["Retry-After"] = str(retry_after)
    return response


def _matches_with_another_method(exc: HTTPException) -> bool:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    return any(adapter.test(request.path, method) for method in getattr(exc, "valid_methods", None) or ())


def register_error_handlers(app: Flask) -> None:
    """JSON errors under /api/ (and /webhooks/); the HTML pages keep their own error pages."""

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if exc.status == 503:  # a service reporting an outage (the file store, ...)
            outage = classify(exc)
            if outage is not None and outage.status == 507:
                return outage_response(outage)
            log.warning("unavailable on %s %s: %s", request.method, request.path, exc.__cause__ or exc)
            from app.core import metrics

            metrics.record_outage(outage.dependency if outage else "service")
            response = (
                error_response(exc.status, exc.code, exc.message, field=exc.field, **exc.details)
                if _wants_json()
                else current_app.make_response(service_error_page(exc))
            )
            response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
            return response
        if _wants_json():
            response = error_response(exc.status, exc.code, exc.message, field=exc.field, **exc.details)
        else:
            response = current_app.make_response(service_error_page(exc))
        if exc.status == 429 or "retry_after_seconds" in exc.details:  # a refusal for a while: say how long
            response.headers["Retry-After"] = str(exc.details.get("retry_after_seconds", 60))
        return response

    @app.errorhandler(LedgerError)
    def ledger_error(exc: LedgerError):
        # Services translate ledger refusals themselves; this catches any that slip through.
        return service_error(service_error_for(exc))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        # A form (or a fetch) without the page's token: the same 403 csrf_failed as the API's own check.
        if _wants_json():
            return service_error(CsrfFailed("The CSRF token is missing or wrong; reload the page."))
        return service_error(
            CsrfFailed(gettext("The form expired or was sent from elsewhere. Reload the page and try again."))
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 405 and not _matches_with_another_method(exc):
            # Werkzeug answers 405 for a path that no method matches either (an id beyond
            # what ``<int:...>`` accepts): there is nothing at this address.
            status, exc = 404, NotFound()
        message = _HTTP_MESSAGES.get(status) or exc.description or exc.name
        if _wants_json():
            response = error_response(status, exc.name.lower().replace(" ", "_"), message)
            for name, value in exc.get_headers():  # e.g. 416's Content-Range: bytes */<size>
                if name.lower() not in ("content-type", "content-length"):
                    response.headers[name] = value
            if status == 405 and exc.valid_methods:
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response
        return http_error_page(status, gettext(message) if status in _HTTP_MESSAGES else message)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        outage = classify(exc)
        if outage is not None:
            # Logged without the traceback: the dependency is down, the code is not wrong.
            log.warning(
                "%s outage on %s %s: %s: %s",
                outage.dependency,
                request.method,
                request.path,
                type(exc).__name__,
                str(exc).splitlines()[0] if str(exc) else "",
            )
            return outage_response(outage)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500, "internal_error", _INTERNAL_ERROR)
        return http_error_page(500, gettext(_INTERNAL_ERROR))
