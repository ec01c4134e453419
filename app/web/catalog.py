"""Browsing the catalog: home, artists, releases, search."""

from __future__ import annotations

from flask import render_template, request

from app.services import catalog
from app.web import bp


@bp.get("/")
def index():
    return render_template("web/index.html", releases=catalog.latest_releases())


@bp.get("/artists")
def artists():
    return render_template("web/artists.html", artists=catalog.list_artists(limit=200))


@bp.get("/artists/<int:artist_id>")
def artist(artist_id: int):
    artist = catalog.get_artist(artist_id)
    return render_template("web/artist.html", artist=artist, releases=catalog.visible_releases(artist))


@bp.get("/releases/<int:release_id>")
def release(release_id: int):
    release = catalog.get_release(release_id)
    return render_template("web/release.html", release=release, tracks=catalog.public_tracks(release))


@bp.get("/search")
def search():
    return render_template("web/search.html", results=catalog.search(request.args.get("q", "")))
