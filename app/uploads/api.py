"""Audio over the API: uploads, reprocessing, previews, waveforms, cover art, originals."""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from flask import abort, current_app, jsonify, redirect, send_file
from flask_login import current_user

from app.accounts.suspension import require_not_suspended
from app.catalog import services as catalog
from app.catalog.models import Track
from app.catalog.representations import release_ref
from app.core.api import bp
from app.core.auth import api_login_required, require_manager
from app.core.errors import NotFound, ValidationFailed
from app.core.extensions import db
from app.core.inputs import documented
from app.core.queue import enqueue
from app.core.storage import get_store
from app.core.transactions import commit_now
from app.streaming import services as streaming
from app.uploads.images import replace_image
from app.uploads.multipart import received_files
from app.uploads.representations import upload_json
from app.uploads.services import processing, uploads
from audio.storage import ObjectNotFound, content_disposition

PRESIGN_SECONDS = 300


def multipart(*fields: tuple[str, str, str]):
    """Document a multipart body for the OpenAPI builder: ``(name, kind, description)``."""

    def decorator(view):
        view.multipart_fields = fields
        return view

    return decorator


@bp.post("/releases/<int:release_id>/tracks")
@documented(status=202)
@api_login_required
@multipart(("file", "files", "one or more audio files (WAV, AIFF, FLAC, MP3, Ogg Vorbis, Opus, M4A/AAC)"))
def upload_tracks(release_id: int):
    """Upload audio files into a release you manage; each becomes a track, processed in the background."""
    release = catalog.get_release(release_id, current_user)
    require_manager(release.artist)
    with received_files("file") as (_, files):
        accepted = uploads.add_tracks(release, current_user, files)
        # Read the ids before committing: touching an expired row after the commit would open
        # a transaction whose snapshot predates what an inline (immediate) task writes.
        ids = [t.id for t in accepted.tracks]
        try:
            commit_now("the processing tasks read the new tracks")
        except BaseException:
            db.session.rollback()
            uploads.discard(accepted.stored_keys)
            raise
    for track_id in ids:
        enqueue("process_track", track_id)
    tracks = [db.session.get(Track, i) for i in ids]
    return jsonify(tracks=[upload_json(t) for t in tracks]), 202


@bp.get("/releases/<int:release_id>/uploads")
@api_login_required
def list_uploads(release_id: int):
    """Every track of a release you manage, whatever its status, with the reason of any failure
    and any replacement audio being processed: poll it to follow uploads until they are ready."""
    release = catalog.get_release(release_id, current_user)
    require_manager(release.artist)
    return jsonify(
        release=release_ref(release),
        tracks=[upload_json(t) for t in release.tracks],
        processing=any(uploads.is_processing(t) for t in release.tracks),
    )


@bp.post("/tracks/<int:track_id>/audio")
@documented(status=202, errors=(409,))
@api_login_required
@multipart(("file", "file", "the new audio file (WAV, AIFF, FLAC, MP3, Ogg Vorbis, Opus, M4A/AAC)"))
def replace_track_audio(track_id: int):
    """Replace the audio of a track you manage. The new file is checked like an upload and
    processed in the background into a new version; the track keeps playing its current
    audio until the new one is ready, then switches to it. If processing fails, the track
    keeps its current audio and ``replacement`` says why. Its owners, plays and title stay."""
    track = _managed_track(track_id)
    with received_files("file") as (_, files):
        if len(files) != 1:
            raise ValidationFailed("Send exactly one audio file in the field 'file'.", field="file")
        accepted = uploads.replace_audio(track, current_user, files[0])
        try:
            commit_now("the processing task reads the new audio")
        except BaseException:
            db.session.rollback()
            uploads.discard(accepted.stored_keys)
            raise
    enqueue("process_replacement", track_id)
    return jsonify(track=upload_json(db.session.get(Track, track_id))), 202


@bp.post("/tracks/<int:track_id>/reprocess")
@documented(status=202, errors=(409,))
@api_login_required
def reprocess_track(track_id: int):
    """Process a track you manage again (after a failure, or a pipeline improvement)."""
    track = _managed_track(track_id)
    processing.request_reprocess(track)
    commit_now("the processing task reads the track's new status")
    enqueue("process_track", track_id)
    return jsonify(track=upload_json(db.session.get(Track, track_id))), 202


@bp.get("/tracks/<int:track_id>/waveform")
def track_waveform(track_id: int):
    """Waveform peaks of a ready track: about 1,800 values from 0 to 1."""
    track = catalog.get_public_track(track_id, current_user)
    if track.audio is None or track.audio.peaks is None:
        raise NotFound("This track has no waveform.")
    return jsonify(track_id=track.id, duration_ms=track.duration_ms, peaks=track.audio.peaks)


@bp.get("/tracks/<int:track_id>/preview")
@documented(errors=(206, 304, 416), redirects=True)
def track_preview(track_id: int):
    """The 30-second public preview of a ready track (MP3; a redirect to the store, or the file)."""
    track = catalog.get_public_track(track_id, current_user)
    if track.audio is None or not track.audio.preview_key:
        raise NotFound("This track has no preview.")
    return _serve(track.audio.preview_key, "audio/mpeg")


@bp.get("/tracks/<int:track_id>/original")
@documented(errors=(206, 304, 416), redirects=True)
@api_login_required
def track_original(track_id: int):
    """Download the original upload of a track you own or whose artist you manage."""
    track = db.session.get(Track, track_id)
    if track is None:
        raise NotFound(f"There is no track {track_id}.")
    streaming.require_original_access(current_user, track)
    if track.audio is None:
        raise NotFound("This track has no uploaded audio.")
    return _serve(
        track.audio.original_key, track.audio.original_mime, download_name=track.audio.original_name, private=True
    )


@bp.put("/releases/<int:release_id>/cover")
@api_login_required
@multipart(("file", "file", "the cover image (JPEG, PNG or WebP)"))
def upload_cover(release_id: int):
    """Set the cover art of a release you manage (stored in three square sizes)."""
    require_not_suspended(current_user, "upload")
    release = catalog.get_release(release_id, current_user)
    require_manager(release.artist)
    replace_image(partial(processing.set_release_cover, release), lambda: release.cover_key, processing.delete_cover)
    return jsonify(release=release_ref(release))


@bp.get("/releases/<int:release_id>/cover/<size>")
@documented(errors=(206, 304, 416), redirects=True)
def release_cover(release_id: int, size: str):
    """A release's cover art: ``small`` (300 px), ``medium`` (600 px) or ``large`` (1200 px)."""
    release = catalog.get_release(release_id, current_user)
    key = processing.cover_key(release, size) if size in processing.COVER_SIZES else None
    if key is None:
        raise NotFound("This release has no cover in that size.")
    return _serve(key, "image/jpeg", max_age=86400)


def _managed_track(track_id: int) -> Track:
    track = db.session.get(Track, track_id)
    if track is None:
        raise NotFound(f"There is no track {track_id}.")
    require_manager(track.artist)
    if track.audio is None:
        raise NotFound("This track has no uploaded audio.")
    return track


def _serve(
    key: str,
    mimetype: str,
    *,
    download_name: str | None = None,
    max_age: int = 0,
    expires: int = PRESIGN_SECONDS,
    private: bool = False,
):
    """Send an object: a short-lived presigned redirect when the store has URLs (S3), else the
    local file: handed to nginx (X-Accel-Redirect) when ``X_ACCEL_PREFIX`` is configured, or
    served by the app itself with HTTP Range support (206, 416, If-Range)."""
    store = get_store()
    url = store.presigned_get(key, expires=expires, download_name=download_name, content_type=mimetype)
    if url:
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    path = store.local_path(key)
    if path is None:
        try:
            store.size(key)
        except ObjectNotFound:
            raise NotFound("That file is missing.") from None
        abort(404)
    prefix = current_app.config["X_ACCEL_PREFIX"]
    if prefix:
        # nginx serves the file (Range included) from its internal location; no bytes here.
        response = current_app.response_class(status=200, mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = f"{prefix.rstrip('/')}/{quote(key)}"
        if download_name is not None:
            response.headers["Content-Disposition"] = content_disposition(download_name)
    else:
        response = send_file(
            path,
            mimetype=mimetype,
            conditional=True,
            as_attachment=download_name is not None,
            download_name=download_name,
            max_age=max_age,
        )
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response
