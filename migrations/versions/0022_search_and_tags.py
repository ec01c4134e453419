"""search and tags: release_tags (genre tags), search_documents (the search index: pg_trgm
trigram + full-text), kept by triggers on artists, releases, tracks and release_tags

The triggers are the only writers of search_documents. ``search_documents_rebuild()`` fills it
from scratch (used here and by ``flask demo synthesize``, whose bulk load runs without triggers).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 06:00:00

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# One statement per item (functions hold semicolons; not named FUNCTIONS, which means the
# ledger's money functions to tests/test_migrations.py). Frozen here: a later change is a new revision.
SEARCH_FUNCTIONS = [
    # Release documents of one artist's releases (p_artist) or of one release (p_release).
    """
    CREATE OR REPLACE FUNCTION search_upsert_releases(p_artist integer, p_release integer) RETURNS void
    LANGUAGE sql AS $$
      INSERT INTO search_documents (key, kind, artist_id, release_id, name, context)
      SELECT 'r' || r.id, 'release', r.artist_id, r.id, r.title,
             a.name || coalesce(' ' || (SELECT string_agg(replace(g.tag, '-', ' '), ' ' ORDER BY g.tag)
                                         FROM release_tags g WHERE g.release_id = r.id), '')
      FROM releases r JOIN artists a ON a.id = r.artist_id
      WHERE r.artist_id = p_artist OR r.id = p_release
      ON CONFLICT (key) DO UPDATE SET artist_id = EXCLUDED.artist_id, name = EXCLUDED.name,
                                      context = EXCLUDED.context
    $$
    """,
    # Track documents of one artist (p_artist), one release (p_release) or one track (p_track).
    """
    CREATE OR REPLACE FUNCTION search_upsert_tracks(p_artist integer, p_release integer, p_track integer)
    RETURNS void LANGUAGE sql AS $$
      INSERT INTO search_documents (key, kind, artist_id, release_id, track_id, name, context)
      SELECT 't' || t.id, 'track', r.artist_id, r.id, t.id, t.title, a.name || ' ' || r.title
      FROM tracks t JOIN releases r ON r.id = t.release_id JOIN artists a ON a.id = r.artist_id
      WHERE r.artist_id = p_artist OR t.release_id = p_release OR t.id = p_track
      ON CONFLICT (key) DO UPDATE SET artist_id = EXCLUDED.artist_id, release_id = EXCLUDED.release_id,
                                      name = EXCLUDED.name, context = EXCLUDED.context
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_index_artist() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO search_documents (key, kind, artist_id, name, context)
      VALUES ('a' || NEW.id, 'artist', NEW.id, NEW.name, '')
      ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name;
      IF TG_OP = 'UPDATE' THEN
        PERFORM search_upsert_releases(NEW.id, NULL);
        PERFORM search_upsert_tracks(NEW.id, NULL, NULL);
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_index_release() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM search_upsert_releases(NULL, NEW.id);
      IF TG_OP = 'UPDATE' THEN
        PERFORM search_upsert_tracks(NULL, NEW.id, NULL);
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_index_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM search_upsert_tracks(NULL, NULL, NEW.id);
      RETURN NULL;
    END $$
    """,
    # A tag changes its release's document; a distinct tag has its own document while in use.
    """
    CREATE OR REPLACE FUNCTION search_index_release_tag() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM search_upsert_releases(NULL, NEW.release_id);
        INSERT INTO search_documents (key, kind, name, context) VALUES ('g' || NEW.tag, 'tag', NEW.tag, '')
        ON CONFLICT (key) DO NOTHING;
      ELSE
        PERFORM search_upsert_releases(NULL, OLD.release_id);
        DELETE FROM search_documents WHERE key = 'g' || OLD.tag
          AND NOT EXISTS (SELECT 1 FROM release_tags WHERE tag = OLD.tag);
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_documents_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM search_documents;
      INSERT INTO search_documents (key, kind, artist_id, name, context)
        SELECT 'a' || id, 'artist', id, name, '' FROM artists;
      INSERT INTO search_documents (key, kind, name, context)
        SELECT DISTINCT 'g' || tag, 'tag', tag, '' FROM release_tags;
      INSERT INTO search_documents (key, kind, artist_id, release_id, name, context)
        SELECT 'r' || r.id, 'release', r.artist_id, r.id, r.title, a.name || coalesce(' ' || g.tags, '')
        FROM releases r JOIN artists a ON a.id = r.artist_id
        LEFT JOIN (SELECT release_id, string_agg(replace(tag, '-', ' '), ' ' ORDER BY tag) AS tags
                   FROM release_tags GROUP BY release_id) g ON g.release_id = r.id;
      INSERT INTO search_documents (key, kind, artist_id, release_id, track_id, name, context)
        SELECT 't' || t.id, 'track', r.artist_id, r.id, t.id, t.title, a.name || ' ' || r.title
        FROM tracks t JOIN releases r ON r.id = t.release_id JOIN artists a ON a.id = r.artist_id;
      RETURN (SELECT count(*) FROM search_documents);
    END $$
    """,
]

TRIGGERS = [
    "CREATE TRIGGER search_index AFTER INSERT OR UPDATE OF name ON artists"
    " FOR EACH ROW EXECUTE FUNCTION search_index_artist()",
    "CREATE TRIGGER search_index AFTER INSERT OR UPDATE OF title, artist_id ON releases"
    " FOR EACH ROW EXECUTE FUNCTION search_index_release()",
    "CREATE TRIGGER search_index AFTER INSERT OR UPDATE OF title, release_id ON tracks"
    " FOR EACH ROW EXECUTE FUNCTION search_index_track()",
    "CREATE TRIGGER search_index AFTER INSERT OR DELETE ON release_tags"
    " FOR EACH ROW EXECUTE FUNCTION search_index_release_tag()",
]


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "release_tags",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_release_tags_release_id_releases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("release_id", "tag", name=op.f("pk_release_tags")),
    )
    op.create_index(op.f("ix_release_tags_tag"), "release_tags", ["tag"], unique=False)
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=True),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column(
            "tsv",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('simple'::regconfig, name), 'A') || "
                "setweight(to_tsvector('simple'::regconfig, context), 'B')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artists.id"], name=op.f("fk_search_documents_artist_id_artists"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_search_documents_release_id_releases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_search_documents_track_id_tracks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("key", name=op.f("uq_search_documents_key")),
    )
    op.create_index(op.f("ix_search_documents_artist_id"), "search_documents", ["artist_id"], unique=False)
    op.create_index(op.f("ix_search_documents_release_id"), "search_documents", ["release_id"], unique=False)
    op.create_index(op.f("ix_search_documents_track_id"), "search_documents", ["track_id"], unique=False)
    op.create_index("ix_search_documents_tsv", "search_documents", ["tsv"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_search_documents_name_trgm",
        "search_documents",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    for statement in SEARCH_FUNCTIONS + TRIGGERS:
        op.execute(statement)
    op.execute("SELECT search_documents_rebuild()")


def downgrade():
    for table in ("release_tags", "tracks", "releases", "artists"):
        op.execute(f"DROP TRIGGER IF EXISTS search_index ON {table}")
    for name in (
        "search_documents_rebuild()",
        "search_index_release_tag()",
        "search_index_track()",
        "search_index_release()",
        "search_index_artist()",
        "search_upsert_tracks(integer, integer, integer)",
        "search_upsert_releases(integer, integer)",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
    op.drop_table("search_documents")
    op.drop_index(op.f("ix_release_tags_tag"), table_name="release_tags")
    op.drop_table("release_tags")
    # pg_trgm stays: other objects may use it, and it holds no data.
