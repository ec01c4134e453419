"""HTML pages and the browser player: the shared ``web`` blueprint and template filters.

Each domain adds its pages in ``app/<domain>/views.py`` (imported by
``app.core.domains.load_routes``), so endpoint names stay ``web.<view>``.
"""

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

    @app.template_filter("links")
    def links(text: str) -> list[str]:
        """The http(s) links in a plain-text mail (the development mail page makes them clickable)."""
        import re

        return re.findall(r"https?://\S+", text or "")
