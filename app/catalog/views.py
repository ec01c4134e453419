"""Browsing the catalog: home, artists, releases, search."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.catalog import search as catalog_search
from app.catalog import services as catalog
from app.catalog import tags as catalog_tags
from app.catalog.models import Track
from app.core.auth import require_manager
from app.core.error_pages import refused_redirect
from app.core.errors import NotFound, ServiceError
from app.core.extensions import db
from app.core.queue import enqueue
from app.core.transactions import commit_now
from app.core.web import bp
from app.uploads.services import processing
from ledger.pricing import pricing_in_force, terms


@bp.app_template_global()
def play_terms():
    """The stream-to-own terms under the prices in force (``ledger.pricing.terms``)."""
    return terms(pricing_in_force(db.session))


@bp.get("/")
def index():
    return render_template("catalog/index.html", releases=catalog.latest_releases())


@bp.get("/artists")
def artists():
    return render_template("catalog/artists.html", artists=catalog.list_artists(limit=200))


@bp.get("/artists/<int:artist_id>")
def artist(artist_id: int):
    artist = catalog.get_artist(artist_id)
    return render_template(
        "catalog/artist.html", artist=artist, releases=catalog.visible_releases(artist, current_user)
    )


@bp.get("/releases/<int:release_id>")
def release(release_id: int):
    release = catalog.get_release(release_id, current_user)
    manages = current_user.is_authenticated and current_user.can_manage(release.artist)
    return render_template(
        "catalog/release.html",
        release=release,
        tracks=catalog.public_tracks(release),
        manages=manages,
        upload_limit_mb=current_app.config["MAX_UPLOAD_MB"],
    )


@bp.post("/releases/<int:release_id>/tracks/<int:track_id>/reprocess")
@login_required
def reprocess(release_id: int, track_id: int):
    track = db.session.get(Track, track_id)
    if track is None or track.release_id != release_id:
        raise NotFound("There is no such track on this release.")
    require_manager(track.artist)
    try:
        processing.request_reprocess(track)
    except ServiceError as exc:
        return refused_redirect(exc, url_for("web.release", release_id=release_id))
    commit_now("the processing task reads the track's new status")
    enqueue("process_track", track_id)
    flash(gettext("The track is queued for processing again."), "info")
    return redirect(url_for("web.release", release_id=release_id))


@bp.get("/search")
def search():
    return render_template(
        "catalog/search.html", results=catalog_search.search(request.args.get("q", ""), current_user)
    )


@bp.get("/tags")
def tags():
    return render_template("catalog/tags.html", tags=catalog_tags.popular_tags(current_user, limit=200))


@bp.get("/tags/<tag>")
def tag(tag: str):
    normal = catalog_tags.normalise_tag(tag)
    if normal != tag:
        return redirect(url_for("web.tag", tag=normal), 301)
    releases = catalog_tags.releases_tagged(normal, current_user)
    if not releases:
        raise NotFound(f"No release is tagged {normal}.")
    return render_template("catalog/tag.html", tag=normal, releases=releases)
