"""HTML error pages, and what a page view does when a service refuses a form.

A page view catches ``ServiceError`` around the service call only (an error raised before it,
a 404 for a missing proposal say, is still answered by the error page) and then does one of
two things:

- ``refused_redirect(exc, location)``: the usual answer to a button or a short form: undo
  what the service flushed, flash its message, redirect (the redirect commits nothing);
- ``refuse(exc)`` and render: for a form whose typed values are worth keeping; the view
  re-renders it with what was typed and ``exc.status`` (422 for invalid input), which rolls
  the request back.
"""

from __future__ import annotations

from flask import flash, redirect, render_template
from flask_babel import gettext

from app.core.errors import ServiceError
from app.core.extensions import db


def translated(message: str | None) -> str | None:
    """A refusal's English message in the page's language when a catalog has it (the refusal
    classes' literal messages are extracted, see app.core.catalogs.REFUSALS), else as it is."""
    return gettext(message) if message else message


def http_error_page(status: int, message: str, *, link: str | None = None, link_text: str | None = None):
    return render_template("error.html", status=status, message=message, link=link, link_text=link_text), status


def service_error_page(exc: ServiceError):
    """The refusal's message, and the way out when the error names one (``link``)."""
    return http_error_page(
        exc.status,
        translated(exc.message),
        link=exc.details.get("link"),
        link_text=translated(exc.details.get("link_text")),
    )


def refuse(exc: ServiceError) -> None:
    """Undo what the refused request flushed (before anything is rendered from the session) and
    tell the person why, as a flash message."""
    db.session.rollback()
    flash(translated(exc.message), "error")


def refused_redirect(exc: ServiceError, location: str):
    """``refuse`` and redirect to ``location``."""
    refuse(exc)
    return redirect(location)
