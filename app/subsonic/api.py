"""``/rest/<method>`` (and ``/rest/<method>.view``): the Subsonic API, outside the JSON API.

Its own blueprint, its own envelope (``protocol``) and error codes, GET and POST (the
OpenSubsonic ``formPost`` extension: the same parameters in an urlencoded body). CSRF does not
apply: no cookie authenticates here, every call carries its credentials (``auth``). It is not
in the JSON API's OpenAPI document (that covers ``/api/v1/`` only); docs/SUBSONIC.md
describes it. Failed authentications count against the client's address
(``SUBSONIC_AUTH_FAILURE_LIMIT``); past it every call is refused with error 40 for a while.

A refused call answers HTTP 200 with ``status="failed"`` (Subsonic clients read the body,
not the status) and rolls back whatever the call had written.
"""

from __future__ import annotations

import logging

from flask import Blueprint, g, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from app.core.errors import ServiceError
from app.core.extensions import csrf, db
from app.core.ratelimit import address_key, configured, limiter
from app.subsonic import browsing, collection, compat, media  # noqa: F401 (they register their methods)
from app.subsonic.auth import authenticate
from app.subsonic.protocol import (
    CLIENT_TOO_OLD,
    GENERIC,
    METHODS,
    NOT_FOUND,
    SERVER_TOO_OLD,
    WRONG_CREDENTIALS,
    SubsonicError,
    current_call,
    failed,
    ok,
)

log = logging.getLogger(__name__)

bp = Blueprint("subsonic", __name__, url_prefix="/rest")
csrf.exempt(bp)  # credentials travel with each call; no cookie session to forge requests with

# Methods anyone may call without credentials (OpenSubsonic: the extensions list is public).
PUBLIC_METHODS = {"getopensubsonicextensions"}


def _format() -> tuple[str, str | None]:
    values = request.values
    fmt = (values.get("f") or "xml").lower()
    return (fmt if fmt in ("xml", "json", "jsonp") else "xml"), values.get("callback")


def _check_version(value: str | None) -> None:
    """``v`` is the client's protocol version: only a newer major version is refused."""
    if not value:
        return
    try:
        major = int(value.split(".")[0])
    except ValueError:
        return
    if major > 1:
        raise SubsonicError(SERVER_TOO_OLD, "Incompatible Subsonic REST protocol version. Server must upgrade.")
    if major < 1:
        raise SubsonicError(CLIENT_TOO_OLD, "Incompatible Subsonic REST protocol version. Client must upgrade.")


@bp.route("/<name>", methods=["GET", "POST"])
@limiter.shared_limit(
    configured("SUBSONIC_AUTH_FAILURE_LIMIT"),
    "subsonic-auth-failures",
    key_func=address_key,
    deduct_when=lambda response: bool(g.get("subsonic_auth_failed")),
)
def rest(name: str):
    """One Subsonic method."""
    call = current_call()
    call.name = (name[:-5] if name.endswith(".view") else name).lower()
    method = METHODS.get(call.name)
    if method is None:
        raise SubsonicError(NOT_FOUND, f"Unknown or unsupported method {name!r}.")
    _check_version(call.get("v"))
    if call.name not in PUBLIC_METHODS:
        call.user = authenticate(call)
    result = method(call)
    if isinstance(result, dict):
        fmt, callback = _format()
        return ok(result, fmt, callback)
    return result


def _answer(error: SubsonicError, status: int = 200):
    # The answer is a 200, which the request's commit hook would commit: end the transaction
    # here instead. close() rolls back like rollback() but leaves loaded objects unexpired, as
    # the hook's own rollback does (app.core.transactions).
    db.session.close()
    fmt, callback = _format()
    response = failed(error, fmt, callback)
    response.status_code = status
    return response


@bp.errorhandler(SubsonicError)
def subsonic_error(exc: SubsonicError):
    return _answer(exc)


@bp.errorhandler(RateLimitExceeded)
def too_many_failures(exc: RateLimitExceeded):
    return _answer(
        SubsonicError(WRONG_CREDENTIALS, "Too many failed logins from this address; wait a while and try again.")
    )


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError):
    code = NOT_FOUND if exc.status == 404 else GENERIC
    return _answer(SubsonicError(code, exc.message))


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    code = NOT_FOUND if exc.code == 404 else GENERIC
    return _answer(SubsonicError(code, exc.description or exc.name), exc.code or 500)


@bp.errorhandler(Exception)
def unexpected(exc: Exception):
    log.exception("Subsonic call %s failed", request.path)
    return _answer(SubsonicError(GENERIC, "The server failed to answer this call."), 500)


@bp.after_request
def allow_browser_clients(response):
    # Web players (Feishin, Airsonic Refix...) call from their own origin. No cookie is a
    # credential here, so any origin may read the answers, and none can act with a session.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
