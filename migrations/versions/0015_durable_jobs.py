"""durable jobs (leases swept back to the queue) and queue worker heartbeats

No ledger or governance table is touched.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 04:20:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('durable_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_key', sa.String(length=300), nullable=False),
    sa.Column('task', sa.String(length=100), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_durable_jobs')),
    sa.UniqueConstraint('job_key', name=op.f('uq_durable_jobs_job_key'))
    )
    with op.batch_alter_table('durable_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_durable_jobs_lease_expires_at'), ['lease_expires_at'], unique=False)

    op.create_table('queue_workers',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_workers'))
    )
    with op.batch_alter_table('queue_workers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_workers_seen_at'), ['seen_at'], unique=False)


def downgrade():
    with op.batch_alter_table('queue_workers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_workers_seen_at'))
    op.drop_table('queue_workers')
    with op.batch_alter_table('durable_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_durable_jobs_lease_expires_at'))
    op.drop_table('durable_jobs')
