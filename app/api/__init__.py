"""JSON API v1 under ``/api/v1``: one error shape, an OpenAPI document, Bearer or cookie auth."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from app.api.errors import register_error_handlers
from app.auth import authenticated_by_token
from app.extensions import csrf
from app.services.errors import ServiceError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked below, only where a browser session cookie is the credential

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CsrfFailed(ServiceError):
    status = 403
    code = "csrf_failed"


@bp.before_request
def check_csrf_for_cookie_sessions():
    """Bearer-token clients are not exposed to CSRF; browsers using the session cookie are."""
    if request.method in _SAFE_METHODS or not current_user.is_authenticated or authenticated_by_token():
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError:
        raise CsrfFailed("Send the page's CSRF token in the X-CSRFToken header.") from None


from app.api import accounts, analytics, audio, catalog, governance, openapi, streaming, two_factor, wallet  # noqa: E402,F401  (routes register on bp)

__all__ = ["bp", "register_error_handlers"]
