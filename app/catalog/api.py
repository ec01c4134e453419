"""The catalog over JSON: artists, releases, tracks, search."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_login import current_user

from app.catalog import search as catalog_search
from app.catalog import services as catalog
from app.catalog import tags as catalog_tags
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
        Query("q", str, "words to find in names of artists, releases, tracks and genre tags; typos are forgiven"),
        Query("limit", int, "how many of each kind (at most 100)", minimum=1, maximum=100),
    )
)
def search():
    """Ranked, typo-tolerant search (``q``): the best matches of each kind, best first. Each
    hit has a ``score`` and a ``highlight``: its name in runs, ``match`` true on the words
    that matched."""
    results = catalog_search.search(
        query_str("q", "") or "", current_user, limit=query_int("limit", 20, minimum=1, maximum=100)
    )
    return jsonify(
        query=results.query,
        artists=[artist_json(h.obj) | _hit_json(h, "web.artist", artist_id=h.obj.id) for h in results.artists],
        releases=[
            release_ref(h.obj) | {"tags": h.obj.tags} | _hit_json(h, "web.release", release_id=h.obj.id)
            for h in results.releases
        ],
        tracks=[
            track_json(h.obj) | _hit_json(h, "web.release", release_id=h.obj.release_id, _anchor=f"track-{h.obj.id}")
            for h in results.tracks
        ],
        tags=[
            {"tag": h.obj, "url": url_for("api.get_tag", tag=h.obj)} | _hit_json(h, "web.tag", tag=h.obj)
            for h in results.tags
        ],
    )


def _hit_json(hit, page: str, **page_args) -> dict:
    """A hit's rank, its name in (text, match) runs, and the web page that shows it."""
    return {
        "score": hit.score,
        "highlight": [{"text": text, "match": match} for text, match in hit.highlight],
        "page_url": url_for(page, **page_args),
    }


@bp.patch("/releases/<int:release_id>/tags")
@api_login_required
@accepts(
    Field("tags", list, required=False, items=str, description="replace every tag with these"),
    Field("add", list, required=False, items=str, description="tags to add"),
    Field("remove", list, required=False, items=str, description="tags to remove"),
)
def release_tags(release_id: int, body):
    """Change the genre tags of a release you manage: ``tags`` replaces them all, then ``add``
    and ``remove`` apply. Tags are normalised (lower case, words joined by hyphens); at most 10."""
    release = catalog.get_release(release_id, current_user)
    require_manager(release.artist)
    tags = catalog_tags.change_tags(
        release, tags=body.get("tags"), add=body.get("add", []), remove=body.get("remove", [])
    )
    return jsonify(release_id=release.id, tags=tags)


@bp.get("/tags")
@documented(query=(Query("limit", int, "how many (at most 200)", minimum=1, maximum=200),))
def list_tags():
    """Genre tags by how many visible releases carry them."""
    tags = catalog_tags.popular_tags(current_user, limit=query_int("limit", 50, minimum=1, maximum=200))
    return jsonify(
        tags=[{"tag": t.tag, "releases": t.releases, "url": url_for("api.get_tag", tag=t.tag)} for t in tags]
    )


@bp.get("/tags/<tag>")
@documented(
    query=(
        Query("limit", int, "how many (at most 200)", minimum=1, maximum=200),
        Query("offset", int, "how many to skip", minimum=0),
    )
)
def get_tag(tag: str):
    """The visible releases carrying a genre tag, newest first."""
    normal = catalog_tags.normalise_tag(tag, "tag")
    releases = catalog_tags.releases_tagged(
        normal,
        current_user,
        limit=query_int("limit", 48, minimum=1, maximum=200),
        offset=query_int("offset", 0, minimum=0),
    )
    return jsonify(tag=normal, releases=[release_ref(r) for r in releases])
