"""The audio behind a track: its original upload, renditions, loudness and waveform."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.catalog.models import Track
from app.core.extensions import db
from app.core.types import UTCDateTime, utcnow


class TrackAudio(db.Model):
    """One row per uploaded track. Object keys point into the app's object store.

    ``(artist_id, sha256)`` is unique: the same file uploaded twice to one artist is refused.
    """

    __tablename__ = "track_audio"
    __table_args__ = (UniqueConstraint("artist_id", "sha256"),)

    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sha256: Mapped[str] = mapped_column(String(64))
    original_key: Mapped[str] = mapped_column(String(500))
    original_name: Mapped[str] = mapped_column(String(255))  # the uploader's file name, for downloads
    original_size: Mapped[int] = mapped_column(BigInteger)
    original_format: Mapped[str] = mapped_column(String(16))  # a kind of audio.probe.KINDS
    original_mime: Mapped[str] = mapped_column(String(50))
    source_duration_ms: Mapped[int] = mapped_column(Integer)  # decoded at upload

    # Filled in by processing.
    stream_mp3_key: Mapped[str | None] = mapped_column(String(500))
    stream_opus_key: Mapped[str | None] = mapped_column(String(500))
    preview_key: Mapped[str | None] = mapped_column(String(500))
    preview_start_ms: Mapped[int | None] = mapped_column(Integer)
    loudness_lufs: Mapped[float | None] = mapped_column(Float)
    true_peak_dbtp: Mapped[float | None] = mapped_column(Float)
    gain_db: Mapped[float | None] = mapped_column(Float)  # apply to play at the target loudness
    peaks: Mapped[list | None] = mapped_column(JSON)  # ~1800 values 0..1
    # Where each stream rendition can be cut (``audio.packaging``): {"step_ms": 1000, "token":
    # ..., "mp3": [bytes by second...], "opus": [...]}. NULL: not packaged yet (metered plays of
    # the track wait for the repackage task). The token names this packaging's head objects.
    stream_cuts: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    tag_title: Mapped[str | None] = mapped_column(String(200))
    tag_artist: Mapped[str | None] = mapped_column(String(200))
    tag_album: Mapped[str | None] = mapped_column(String(200))
    tag_track_number: Mapped[int | None] = mapped_column(Integer)
    isrc: Mapped[str | None] = mapped_column(String(12))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    track: Mapped[Track] = relationship(
        backref=backref("audio", uselist=False, cascade="all, delete-orphan", passive_deletes=True)
    )

    def __repr__(self) -> str:
        return f"<TrackAudio {self.track_id} {self.original_format}>"
