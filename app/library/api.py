"""The library over JSON: favourites (star), followed artists, the feed, playlists.

Starring is ``PUT`` (idempotent: 200 with the starred object, however often) and unstarring
``DELETE`` (204, also when nothing was starred). Playlists: ``POST /playlists``, then add
(``POST .../items``), remove (``DELETE .../items/<item id>``) and move entries
(``POST .../items/<item id>/move`` with a 0-based ``position``); only the owner edits.
"""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app.catalog.representations import artist_json, release_ref, track_json
from app.core.api import bp
from app.core.auth import api_login_required
from app.core.inputs import Field, Query, accepts, documented, query_int
from app.library import services as library
from app.library.representations import playlist_json, playlist_ref
from app.streaming import services as streaming


def _playlist_answer(playlist, status: int = 200):
    entries = library.entries(playlist, current_user)
    standings = streaming.standings(current_user, [e.track for e in entries if e.track is not None])
    owner = library.is_owner(playlist, current_user)
    return jsonify(playlist=playlist_json(playlist, entries, standings, owner=owner)), status


# --- favourites and follows -------------------------------------------------------------------


@bp.get("/me/favourites")
@api_login_required
def list_favourites():
    """Your favourite tracks and releases and the artists you follow (most recent first)."""
    return jsonify(
        tracks=[track_json(t) for t in library.favourite_tracks(current_user)],
        releases=[release_ref(r) for r in library.favourite_releases(current_user)],
        artists=[artist_json(a) for a in library.followed_artists(current_user)],
    )


@bp.put("/me/favourites/tracks/<int:track_id>")
@api_login_required
def favourite_track(track_id: int):
    """Favourite a track (idempotent)."""
    track = library.star(current_user, "track", track_id)
    return jsonify(track=track_json(track), favourite=True)


@bp.delete("/me/favourites/tracks/<int:track_id>")
@documented(status=204)
@api_login_required
def unfavourite_track(track_id: int):
    """Remove a track from your favourites (idempotent)."""
    library.unstar(current_user, "track", track_id)
    return "", 204


@bp.put("/me/favourites/releases/<int:release_id>")
@api_login_required
def favourite_release(release_id: int):
    """Favourite a release (idempotent)."""
    release = library.star(current_user, "release", release_id)
    return jsonify(release=release_ref(release), favourite=True)


@bp.delete("/me/favourites/releases/<int:release_id>")
@documented(status=204)
@api_login_required
def unfavourite_release(release_id: int):
    """Remove a release from your favourites (idempotent)."""
    library.unstar(current_user, "release", release_id)
    return "", 204


@bp.put("/me/following/<int:artist_id>")
@api_login_required
def follow_artist(artist_id: int):
    """Follow an artist (idempotent): their releases come into your feed."""
    artist = library.star(current_user, "artist", artist_id)
    return jsonify(artist=artist_json(artist), following=True)


@bp.delete("/me/following/<int:artist_id>")
@documented(status=204)
@api_login_required
def unfollow_artist(artist_id: int):
    """Stop following an artist (idempotent)."""
    library.unstar(current_user, "artist", artist_id)
    return "", 204


@bp.get("/me/feed")
@documented(query=(Query("limit", int, "how many releases (at most 100)", minimum=1, maximum=100),))
@api_login_required
def feed():
    """New from artists you follow: their releases, newest first."""
    releases = library.feed(current_user, limit=query_int("limit", 30, minimum=1, maximum=100))
    return jsonify(releases=[release_ref(r) for r in releases])


@bp.get("/me/library/settings")
@api_login_required
def library_settings():
    """Your library settings."""
    return jsonify(settings={"mail_new_releases": library.mail_new_releases(current_user)})


@bp.put("/me/library/settings")
@api_login_required
@accepts(Field("mail_new_releases", bool, description="mail me when an artist I follow publishes a release"))
def update_library_settings(body):
    """Change your library settings."""
    library.set_mail_new_releases(current_user, body["mail_new_releases"])
    return jsonify(settings={"mail_new_releases": body["mail_new_releases"]})


# --- playlists ----------------------------------------------------------------------------------


@bp.get("/me/playlists")
@api_login_required
def list_playlists():
    """Your playlists, most recently changed first."""
    playlists = library.user_playlists(current_user)
    sizes = library.item_counts(playlists)
    return jsonify(playlists=[playlist_ref(p, owner=True, size=sizes.get(p.id, 0)) for p in playlists])


@bp.post("/playlists")
@documented(status=201)
@api_login_required
@accepts(
    Field("name", str, description="1 to 200 characters"),
    Field("description", str, required=False, description="at most 2000 characters"),
    Field("public", bool, required=False, description="anyone may see it (default: only you)"),
)
def create_playlist(body):
    """Create a playlist (private unless ``public``)."""
    playlist = library.create_playlist(current_user, **body)
    return _playlist_answer(playlist, 201)


@bp.get("/playlists/<int:playlist_id>")
def get_playlist(playlist_id: int):
    """A playlist you own, or a public one, with its tracks and your progress to owning each."""
    return _playlist_answer(library.get_playlist(playlist_id, current_user))


@bp.get("/playlists/shared/<token>")
def get_shared_playlist(token: str):
    """The playlist behind a share link (public playlists; private ones only for their owner)."""
    return _playlist_answer(library.get_shared_playlist(token, current_user))


@bp.patch("/playlists/<int:playlist_id>")
@api_login_required
@accepts(
    Field("name", str, required=False),
    Field("description", str, required=False),
    Field("public", bool, required=False),
)
def update_playlist(playlist_id: int, body):
    """Rename, describe, or make public or private one of your playlists."""
    playlist = library.get_own_playlist(playlist_id, current_user)
    return _playlist_answer(library.update_playlist(playlist, **body))


@bp.delete("/playlists/<int:playlist_id>")
@documented(status=204)
@api_login_required
def delete_playlist(playlist_id: int):
    """Delete one of your playlists."""
    library.delete_playlist(library.get_own_playlist(playlist_id, current_user))
    return "", 204


@bp.post("/playlists/<int:playlist_id>/items")
@documented(status=201)
@api_login_required
@accepts(
    Field("track_id", int),
    Field("position", int, required=False, description="0-based place to insert at (default: the end)"),
)
def add_playlist_item(playlist_id: int, body):
    """Add a track to one of your playlists."""
    playlist = library.get_own_playlist(playlist_id, current_user)
    library.add_track(playlist, current_user, body["track_id"], body.get("position"))
    return _playlist_answer(playlist, 201)


@bp.delete("/playlists/<int:playlist_id>/items/<int:item_id>")
@api_login_required
def remove_playlist_item(playlist_id: int, item_id: int):
    """Remove an entry from one of your playlists; the ones after it move up."""
    playlist = library.get_own_playlist(playlist_id, current_user)
    library.remove_item(playlist, item_id)
    return _playlist_answer(playlist)


@bp.post("/playlists/<int:playlist_id>/items/<int:item_id>/move")
@api_login_required
@accepts(Field("position", int, description="the entry's new 0-based place"))
def move_playlist_item(playlist_id: int, item_id: int, body):
    """Move an entry of one of your playlists to another place."""
    playlist = library.get_own_playlist(playlist_id, current_user)
    library.move_item(playlist, item_id, body["position"])
    return _playlist_answer(playlist)
