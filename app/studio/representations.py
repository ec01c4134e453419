"""How the studio looks in JSON: a release's state, managers, invitations, the overview."""

from __future__ import annotations

from flask import url_for

from app.accounts.models import User
from app.catalog.models import Release
from app.catalog.representations import artist_json, release_ref
from app.studio.models import ArtistInvitation
from app.studio.services.overview import Studio
from app.studio.services.releases import state_of
from app.uploads.representations import upload_json


def release_state_json(release: Release) -> dict:
    """Where a release stands (draft, scheduled, published) and where to edit it."""
    return {
        "state": state_of(release).name,
        "published": release.published,
        "studio_url": url_for("web.studio_release", release_id=release.id),
    }


def studio_json(studio: Studio) -> dict:
    return {
        "artist": artist_json(studio.artist),
        "releases": {
            state: [release_ref(r) | release_state_json(r) for r in items] for state, items in studio.releases.items()
        },
        "uploads_in_progress": [upload_json(t) | {"release": release_ref(t.release)} for t in studio.in_progress],
        "earnings": studio.earnings,
        "dashboard_url": url_for("web.artist_dashboard", artist_id=studio.artist.id),
    }


def manager_json(user: User) -> dict:
    return {"id": user.id, "display_name": user.display_name, "email": user.email}


def invitation_json(invitation: ArtistInvitation) -> dict:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "created_at": invitation.created_at.isoformat(),
        "expires_at": invitation.expires_at.isoformat(),
    }
