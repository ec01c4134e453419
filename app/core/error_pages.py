"""HTML error pages."""

from __future__ import annotations

from flask import render_template

from app.core.errors import ServiceError


def http_error_page(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


def service_error_page(exc: ServiceError):
    return http_error_page(exc.status, exc.message)
