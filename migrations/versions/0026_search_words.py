"""search_words: the catalogue's vocabulary (the distinct words of search_documents.tsv), with
a trigram index, for the typo pass of search

Kept by statement-level triggers on search_documents (one statement per bulk load, reading the
rows it wrote from a transition table). Words are only added: a stale word suggests a spelling
that then matches nothing. ``search_documents_rebuild()`` now rebuilds the vocabulary too.

The trigram index on search_documents.name goes: search no longer matches names by trigrams
(its posting lists grew with every document).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 07:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# Frozen here: a later change is a new revision. Not named FUNCTIONS (the ledger's, to the tests).
WORD_FUNCTIONS = [
    # Ordered, so two transactions adding the same new words take their index locks in the same
    # order (ON CONFLICT waits for an uncommitted twin; a committed word is skipped, no lock).
    """
    CREATE OR REPLACE FUNCTION search_words_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO search_words (word)
        SELECT DISTINCT w FROM new_rows, unnest(tsvector_to_array(new_rows.tsv)) AS w ORDER BY w
      ON CONFLICT (word) DO NOTHING;
      RETURN NULL;
    END $$
    """,
    # As in 0022, and the vocabulary from scratch, written here rather than left to the
    # triggers: a bulk load may run with triggers off (session_replication_role = replica).
    """
    CREATE OR REPLACE FUNCTION search_documents_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM search_documents;
      DELETE FROM search_words;
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
      INSERT INTO search_words (word)
        SELECT DISTINCT unnest(tsvector_to_array(tsv)) FROM search_documents
      ON CONFLICT (word) DO NOTHING;
      RETURN (SELECT count(*) FROM search_documents);
    END $$
    """,
]

# A trigger with transition tables takes one event.
WORD_TRIGGERS = [
    "CREATE TRIGGER search_words_insert AFTER INSERT ON search_documents"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_words_add()",
    "CREATE TRIGGER search_words_update AFTER UPDATE ON search_documents"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_words_add()",
]

# 0022's search_documents_rebuild(), for the downgrade.
REBUILD_0022 = """
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
    """


def upgrade():
    op.create_table(
        "search_words",
        sa.Column("word", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_words")),
    )
    # The triggers first: CREATE TRIGGER waits for the writers of search_documents, and every
    # later one fires them; the backfill then sees all earlier writes. In word order: the
    # spellings a lookup rechecks share their first letters, so they sit on few pages (a third
    # faster at 1M tracks). The trigram index last: one build instead of an insert per word.
    for statement in WORD_FUNCTIONS + WORD_TRIGGERS:
        op.execute(statement)
    op.execute(
        "INSERT INTO search_words (word)"
        " SELECT DISTINCT unnest(tsvector_to_array(tsv)) FROM search_documents ORDER BY 1 ON CONFLICT (word) DO NOTHING"
    )
    op.create_index(
        "ix_search_words_word_trgm",
        "search_words",
        ["word"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    )
    op.drop_index("ix_search_documents_name_trgm", table_name="search_documents", postgresql_using="gin")


def downgrade():
    op.create_index(
        "ix_search_documents_name_trgm",
        "search_documents",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.execute("DROP TRIGGER IF EXISTS search_words_update ON search_documents")
    op.execute("DROP TRIGGER IF EXISTS search_words_insert ON search_documents")
    op.execute(REBUILD_0022)
    op.execute("DROP FUNCTION IF EXISTS search_words_add()")
    op.drop_index("ix_search_words_word_trgm", table_name="search_words", postgresql_using="gin")
    op.drop_table("search_words")
