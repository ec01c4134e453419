"""admin: suspended accounts (users.suspended_at, suspension_reason), hidden tracks and
releases (hidden_at, hidden_reason, hidden_takedown), reports of tracks and releases
(content_reports) and the append-only audit log of admin actions (admin_audit_log, with a
trigger refusing UPDATE and DELETE: a frozen copy of app.admin.models.AUDIT_GUARDS)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 05:49:41.097723

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

AUDIT_GUARDS = [
    "CREATE OR REPLACE FUNCTION admin_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
    "    MESSAGE = 'admin_audit_log is append-only: rows are never changed or deleted';\n"
    "END $$",
    "CREATE TRIGGER admin_audit_log_append_only BEFORE UPDATE OR DELETE ON admin_audit_log"
    " FOR EACH ROW EXECUTE FUNCTION admin_audit_refuse_change()",
]


def upgrade():
    op.create_table('admin_audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target_type', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_admin_audit_log_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_audit_log'))
    )
    op.create_index(op.f('ix_admin_audit_log_action'), 'admin_audit_log', ['action'], unique=False)
    op.create_index(op.f('ix_admin_audit_log_actor_id'), 'admin_audit_log', ['actor_id'], unique=False)
    op.create_index(op.f('ix_admin_audit_log_at'), 'admin_audit_log', ['at'], unique=False)
    op.create_index('ix_admin_audit_log_target', 'admin_audit_log', ['target_type', 'target_id'], unique=False)
    for statement in AUDIT_GUARDS:
        op.execute(statement)
    op.create_table('content_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=True),
    sa.Column('release_id', sa.Integer(), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'hidden', 'dismissed')", name=op.f('ck_content_reports_known_status')),
    sa.CheckConstraint('(track_id IS NULL) <> (release_id IS NULL)', name=op.f('ck_content_reports_one_target')),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_content_reports_release_id_releases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_content_reports_reporter_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_content_reports_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], name=op.f('fk_content_reports_track_id_tracks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_reports'))
    )
    op.create_index(op.f('ix_content_reports_release_id'), 'content_reports', ['release_id'], unique=False)
    op.create_index(op.f('ix_content_reports_reporter_id'), 'content_reports', ['reporter_id'], unique=False)
    op.create_index(op.f('ix_content_reports_status'), 'content_reports', ['status'], unique=False)
    op.create_index(op.f('ix_content_reports_track_id'), 'content_reports', ['track_id'], unique=False)
    op.add_column('releases', sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('releases', sa.Column('hidden_reason', sa.Text(), nullable=True))
    op.add_column('releases', sa.Column('hidden_takedown', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('tracks', sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('tracks', sa.Column('hidden_reason', sa.Text(), nullable=True))
    op.add_column('tracks', sa.Column('hidden_takedown', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('users', sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('suspension_reason', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('users', 'suspension_reason')
    op.drop_column('users', 'suspended_at')
    op.drop_column('tracks', 'hidden_takedown')
    op.drop_column('tracks', 'hidden_reason')
    op.drop_column('tracks', 'hidden_at')
    op.drop_column('releases', 'hidden_takedown')
    op.drop_column('releases', 'hidden_reason')
    op.drop_column('releases', 'hidden_at')
    op.drop_index(op.f('ix_content_reports_track_id'), table_name='content_reports')
    op.drop_index(op.f('ix_content_reports_status'), table_name='content_reports')
    op.drop_index(op.f('ix_content_reports_reporter_id'), table_name='content_reports')
    op.drop_index(op.f('ix_content_reports_release_id'), table_name='content_reports')
    op.drop_table('content_reports')
    op.drop_index('ix_admin_audit_log_target', table_name='admin_audit_log')
    op.drop_index(op.f('ix_admin_audit_log_at'), table_name='admin_audit_log')
    op.drop_index(op.f('ix_admin_audit_log_actor_id'), table_name='admin_audit_log')
    op.drop_index(op.f('ix_admin_audit_log_action'), table_name='admin_audit_log')
    op.drop_table('admin_audit_log')
    op.execute("DROP FUNCTION IF EXISTS admin_audit_refuse_change()")
