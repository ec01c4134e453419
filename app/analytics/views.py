"""Pages: an artist's dashboard (its managers and admins) and the co-op's public books.

Both render the very dicts the JSON API answers (``app.analytics.representations``), so a page and
its JSON cannot disagree. The plays chart is an inline SVG drawn here, on the server: no
script, no external library.
"""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask_login import login_required

from app.analytics.representations import books_json, dashboard_json
from app.analytics.services import dashboard, transparency
from app.catalog import services as catalog
from app.core.auth import require_manager
from app.core.web import bp

CHART_WIDTH, CHART_HEIGHT = 720, 180


def bar_chart(daily: list[dict], metric: str = "plays") -> dict:
    """Bars (x, y, width, height, label) of one metric per day, scaled to the chart, with
    integer arithmetic only (pixels are whole numbers)."""
    top = max([d[metric] for d in daily] + [1])
    step = max(CHART_WIDTH // max(len(daily), 1), 1)
    bars = []
    for i, d in enumerate(daily):
        height = d[metric] * (CHART_HEIGHT - 20) // top
        bars.append(
            {
                "x": i * step,
                "y": CHART_HEIGHT - height,
                "width": max(step - 1, 1),
                "height": height,
                "label": f"{d['date']}: {d[metric]} {metric.replace('_', ' ')}",
            }
        )
    return {
        "width": step * len(daily),
        "height": CHART_HEIGHT,
        "bars": bars,
        "top": top,
        "first": daily[0]["date"] if daily else "",
        "last": daily[-1]["date"] if daily else "",
    }


@bp.get("/artists/<int:artist_id>/dashboard")
@login_required
def artist_dashboard(artist_id: int):
    artist = catalog.get_artist(artist_id)
    require_manager(artist)
    track = dashboard.track_of(artist, request.args.get("track"))
    date_range = dashboard.parse_range(request.args.get("from"), request.args.get("to"))
    view = dashboard_json(dashboard.artist_dashboard(artist, date_range, track))
    query = {"from": view["range"]["from"], "to": view["range"]["to"]}
    if track is not None:
        query["track"] = track.id
    return render_template(
        "analytics/dashboard.html", artist=artist, track=track, view=view, chart=bar_chart(view["daily"]), query=query
    )


@bp.get("/transparency")
def transparency_index():
    """The current month's books, or the month picked in the page's form (``?period=``)."""
    picked = request.args.get("period")
    period = transparency.parse_period(picked) if picked else transparency.current_period()
    return redirect(url_for("web.transparency_page", period=period.label))


@bp.get("/transparency/<period>")
def transparency_page(period: str):
    parsed = transparency.parse_period(period)
    view = books_json(transparency.month_books(parsed))
    first, current = transparency.first_period(), transparency.current_period()
    return render_template(
        "analytics/transparency.html",
        view=view,
        meanings=transparency.MONEY_FIGURES,
        previous=parsed.previous().label if parsed.previous().start >= first.start else None,
        next=parsed.next().label if parsed.next().start <= current.start else None,
        months=[p.label for p in transparency.months_available()],
    )


@bp.get("/transparency/<period>.csv")
def transparency_csv(period: str):
    parsed = transparency.parse_period(period)
    books = transparency.month_books(parsed)
    body = transparency.to_csv(transparency.csv_rows(books, books_json(books)))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="encore-books-{parsed.label}.csv"'},
    )
