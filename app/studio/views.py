"""The studio's pages: an artist's releases by state, the release and track editors, removing
a track (after saying what its owners keep), the profile, and who manages the artist.

Every page is for the artist's managers and admins (``require_manager``); a draft stays a 404
for anyone else, as everywhere in the catalogue."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.catalog import services as catalog
from app.catalog.models import Release, ReleaseKind, Track
from app.core.auth import require_manager
from app.core.error_pages import refuse, refused_redirect, translated
from app.core.errors import NotFound, ServiceError, ValidationFailed
from app.core.extensions import db
from app.core.i18n import format_day
from app.core.transactions import commit_now
from app.core.web import bp
from app.studio.services import managers, overview, profile, releases, tracks

RELEASE_FORM_FIELDS = ("title", "kind", "release_date", "description", "credits", "license_note")


def _release(release_id: int) -> Release:
    release = catalog.get_release(release_id, current_user)
    require_manager(release.artist)
    return release


def _track(track_id: int) -> Track:
    track = db.session.get(Track, track_id)
    if track is None or not current_user.can_manage(track.artist):
        if track is not None and catalog.track_visible_to(current_user, track):
            require_manager(track.artist)
        raise NotFound(f"There is no track {track_id}.")
    return track


def _artist(artist_id: int):
    artist = catalog.get_artist(artist_id)
    require_manager(artist)
    return artist


@bp.get("/studio")
@login_required
def studio():
    artists = overview.managed_artists(current_user)
    if len(artists) == 1:
        return redirect(url_for("web.studio_artist", artist_id=artists[0].id))
    return render_template("studio/pick.html", artists=artists)


@bp.get("/studio/artists/<int:artist_id>")
@login_required
def studio_artist(artist_id: int):
    view = overview.studio(_artist(artist_id))
    return render_template(
        "studio/artist.html",
        view=view,
        kinds=list(ReleaseKind),
        artists=overview.managed_artists(current_user),
    )


@bp.post("/studio/artists/<int:artist_id>/releases")
@login_required
def studio_create_release(artist_id: int):
    artist = _artist(artist_id)
    try:
        release = releases.create_release(artist, {f: request.form.get(f, "") for f in ("title", "kind")})
    except ServiceError as exc:
        return refused_redirect(exc, url_for("web.studio_artist", artist_id=artist_id))
    flash(gettext("“%(title)s” is a draft: only you see it until you publish it.", title=release.title), "info")
    return redirect(url_for("web.studio_release", release_id=release.id))


def _render_release(release: Release, status: int = 200, form: dict | None = None):
    return (
        render_template(
            "studio/release.html",
            release=release,
            state=releases.state_of(release),
            tracks=releases.tracks_in_order(release),
            kinds=list(ReleaseKind),
            form=form,
            upload_limit_mb=current_app.config["MAX_UPLOAD_MB"],
            today=catalog.today_utc(),
        ),
        status,
    )


@bp.route("/studio/releases/<int:release_id>", methods=["GET", "POST"])
@login_required
def studio_release(release_id: int):
    release = _release(release_id)
    if request.method == "GET":
        return _render_release(release)
    form = {f: request.form.get(f, "") for f in RELEASE_FORM_FIELDS}
    try:
        releases.update_release(release, form)
    except ServiceError as exc:
        refuse(exc)
        return _render_release(_release(release_id), exc.status, form)
    flash(gettext("Saved."), "info")
    return redirect(url_for("web.studio_release", release_id=release_id))


@bp.post("/studio/releases/<int:release_id>/publish")
@login_required
def studio_publish(release_id: int):
    release = _release(release_id)
    publish = request.form.get("action") != "unpublish"
    releases.set_published(release, publish)
    state = releases.state_of(release)
    if not publish:
        flash(gettext("Back to a draft: only its managers see it now. Listeners who own its tracks keep them."), "info")
    elif state.name == "scheduled":
        flash(gettext("Scheduled: it goes public on %(date)s.", date=format_day(release.release_date)), "info")
    elif not any(t.is_public for t in release.tracks):
        flash(gettext("Published; it shows once a track is ready."), "info")
    else:
        flash(gettext("Published: everyone can hear it now."), "info")
    return redirect(url_for("web.studio_release", release_id=release_id))


@bp.route("/studio/releases/<int:release_id>/delete", methods=["GET", "POST"])
@login_required
def studio_delete_release(release_id: int):
    release = _release(release_id)
    heard = releases.heard_track_ids(release)
    if request.method == "GET":
        return render_template("studio/delete_release.html", release=release, heard=heard)
    artist_id = release.artist_id
    try:
        prefixes = releases.delete_release(release)
    except ServiceError as exc:
        return refused_redirect(exc, url_for("web.studio_release", release_id=release_id))
    commit_now("its files are deleted only once the rows are gone")
    for prefix in prefixes:
        profile.delete_image(prefix)
    flash(gettext("The release was deleted."), "info")
    return redirect(url_for("web.studio_artist", artist_id=artist_id))


@bp.route("/studio/tracks/<int:track_id>", methods=["GET", "POST"])
@login_required
def studio_track(track_id: int):
    track = _track(track_id)
    if request.method == "GET":
        return render_template("studio/track.html", track=track, form=None)
    form = {
        "title": request.form.get("title", ""),
        "lyrics": request.form.get("lyrics", ""),
        "free": request.form.get("free") == "on",
        "explicit": request.form.get("explicit") == "on",
    }
    try:
        tracks.update_track(track, form)
    except ServiceError as exc:
        refuse(exc)
        return render_template("studio/track.html", track=_track(track_id), form=form), exc.status
    flash(gettext("“%(title)s” saved.", title=track.title), "info")
    return redirect(url_for("web.studio_release", release_id=track.release_id))


@bp.post("/studio/tracks/<int:track_id>/move")
@login_required
def studio_move_track(track_id: int):
    """Move a track up or down one place, or to a track number (the keyboard's way to reorder)."""
    track = _track(track_id)
    back = url_for("web.studio_release", release_id=track.release_id) + "#tracks"
    direction = request.form.get("direction")
    try:
        if direction in ("up", "down"):
            position = track.position + (-1 if direction == "up" else 1)
        else:
            position = int(request.form.get("position", ""))
        tracks.update_track(track, {"position": position})
    except ValueError:
        return refused_redirect(ValidationFailed("Give the track number as a number.", field="position"), back)
    except ServiceError as exc:
        return refused_redirect(exc, back)
    flash(gettext("“%(title)s” is now track %(number)s.", title=track.title, number=track.position), "info")
    return redirect(back)


@bp.route("/studio/tracks/<int:track_id>/remove", methods=["GET", "POST"])
@login_required
def studio_remove_track(track_id: int):
    track = _track(track_id)
    if request.method == "GET":
        return render_template("studio/remove_track.html", track=track, owners=tracks.owner_count(track))
    back = url_for("web.studio_release", release_id=track.release_id)
    try:
        tracks.remove_track(track)
    except ServiceError as exc:
        return refused_redirect(exc, back)
    flash(gettext("“%(title)s” was removed from the catalogue; its owners keep it.", title=track.title), "info")
    return redirect(back)


@bp.post("/studio/tracks/<int:track_id>/restore")
@login_required
def studio_restore_track(track_id: int):
    track = _track(track_id)
    back = url_for("web.studio_release", release_id=track.release_id)
    try:
        tracks.restore_track(track)
    except ServiceError as exc:
        return refused_redirect(exc, back)
    flash(gettext("“%(title)s” is back in the catalogue.", title=track.title), "info")
    return redirect(back)


@bp.route("/studio/artists/<int:artist_id>/profile", methods=["GET", "POST"])
@login_required
def studio_profile(artist_id: int):
    artist = _artist(artist_id)
    if request.method == "GET":
        return render_template("studio/profile.html", artist=artist, form=None)
    form = {f: request.form.get(f, "") for f in ("name", "bio", "location", "links")}
    try:
        profile.update_profile(artist, form)
    except ServiceError as exc:
        refuse(exc)
        return render_template("studio/profile.html", artist=_artist(artist_id), form=form), exc.status
    flash(gettext("Profile saved."), "info")
    return redirect(url_for("web.studio_profile", artist_id=artist_id))


@bp.get("/studio/artists/<int:artist_id>/managers")
@login_required
def studio_managers(artist_id: int):
    artist = _artist(artist_id)
    return render_template(
        "studio/managers.html",
        artist=artist,
        managers=managers.managers_of(artist),
        invitations=managers.pending_invitations(artist),
    )


@bp.post("/studio/artists/<int:artist_id>/managers")
@login_required
def studio_invite(artist_id: int):
    artist = _artist(artist_id)
    back = url_for("web.studio_managers", artist_id=artist_id)
    try:
        invitation, _ = managers.invite(artist, request.form.get("email", ""), current_user)
    except ServiceError as exc:
        return refused_redirect(exc, back)
    flash(gettext("Invitation sent to %(email)s.", email=invitation.email), "info")
    return redirect(back)


@bp.post("/studio/artists/<int:artist_id>/managers/<int:user_id>/remove")
@login_required
def studio_remove_manager(artist_id: int, user_id: int):
    artist = _artist(artist_id)
    back = url_for("web.studio_managers", artist_id=artist_id)
    try:
        managers.remove_manager(artist, user_id)
    except ServiceError as exc:
        return refused_redirect(exc, back)
    flash(gettext("Removed."), "info")
    if user_id == current_user.id:
        return redirect(url_for("web.artist", artist_id=artist_id))
    return redirect(back)


@bp.post("/studio/artists/<int:artist_id>/invitations/<int:invitation_id>/withdraw")
@login_required
def studio_withdraw_invitation(artist_id: int, invitation_id: int):
    artist = _artist(artist_id)
    back = url_for("web.studio_managers", artist_id=artist_id)
    try:
        managers.withdraw(artist, invitation_id)
    except ServiceError as exc:
        return refused_redirect(exc, back)
    flash(gettext("Invitation withdrawn."), "info")
    return redirect(back)


@bp.route("/studio/invitations/<token>", methods=["GET", "POST"])
def studio_invitation(token: str):
    """The link in an invitation mail: who invites you to what; accept once logged in."""
    try:
        invitation = managers.find_invitation(token)
    except ServiceError as exc:
        return render_template("studio/invitation.html", invitation=None, error=translated(exc.message)), exc.status
    if request.method == "GET" or not current_user.is_authenticated:
        return render_template("studio/invitation.html", invitation=invitation, error=None)
    try:
        artist = managers.accept(token, current_user)
    except ServiceError as exc:
        refuse(exc)
        return render_template(
            "studio/invitation.html", invitation=managers.find_invitation(token), error=translated(exc.message)
        ), exc.status
    flash(gettext("You now manage %(artist)s.", artist=artist.name), "info")
    return redirect(url_for("web.studio_artist", artist_id=artist.id))
