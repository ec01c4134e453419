"""What the Subsonic API keeps of its own: app passwords and each listener's saved play queue.

Everything else a Subsonic client sees is another domain's data (the catalogue, the library's
favourites and playlists, the streaming plays), read through their models and services.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.core.types import UTCDateTime, utcnow


class AppPassword(db.Model):
    """A password for one music app, good for the Subsonic API only (never for the site).

    Stored sealed (Fernet), not hashed: Subsonic's token auth sends ``md5(password + salt)``,
    which the server can check only by knowing the password (see ``app_passwords``).
    """

    __tablename__ = "subsonic_app_passwords"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    sealed_password: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlayQueue(db.Model):
    """A listener's play queue as a Subsonic app saved it (``savePlayQueue``), one per listener."""

    __tablename__ = "subsonic_play_queues"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    track_ids: Mapped[list] = mapped_column(JSON, default=list)
    current_track_id: Mapped[int | None] = mapped_column(Integer)
    position_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(100), default="")
