"""The catalog over JSON: artists, releases, tracks, search."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app.catalog import services as catalog
from app.catalog.representations import artist_json, release_json, release_ref, track_json
from app.core.api import bp
from app.core.auth import api_login_required, require_manager
from app.core.inputs import Field, Query, accepts, documented, query_int, query_str
from app.studio.services import releases as studio_releases


@bp.get("/artists")
@documented(
    query=(
        Query("limit", int, "how many (at most 200)", minimum=1, maximum=200),
        Query("offset", int, "how many to skip", minimum=0),
    )
)
def list_artists():
    """Artists, by name (``limit``, ``offset``)."""
    artists = catalog.list_artists(limit=query_int("limit", 50, minimum=1, maximum=200), offset=query_int("offset", 0))
    return jsonify(artists=[artist_json(a) for a in artists])


@bp.get("/artists/<int:artist_id>")
def get_artist(artist_id: int):
    """One artist with their releases."""
    artist = catalog.get_artist(artist_id)
    return jsonify(artist=artist_json(artist, releases=catalog.visible_releases(artist, current_user)))


@bp.post("/artists/<int:artist_id>/releases")
@documented(status=201)
@api_login_required
@accepts(
    Field("title", str),
    Field("kind", str, required=False, description="album, ep or single"),
    Field("release_date", str, required=False, nullable=True, format="date"),
    Field("description", str, required=False, description="at most 5,000 characters"),
    Field("credits", str, required=False, description="at most 5,000 characters"),
    Field("license_note", str, required=False, description="at most 1,000 characters"),
    Field("published", bool, required=False, description="false: a draft, seen only by its managers (default true)"),
)
def create_release(artist_id: int, body):
    """Create a release for an artist you manage (a draft with ``published`` false)."""
    artist = catalog.get_artist(artist_id)
    require_manager(artist)
    release = studio_releases.create_release(artist, {"published": True} | body)
    return jsonify(release=release_ref(release) | {"published": release.published}), 201


@bp.get("/releases/<int:release_id>")
def get_release(release_id: int):
    """One release with its ready tracks."""
    release = catalog.get_release(release_id, current_user)
    return jsonify(release=release_json(release, catalog.public_tracks(release)))


@bp.get("/tracks/<int:track_id>")
def get_track(track_id: int):
    """One ready track."""
    return jsonify(track=track_json(catalog.get_public_track(track_id, current_user)))


@bp.get("/search")
@documented(
    query=(
        Query("q", str, "words to find in titles and artist names"),
        Query("limit", int, "how many (at most 100)", minimum=1, maximum=100),
    )
)
def search():
    """Search artists, releases and tracks by title or artist (``q``)."""
    results = catalog.search(
        query_str("q", "") or "", current_user, limit=query_int("limit", 20, minimum=1, maximum=100)
    )
    return jsonify(
        query=results.query,
        artists=[artist_json(a) for a in results.artists],
        releases=[release_ref(r) for r in results.releases],
        tracks=[track_json(t) for t in results.tracks],
    )
