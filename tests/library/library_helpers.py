"""Helpers for the library tests."""

from sqlalchemy import update

from app.catalog.models import Track
from app.core.extensions import db


def set_status(track, status) -> None:
    """Change a track's status in the database (the factory's object is detached by then)."""
    db.session.execute(update(Track).where(Track.id == track.id).values(status=status))
    db.session.commit()
