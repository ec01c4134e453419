"""Listening pages: the collection (owned tracks, with downloads) and the listening history;
and each track's standing (plays toward owning it) wherever tracks are listed."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user, login_required

from app.core.converters import MAX_ID
from app.core.types import utcnow
from app.core.web import bp
from app.payments.services import wallet
from app.streaming import services as streaming

PAGE = 50


@bp.app_template_global()
def track_standings(tracks) -> dict:
    """``{track id: TrackStanding}`` for the logged-in listener (empty for visitors)."""
    return streaming.standings(current_user, tracks)


@bp.get("/collection")
@login_required
def collection():
    owned = wallet.owned(current_user)
    return render_template(
        "streaming/collection.html",
        owned=owned,
        tracks=[track for _, track in owned if track is not None],
        balance=wallet.balance(current_user),
    )


@bp.get("/history")
@login_required
def history():
    # The database cannot skip more than MAX_ID rows: a larger page is simply empty.
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_ID // PAGE)
    items = streaming.listening_history(current_user, limit=PAGE + 1, offset=(page - 1) * PAGE)
    return render_template(
        "streaming/history.html",
        items=items[:PAGE],
        page=page,
        more=len(items) > PAGE,
        now=utcnow(),
        count_point=streaming.count_point_text(),
    )
