"""Library pages: the listener's library (favourites, follows, the feed, playlists, the mail
setting), playlist pages and their share links, and track pages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.catalog import services as catalog
from app.core.error_pages import refused_redirect
from app.core.errors import ServiceError, ValidationFailed
from app.core.i18n import format_number
from app.core.web import bp
from app.library import services as library
from app.library.representations import share_url


def _refused(exc: ServiceError, location: str):
    """Refuse a playlist form with the page's own words for the refusals whose English message
    is built with its limit (an f-string the catalogs cannot look up); the others through
    ``refused_redirect``'s catalog lookup."""
    if isinstance(exc, ValidationFailed) and exc.field == "name":
        exc = ValidationFailed(
            gettext("A playlist name needs 1 to %(max)s characters.", max=format_number(library.MAX_NAME)),
            field=exc.field,
        )
    elif isinstance(exc, ValidationFailed) and exc.field == "description":
        exc = ValidationFailed(
            gettext("A description has at most %(max)s characters.", max=format_number(library.MAX_DESCRIPTION)),
            field=exc.field,
        )
    return refused_redirect(exc, location)


@bp.app_template_global()
def starred(kind: str, ids) -> set[int]:
    """Which of ``ids`` (tracks, releases or artists: ``kind``) the listener has starred."""
    return library.starred_ids(current_user, kind, ids)


@bp.app_template_global()
def my_playlists() -> list:
    """The listener's playlists (for "add to playlist"); empty for visitors."""
    return library.user_playlists(current_user) if current_user.is_authenticated else []


@bp.get("/library")
@login_required
def library_page():
    playlists = library.user_playlists(current_user)
    return render_template(
        "library/library.html",
        tracks=library.favourite_tracks(current_user),
        releases=library.favourite_releases(current_user),
        artists=library.followed_artists(current_user),
        feed=library.feed(current_user, limit=12),
        playlists=playlists,
        sizes=library.item_counts(playlists),
        mail_new_releases=library.mail_new_releases(current_user),
    )


@bp.post("/library/settings")
@login_required
def library_settings():
    on = request.form.get("mail_new_releases") == "on"
    library.set_mail_new_releases(current_user, on)
    flash(
        gettext("We will mail you when an artist you follow publishes a release.")
        if on
        else gettext("No more new-release mail."),
        "info",
    )
    return redirect(url_for("web.library_page") + "#settings")


@bp.post("/playlists")
@login_required
def create_playlist():
    form = request.form
    try:
        playlist = library.create_playlist(
            current_user,
            name=form.get("name", ""),
            description=form.get("description", ""),
            public=form.get("public") == "on",
        )
    except ServiceError as exc:
        return _refused(exc, url_for("web.library_page") + "#playlists")
    return redirect(url_for("web.playlist_page", playlist_id=playlist.id))


def _render_playlist(playlist):
    entries = library.entries(playlist, current_user)
    owner = library.is_owner(playlist, current_user)
    return render_template(
        "library/playlist.html",
        playlist=playlist,
        entries=entries,
        tracks=[e.track for e in entries if e.track is not None],
        owner=owner,
        share_url=share_url(playlist),
    )


@bp.get("/playlists/<int:playlist_id>")
def playlist_page(playlist_id: int):
    return _render_playlist(library.get_playlist(playlist_id, current_user))


@bp.get("/p/<token>")
def shared_playlist(token: str):
    return _render_playlist(library.get_shared_playlist(token, current_user))


@bp.post("/playlists/<int:playlist_id>/edit")
@login_required
def edit_playlist(playlist_id: int):
    form = request.form
    here = url_for("web.playlist_page", playlist_id=playlist_id)
    try:
        playlist = library.get_own_playlist(playlist_id, current_user)
        library.update_playlist(
            playlist,
            name=form.get("name", ""),
            description=form.get("description", ""),
            public=form.get("public") == "on",
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        return _refused(exc, here)
    flash(gettext("Playlist saved."), "info")
    return redirect(here)


@bp.post("/playlists/<int:playlist_id>/delete")
@login_required
def delete_playlist(playlist_id: int):
    playlist = library.get_own_playlist(playlist_id, current_user)
    name = playlist.name
    library.delete_playlist(playlist)
    flash(gettext("Deleted the playlist “%(name)s”.", name=name), "info")
    return redirect(url_for("web.library_page") + "#playlists")


@bp.get("/tracks/<int:track_id>")
def track_page(track_id: int):
    track = catalog.get_public_track(track_id, current_user)
    return render_template("library/track.html", track=track, tracks=[track])
