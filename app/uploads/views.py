"""The upload page of a release: drop files, watch them upload and process, replace audio.

The page is a view of ``GET /api/v1/releases/<id>/uploads``: ``upload.js`` uploads through the
JSON API (one request per file, for a progress bar each) and polls that list while anything
is processing, so statuses change on the page without a reload.
"""

from __future__ import annotations

from babel.lists import format_list
from flask import current_app, render_template
from flask_babel import get_locale
from flask_login import current_user, login_required

from app.catalog import services as catalog
from app.core.auth import require_manager
from app.core.web import bp
from app.uploads.services import uploads
from audio.probe import ACCEPTED_FORMATS


@bp.get("/releases/<int:release_id>/upload")
@login_required
def upload_page(release_id: int):
    release = catalog.get_release(release_id, current_user)
    require_manager(release.artist)
    tracks = release.tracks
    return render_template(
        "uploads/upload.html",
        release=release,
        tracks=tracks,
        processing=any(uploads.is_processing(t) for t in tracks),
        # "WAV, ... or M4A/AAC" in the page's language
        accepted=format_list(list(ACCEPTED_FORMATS), style="or", locale=get_locale()),
        upload_limit_mb=current_app.config["MAX_UPLOAD_MB"],
        max_files=uploads.MAX_FILES_PER_UPLOAD,
    )
