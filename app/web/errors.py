"""HTML error pages."""

from __future__ import annotations

from flask import render_template

from app.services.errors import ServiceError


def http_error_page(status: int, message: str, *, link: str | None = None, link_text: str | None = None):
    return render_template("error.html", status=status, message=message, link=link, link_text=link_text), status


def service_error_page(exc: ServiceError):
    """The refusal's message, and the way out when the error names one (``link``)."""
    return http_error_page(exc.status, exc.message, link=exc.details.get("link"), link_text=exc.details.get("link_text"))
