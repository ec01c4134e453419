"""metered streams: track_audio.stream_cuts (where each stream rendition can be cut) and
plays.metered_until_ms (the audio a play is handed before it counts); queues the
package_streams job that packages the tracks processed before this revision

Plays open at this revision keep their whole stream (metered_until_ms stays NULL): they end
within their track's length plus the grace. Tracks not yet packaged are packaged by the job,
or on their first metered play, whichever comes first.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 06:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('track_audio', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stream_cuts', sa.JSON(), nullable=True))
    with op.batch_alter_table('plays', schema=None) as batch_op:
        batch_op.add_column(sa.Column('metered_until_ms', sa.Integer(), nullable=True))
    # A durable job (app.core.jobs): requested long ago, so the first sweep sends it. Only when
    # there is something to package; asking twice is the same job.
    op.execute(
        "INSERT INTO durable_jobs (job_key, task, args, requested_at, attempts) "
        "SELECT 'package_streams:[]', 'package_streams', '[]', timestamptz '2000-01-01 00:00:00+00', 0 "
        "WHERE EXISTS (SELECT 1 FROM track_audio WHERE stream_mp3_key IS NOT NULL) "
        "ON CONFLICT (job_key) DO NOTHING"
    )


def downgrade():
    op.execute("DELETE FROM durable_jobs WHERE job_key = 'package_streams:[]'")
    with op.batch_alter_table('plays', schema=None) as batch_op:
        batch_op.drop_column('metered_until_ms')
    with op.batch_alter_table('track_audio', schema=None) as batch_op:
        batch_op.drop_column('stream_cuts')
