"""The audio behind a track: its original upload, renditions, loudness and waveform; and a
replacement of that audio while it is being processed."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.catalog.models import Track
from app.core.extensions import db
from app.core.types import UTCDateTime, str_enum, utcnow


class TrackAudio(db.Model):
    """One row per uploaded track: its current version. Object keys point into the app's
    object store; ``version`` counts the audio files the track has had (a replacement that
    became ready is the next version, and its objects live under ``tracks/<id>/v<version>/``).

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
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

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
    tag_disc_number: Mapped[int | None] = mapped_column(Integer)
    isrc: Mapped[str | None] = mapped_column(String(12))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    track: Mapped[Track] = relationship(
        backref=backref("audio", uselist=False, cascade="all, delete-orphan", passive_deletes=True)
    )

    def __repr__(self) -> str:
        return f"<TrackAudio {self.track_id} {self.original_format}>"


class ReplacementStatus(str, enum.Enum):
    PROCESSING = "processing"
    FAILED = "failed"


class AudioReplacement(db.Model):
    """New audio for a track that has some, while it is processed (or after it failed).

    The track keeps serving its current ``TrackAudio`` meanwhile. When processing succeeds,
    one transaction copies this version into the ``TrackAudio`` row and deletes this one (the
    switch is atomic); when it fails, this row stays with the reason and the track is
    untouched. At most one per track: a new replacement takes the place of a failed one, and
    is refused while one is processing.
    """

    __tablename__ = "audio_replacements"

    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer)  # the version it becomes once ready
    status: Mapped[ReplacementStatus] = mapped_column(
        str_enum(ReplacementStatus, "replacement_status"), default=ReplacementStatus.PROCESSING
    )
    status_reason: Mapped[str | None] = mapped_column(Text)  # why processing failed, for the artist
    sha256: Mapped[str] = mapped_column(String(64))
    original_key: Mapped[str] = mapped_column(String(500))
    original_name: Mapped[str] = mapped_column(String(255))
    original_size: Mapped[int] = mapped_column(BigInteger)
    original_format: Mapped[str] = mapped_column(String(16))
    original_mime: Mapped[str] = mapped_column(String(50))
    source_duration_ms: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    track: Mapped[Track] = relationship(
        backref=backref("replacement", uselist=False, cascade="all, delete-orphan", passive_deletes=True)
    )

    def __repr__(self) -> str:
        return f"<AudioReplacement {self.track_id} v{self.version} {self.status.value}>"


class RetiredObject(db.Model):
    """A stored object no row points at any more, kept until ``delete_after`` because links to
    it may still be out (a presigned URL handed to a player). ``app.uploads.services.retirement``
    writes these rows and deletes the objects when they are due."""

    __tablename__ = "retired_objects"

    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    delete_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
