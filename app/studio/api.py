"""The studio over JSON: edit and delete releases, edit, reorder and remove tracks, the artist
profile and image, and who manages an artist. Only the artist's managers (and admins)."""

from __future__ import annotations

from functools import partial

from flask import jsonify, redirect, send_file, url_for
from flask_login import current_user

from app.accounts.suspension import require_not_suspended
from app.catalog import services as catalog
from app.catalog.models import Artist, Release, Track
from app.catalog.representations import artist_json, release_json, track_json
from app.core.api import bp
from app.core.auth import api_login_required, require_manager
from app.core.errors import NotFound
from app.core.extensions import db
from app.core.inputs import Field, accepts, documented
from app.core.storage import get_store
from app.core.transactions import commit_now
from app.studio.representations import invitation_json, manager_json, release_state_json, studio_json
from app.studio.services import managers, overview, profile, releases, tracks
from app.uploads.images import replace_image

RELEASE_FIELDS = (
    Field("title", str, required=False),
    Field("kind", str, required=False, description="album, ep or single"),
    Field("release_date", str, required=False, nullable=True, format="date"),
    Field("description", str, required=False, description="at most 5,000 characters"),
    Field("credits", str, required=False, description="who played, wrote, produced; at most 5,000 characters"),
    Field("license_note", str, required=False, description="at most 1,000 characters"),
    Field("published", bool, required=False, description="false: a draft, seen only by the artist's managers"),
)


def managed_release(release_id: int) -> Release:
    """A release the caller manages: 404 if they may not see it, 403 if they only may see it."""
    release = catalog.get_release(release_id, current_user)
    require_manager(release.artist)
    return release


def managed_track(track_id: int) -> Track:
    """A track the caller manages (any status, removed too): 404 unless they may see it."""
    track = db.session.get(Track, track_id)
    if track is None:
        raise NotFound(f"There is no track {track_id}.")
    if not current_user.can_manage(track.artist):
        if not catalog.track_visible_to(current_user, track):
            raise NotFound(f"There is no track {track_id}.")
        require_manager(track.artist)
    return track


def managed_artist(artist_id: int) -> Artist:
    artist = catalog.get_artist(artist_id)
    require_manager(artist)
    return artist


def _manager_track_json(track: Track) -> dict:
    return track_json(track) | {"owners": tracks.owner_count(track)}


@bp.get("/studio")
@api_login_required
def studio_artists():
    """The artists you manage, each with its studio's URL."""
    return jsonify(
        artists=[
            artist_json(a) | {"studio_url": url_for("api.artist_studio", artist_id=a.id)}
            for a in overview.managed_artists(current_user)
        ]
    )


@bp.get("/artists/<int:artist_id>/studio")
@api_login_required
def artist_studio(artist_id: int):
    """An artist's studio: releases by state (draft, scheduled, published), uploads in progress, earnings."""
    return jsonify(studio=studio_json(overview.studio(managed_artist(artist_id))))


@bp.patch("/artists/<int:artist_id>")
@api_login_required
@accepts(
    Field("name", str, required=False),
    Field("bio", str, required=False, description="at most 5,000 characters"),
    Field("location", str, required=False, description="at most 200 characters"),
    Field("links", str, required=False, description="web addresses (https://...), one per line, at most 10"),
)
def update_artist(artist_id: int, body):
    """Edit the profile of an artist you manage: name, bio, location, links."""
    artist = profile.update_profile(managed_artist(artist_id), body)
    return jsonify(artist=artist_json(artist))


@bp.put("/artists/<int:artist_id>/image")
@api_login_required
def upload_artist_image(artist_id: int):
    """Set the image of an artist you manage (stored in three square sizes, like cover art)."""
    artist = managed_artist(artist_id)
    require_not_suspended(current_user, "upload")
    replace_image(partial(profile.set_image, artist), lambda: artist.image_key, profile.delete_image)
    return jsonify(artist=artist_json(artist))


upload_artist_image.multipart_fields = (("file", "file", "the image (JPEG, PNG or WebP)"),)


@bp.get("/artists/<int:artist_id>/image/<size>")
@documented(errors=(206, 304, 416), redirects=True)
def artist_image(artist_id: int, size: str):
    """An artist's image: ``small`` (300 px), ``medium`` (600 px) or ``large`` (1200 px)."""
    key = profile.image_key(catalog.get_artist(artist_id), size)
    if key is None:
        raise NotFound("This artist has no image in that size.")
    store = get_store()
    url = store.presigned_get(key, content_type="image/jpeg")
    if url:
        return _redirect(url)
    path = store.local_path(key)
    if path is None or not path.is_file():
        raise NotFound("That file is missing.")
    return send_file(path, mimetype="image/jpeg", conditional=True, max_age=86400)


def _redirect(url: str):
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/artists/<int:artist_id>/managers")
@api_login_required
def list_managers(artist_id: int):
    """Who manages an artist you manage, and the invitations waiting."""
    artist = managed_artist(artist_id)
    return jsonify(
        managers=[manager_json(u) for u in managers.managers_of(artist)],
        invitations=[invitation_json(i) for i in managers.pending_invitations(artist)],
    )


@bp.post("/artists/<int:artist_id>/invitations")
@documented(status=201, errors=(409,))
@api_login_required
@accepts(Field("email", str, format="email", description="the person to invite"))
def invite_manager(artist_id: int, body):
    """Invite someone, by email, to manage an artist you manage (they get a link to accept)."""
    invitation, _ = managers.invite(managed_artist(artist_id), body["email"], current_user)
    return jsonify(invitation=invitation_json(invitation)), 201


@bp.delete("/artists/<int:artist_id>/invitations/<int:invitation_id>")
@documented(status=204)
@api_login_required
def withdraw_invitation(artist_id: int, invitation_id: int):
    """Withdraw an invitation that is still waiting."""
    managers.withdraw(managed_artist(artist_id), invitation_id)
    return "", 204


@bp.delete("/artists/<int:artist_id>/managers/<int:user_id>")
@documented(status=204, errors=(409,))
@api_login_required
def remove_manager(artist_id: int, user_id: int):
    """Stop someone (yourself too) managing an artist you manage; never the last manager."""
    managers.remove_manager(managed_artist(artist_id), user_id)
    return "", 204


@bp.post("/invitations/accept")
@api_login_required
@accepts(Field("token", str, description="the secret from the invitation's link"))
def accept_invitation(body):
    """Accept an invitation to manage an artist (logged in with the address it was sent to)."""
    artist = managers.accept(body["token"], current_user)
    return jsonify(artist=artist_json(artist))


@bp.patch("/releases/<int:release_id>")
@api_login_required
@accepts(*RELEASE_FIELDS)
def update_release(release_id: int, body):
    """Edit a release you manage; ``published`` publishes it or takes it back to a draft."""
    release = releases.update_release(managed_release(release_id), body)
    return jsonify(release=release_json(release, releases.tracks_in_order(release)) | release_state_json(release))


@bp.delete("/releases/<int:release_id>")
@documented(status=204, errors=(409,))
@api_login_required
def delete_release(release_id: int):
    """Delete a release you manage that nobody has played (409 otherwise: remove its tracks instead)."""
    prefixes = releases.delete_release(managed_release(release_id))
    commit_now("its files are deleted only once the rows are gone")
    for prefix in prefixes:
        profile.delete_image(prefix)
    return "", 204


@bp.patch("/tracks/<int:track_id>")
@documented(errors=(409,))
@api_login_required
@accepts(
    Field("title", str, required=False),
    Field("position", int, required=False, description="the track number, 1 = first; the others move"),
    Field("free", bool, required=False),
    Field("lyrics", str, required=False, description="at most 20,000 characters"),
    Field("explicit", bool, required=False),
)
def update_track(track_id: int, body):
    """Edit a track you manage: title, track number, free or paid, lyrics, explicit."""
    track = tracks.update_track(managed_track(track_id), body)
    return jsonify(track=_manager_track_json(track))


@bp.delete("/tracks/<int:track_id>")
@documented(errors=(409,))
@api_login_required
def remove_track(track_id: int):
    """Remove a track you manage from the catalogue; the listeners who own it (``owners``) keep it."""
    track = tracks.remove_track(managed_track(track_id))
    return jsonify(track=_manager_track_json(track))


@bp.post("/tracks/<int:track_id>/restore")
@documented(errors=(409,))
@api_login_required
def restore_track(track_id: int):
    """Put a removed track back in the catalogue (last on its release)."""
    track = tracks.restore_track(managed_track(track_id))
    return jsonify(track=_manager_track_json(track))
