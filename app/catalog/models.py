"""The catalog: artists, their releases, and the tracks on them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Computed, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import db
from app.core.types import UTCDateTime, str_enum, utcnow


class ReleaseKind(str, enum.Enum):
    ALBUM = "album"
    EP = "ep"
    SINGLE = "single"


class TrackStatus(str, enum.Enum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    HIDDEN = "hidden"


class Artist(db.Model):
    __tablename__ = "artists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="", server_default="")
    links: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # URLs, in order
    image_key: Mapped[str | None] = mapped_column(String(500))  # object-store prefix of the image sizes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list["User"]] = relationship(  # noqa: F821 (accounts module)
        secondary="artist_members", back_populates="artists"
    )
    releases: Mapped[list[Release]] = relationship(
        back_populates="artist", order_by="Release.release_date.desc()", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Artist {self.id} {self.name}>"


class Release(db.Model):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[ReleaseKind] = mapped_column(str_enum(ReleaseKind, "release_kind"), default=ReleaseKind.ALBUM)
    release_date: Mapped[date | None] = mapped_column(Date)
    cover_key: Mapped[str | None] = mapped_column(String(500))  # object-store key of the cover art
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    credits: Mapped[str] = mapped_column(Text, default="", server_default="")
    license_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # None: a draft, seen only by its managers (``app.catalog.visibility``). Published with a
    # future ``release_date``: scheduled, public from that date.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Hidden by a moderator (``app.catalog.moderation``): gone from every public read.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_takedown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    artist: Mapped[Artist] = relationship(back_populates="releases")
    tracks: Mapped[list[Track]] = relationship(
        back_populates="release", order_by="Track.position", cascade="all, delete-orphan"
    )
    tag_rows: Mapped[list[ReleaseTag]] = relationship(
        order_by="ReleaseTag.tag", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def published(self) -> bool:
        return self.published_at is not None

    def __repr__(self) -> str:
        return f"<Release {self.id} {self.title}>"


class ReleaseTag(db.Model):
    """A genre tag on a release, normalised (``catalog.tags.normalise_tag``): lower case words
    joined by hyphens, e.g. ``post-rock``."""

    __tablename__ = "release_tags"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)


class Track(db.Model):
    __tablename__ = "tracks"
    __table_args__ = (UniqueConstraint("release_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    position: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)  # known once the audio is probed
    status: Mapped[TrackStatus] = mapped_column(str_enum(TrackStatus, "track_status"), default=TrackStatus.PROCESSING)
    status_reason: Mapped[str | None] = mapped_column(Text)  # why processing failed, for the artist
    free: Mapped[bool] = mapped_column(Boolean, default=False)
    lyrics: Mapped[str] = mapped_column(Text, default="", server_default="")
    explicit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Removed from the catalogue by its managers: gone for everyone else, except the listeners
    # who own it (they keep streaming and downloading it; ``app.catalog.visibility``).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Hidden by a moderator (``app.catalog.moderation``); a takedown also ends owners' access.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_takedown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    release: Mapped[Release] = relationship(back_populates="tracks")

    @property
    def artist(self) -> Artist:
        return self.release.artist

    @property
    def is_public(self) -> bool:
        """Ready, not removed by its managers, not hidden by a moderator (its release's own
        state is the release's rule: ``app.catalog.visibility``)."""
        return self.status is TrackStatus.READY and self.removed_at is None and self.hidden_at is None

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    def __repr__(self) -> str:
        return f"<Track {self.id} {self.title}>"


class SearchDocument(db.Model):
    """What search reads: one row per artist, release, track and distinct tag, written only by
    the triggers of migration 0022 (and ``search_documents_rebuild()``), never by the app.

    ``name`` is the thing's own name (search ranks by its similarity to the query); ``tsv``
    weighs it A and ``context`` (artist and release names, tags) B for full-text matching
    and ranking; its words make the vocabulary, ``SearchWord``. Rows go with their artist,
    release or track (foreign keys cascade)."""

    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # a<id>, r<id>, t<id> or g<tag>
    kind: Mapped[str] = mapped_column(String(10))  # artist, release, track or tag
    artist_id: Mapped[int | None] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    context: Mapped[str] = mapped_column(Text, default="")
    tsv: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('simple'::regconfig, name), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, context), 'B')",
            persisted=True,
        ),
    )


class SearchWord(db.Model):
    """The catalogue's vocabulary: each distinct word (lexeme) of ``search_documents.tsv``,
    added by the triggers of migration 0026 and never removed by them (a stale word only
    suggests a spelling that then matches nothing; ``search_documents_rebuild()`` starts it
    afresh). Search looks up a query word's close spellings here, by trigram similarity: the
    table grows with the distinct words, not with the documents. It holds the words of drafts
    too, so it is never shown: a suggestion only widens a query whose results are checked."""

    __tablename__ = "search_words"
    __table_args__ = (
        Index("ix_search_words_word_trgm", "word", postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"}),
    )

    word: Mapped[str] = mapped_column(Text, primary_key=True)
