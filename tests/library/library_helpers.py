"""Helpers for the library tests."""

import re

from sqlalchemy import update

from app.catalog.models import Track
from app.core.extensions import db


def set_status(track, status) -> None:
    """Change a track's status in the database (the factory's object is detached by then)."""
    db.session.execute(update(Track).where(Track.id == track.id).values(status=status))
    db.session.commit()


def csrf_headers(client) -> dict:
    """The header a logged-in page's scripts send with API calls (the token from its <meta>)."""
    html = client.get("/library").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    return {"X-CSRFToken": token}
