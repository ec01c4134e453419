"""Analytics over JSON: an artist's dashboard (managers and admins) and the co-op's public
books (anyone). The CSV exports hold the same figures as the JSON, flattened."""

from __future__ import annotations

from flask import Response, jsonify

from app.analytics.representations import books_json, dashboard_csv_rows, dashboard_json
from app.analytics.services import dashboard, transparency
from app.catalog import services as catalog
from app.core.api import bp
from app.core.auth import api_login_required, require_manager
from app.core.inputs import Query, documented, query_str

_DASHBOARD_QUERY = (
    Query("from", str, "first day (YYYY-MM-DD)", format="date"),
    Query("to", str, "last day (YYYY-MM-DD)", format="date"),
    Query("track", str, "one track's id, for its figures only"),
)


def _dashboard_view(artist_id: int) -> dict:
    artist = catalog.get_artist(artist_id)
    require_manager(artist)
    track = dashboard.track_of(artist, query_str("track"))
    date_range = dashboard.parse_range(query_str("from"), query_str("to"))
    return dashboard_json(dashboard.artist_dashboard(artist, date_range, track))


@bp.get("/artists/<int:artist_id>/analytics")
@documented(query=_DASHBOARD_QUERY)
@api_login_required
def artist_analytics(artist_id: int):
    """An artist's dashboard (its managers and admins): ?from=YYYY-MM-DD&to=YYYY-MM-DD&track=<id>."""
    return jsonify(dashboard=_dashboard_view(artist_id))


@bp.get("/artists/<int:artist_id>/analytics.csv")
@documented(query=_DASHBOARD_QUERY)
@api_login_required
def artist_analytics_csv(artist_id: int):
    """The same dashboard as CSV (section, key, metric, value)."""
    view = _dashboard_view(artist_id)
    name = f"encore-{artist_id}" + (f"-track-{view['track']['id']}" if view["track"] else "")
    filename = f"{name}-{view['range']['from']}-{view['range']['to']}.csv"
    return Response(
        transparency.to_csv(dashboard_csv_rows(view)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/transparency")
def transparency_months():
    """The months of the co-op's public books, newest first."""
    return jsonify(
        months=[
            {"period": p.label, "url": f"{bp.url_prefix}/transparency/{p.label}"}
            for p in transparency.months_available()
        ]
    )


@bp.get("/transparency/<period>")
def transparency_month(period: str):
    """The co-op's public books for one month (YYYY-MM): no login, no listener named."""
    books = transparency.month_books(transparency.parse_period(period))
    return jsonify(books=books_json(books))
