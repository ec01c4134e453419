"""How a user looks in JSON."""

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
        "artists": [artist_ref(a) for a in user.artists],
    }
