"""play starts: an Idempotency-Key per start, the time of the last report, the start guard

``plays.start_key`` (unique per listener) lets a start be retried and answer the same play;
``plays.reported_at`` (the start, then each report that moved the position) tells an idle
play, which a start past the open-plays limit closes to make room; ``streaming_start_guard``
serialises one listener's starts and reads their open plays after the lock (see
``app.streaming.models.start_guard_statements``, of which ``GUARD`` is a frozen copy).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 04:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# A frozen copy of app.streaming.models.start_guard_statements() at this revision.
GUARD = [
    "CREATE OR REPLACE FUNCTION streaming_start_guard(p_listener integer, p_key text, p_now timestamptz,\n"
    "                                                 p_idle_before timestamptz)\n"
    "RETURNS TABLE(open_plays integer, idle_play text, replay_id text, replay_track_id integer,\n"
    "              replay_started_at timestamptz, replay_expires_at timestamptz, replay_count_after_ms integer)\n"
    "LANGUAGE plpgsql VOLATILE AS $$\n"
    "BEGIN\n"
    "  -- One start of a listener at a time, until its transaction ends.\n"
    "  PERFORM pg_advisory_xact_lock(1349280121, p_listener);\n"
    "  RETURN QUERY\n"
    "  SELECT (SELECT count(*)::integer FROM plays p\n"
    "          WHERE p.listener_id = p_listener AND p.ended_at IS NULL AND p.expires_at > p_now),\n"
    "         (SELECT p.id::text FROM plays p\n"
    "          WHERE p.listener_id = p_listener AND p.ended_at IS NULL AND p.expires_at > p_now\n"
    "            AND p.reported_at < p_idle_before\n"
    "          ORDER BY p.reported_at, p.id LIMIT 1),\n"
    "         k.id::text, k.track_id, k.started_at, k.expires_at, k.count_after_ms\n"
    "  FROM (SELECT 1) one LEFT JOIN plays k ON k.listener_id = p_listener AND k.start_key = p_key;\n"
    "END $$",
]


def upgrade():
    op.add_column('plays', sa.Column('start_key', sa.String(length=255), nullable=True))
    op.add_column('plays', sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE plays SET reported_at = started_at")
    op.alter_column('plays', 'reported_at', nullable=False)
    op.create_unique_constraint(op.f('uq_plays_listener_id_start_key'), 'plays', ['listener_id', 'start_key'])
    for statement in GUARD:
        op.execute(statement)


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS streaming_start_guard(integer, text, timestamptz, timestamptz)")
    op.drop_constraint(op.f('uq_plays_listener_id_start_key'), 'plays', type_='unique')
    op.drop_column('plays', 'reported_at')
    op.drop_column('plays', 'start_key')
