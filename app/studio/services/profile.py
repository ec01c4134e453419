"""An artist's public profile: name, bio, location, links and image.

The image goes through the same pipeline as cover art (``audio.artwork``): three square JPEG
sizes, stored under one prefix; a new image replaces the old one only once committed.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import current_app

from app.catalog import services as catalog
from app.catalog.models import Artist
from app.core.errors import ValidationFailed
from app.core.extensions import db
from app.core.storage import get_store
from app.studio.services.releases import checked_text
from audio.artwork import SIZES, cover_renditions
from audio.storage import StorageError

IMAGE_SIZES = tuple(SIZES)
MAX_LINKS = 10


def checked_links(value) -> list[str]:
    """Links as text, one per line (blank lines ignored): each an http(s) URL."""
    if isinstance(value, list):
        lines = value
    elif isinstance(value, str):
        lines = value.splitlines()
    else:
        raise ValidationFailed("'links' must be text, one link per line.", field="links")
    links = [line.strip() for line in lines if isinstance(line, str) and line.strip()]
    if len(links) > MAX_LINKS:
        raise ValidationFailed(f"At most {MAX_LINKS} links.", field="links")
    for link in links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 500 or " " in link:
            raise ValidationFailed(f"“{link[:80]}” is not a web address (https://...).", field="links")
    return links


def update_profile(artist: Artist, changes: dict) -> Artist:
    """Apply ``changes`` (any of name, bio, location, links): all checked first."""
    checked: dict = {}
    if "name" in changes:
        checked["name"] = catalog.validate_title(changes["name"], "name", "artist name")
    if "bio" in changes:
        checked["bio"] = checked_text(changes["bio"], "bio", 5000)
    if "location" in changes:
        checked["location"] = checked_text(changes["location"], "location", 200)
    if "links" in changes:
        checked["links"] = checked_links(changes["links"])
    for field, value in checked.items():
        setattr(artist, field, value)
    db.session.flush()
    return artist


def image_key(artist: Artist, size: str) -> str | None:
    if not artist.image_key or size not in IMAGE_SIZES:
        return None
    return f"{artist.image_key}/{size}.jpg"


def set_image(artist: Artist, data: bytes) -> str | None:
    """Store ``data`` as the artist's image in every size; returns the previous image's
    prefix for the caller to delete (``delete_image``) once its commit went through.
    Raises ``audio.errors.ImageRejected`` for what is not an acceptable image."""
    images = cover_renditions(data)
    prefix = f"artists/{artist.id}/image-{hashlib.sha256(data).hexdigest()[:12]}"
    store = get_store()
    written: list[str] = []
    try:
        for size, jpeg in images.items():
            key = f"{prefix}/{size}.jpg"
            written.append(key)
            store.put_bytes(key, jpeg, "image/jpeg")
    except BaseException:
        for key in written:
            try:
                store.delete(key)
            except StorageError:
                pass
        raise
    old = artist.image_key
    artist.image_key = prefix
    db.session.flush()
    return old if old != prefix else None


def delete_image(prefix: str | None) -> None:
    """Remove stored objects under ``prefix`` (a replaced image, a deleted release's files)."""
    if prefix:
        try:
            get_store().delete_prefix(prefix)
        except StorageError:
            current_app.logger.warning("could not delete %s", prefix)
