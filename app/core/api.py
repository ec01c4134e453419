"""JSON API v1 under ``/api/v1``: one error shape, an OpenAPI document, Bearer or cookie auth.

The ``api`` blueprint is shared: each domain adds its routes in ``app/<domain>/api.py``
(imported by ``app.core.domains.load_routes``), so endpoint names stay ``api.<view>``.
"""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from app.core.auth import authenticated_by_token, session_names_a_user
from app.core.errors import CsrfFailed
from app.core.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked below, only where a browser session cookie is the credential

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@bp.before_request
def check_csrf_for_cookie_sessions():
    """Bearer-token clients are not exposed to CSRF; browsers using the session cookie are.

    Only a session that names a user can be that credential, so without one no user is loaded
    here: a Bearer call's user is then loaded by the view when it needs it, or found by the
    view's own statement (``app.accounts.callers``)."""
    if request.method in _SAFE_METHODS or not session_names_a_user():
        return
    if not current_user.is_authenticated or authenticated_by_token():
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError:
        raise CsrfFailed("Send the page's CSRF token in the X-CSRFToken header.") from None


__all__ = ["bp"]
