"""The listener's library: favourite tracks and releases, followed artists, playlists.

Shaped so the Subsonic API can map onto it without translation: ``star``/``unstar`` of a song,
an album or an artist are rows in ``favourite_tracks``, ``favourite_releases`` and
``artist_follows`` (following an artist *is* starring it), each with the ``created_at`` that
``getStarred2`` reports as ``starred``; a playlist's entries are ``playlist_items`` with their
own ids (the same track may appear twice, as Subsonic allows) in a dense 0-based ``position``
order (``songIndexToRemove`` is a position).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.catalog.models import Track
from app.core.extensions import db
from app.core.types import UTCDateTime, utcnow


class FavouriteTrack(db.Model):
    __tablename__ = "favourite_tracks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FavouriteRelease(db.Model):
    __tablename__ = "favourite_releases"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArtistFollow(db.Model):
    """Following an artist (the feed, the optional mail); Subsonic's starred artist."""

    __tablename__ = "artist_follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LibraryPreferences(db.Model):
    """A listener's library settings; no row means the defaults (no mail)."""

    __tablename__ = "library_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    mail_new_releases: Mapped[bool] = mapped_column(Boolean, default=False)


class ReleaseAnnouncement(db.Model):
    """A release whose followers have been told (or had nothing to be told): each release is
    announced once, by the periodic task, after it becomes public."""

    __tablename__ = "release_announcements"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    mails: Mapped[int] = mapped_column(Integer, default=0)


class Playlist(db.Model):
    __tablename__ = "playlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # The share link's secret part: unguessable, so public playlists cannot be enumerated.
    share_token: Mapped[str] = mapped_column(String(43), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship()
    items: Mapped[list[PlaylistItem]] = relationship(
        back_populates="playlist", order_by="PlaylistItem.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Playlist {self.id} {self.name}>"


class PlaylistItem(db.Model):
    """One entry; positions of a playlist are 0..n-1 with no gaps (kept by the services under
    the playlist's row lock)."""

    __tablename__ = "playlist_items"
    __table_args__ = (Index("ix_playlist_items_playlist_id_position", "playlist_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    playlist_id: Mapped[int] = mapped_column(ForeignKey("playlists.id", ondelete="CASCADE"))
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    playlist: Mapped[Playlist] = relationship(back_populates="items")
    track: Mapped[Track] = relationship()
