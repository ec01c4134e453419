"""HTML pages and the browser player."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("web", __name__)


def register_template_helpers(app: Flask) -> None:
    @app.template_filter("duration")
    def duration(ms: int | None) -> str:
        if not ms:
            return "–:––"
        seconds = round(ms / 1000)
        return f"{seconds // 60}:{seconds % 60:02d}"


from app.web import accounts, catalog, governance  # noqa: E402,F401  (routes register on bp)
