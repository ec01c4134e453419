"""How a user, and each of their sessions (devices), look in JSON."""

from __future__ import annotations

from app.accounts.models import User
from app.catalog.representations import artist_ref


def user_json(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "country": user.country,
        "role": user.role.value,
        "visible_to_artists": user.visible_to_artists,
        "language": user.language,
        "email_verified": user.email_verified,
        "artists": [artist_ref(a) for a in user.artists],
    }


def session_json(row, *, current: bool) -> dict:
    """One of a user's sessions (devices); never its secrets."""
    return {
        "id": row.id,
        "current": current,
        "created_at": row.created_at.isoformat(),
        "last_seen_at": row.last_seen_at.isoformat(),
        "user_agent": row.user_agent,
        "ip_address": row.ip_address,
        "remembered_until": row.remember_expires_at.isoformat() if row.remember_expires_at else None,
    }
