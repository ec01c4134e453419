"""abuse limits: users.failed_logins / users.locked_until (login lockout) and
starter_grant_claims (one starter grant per normalised email)

Accounts verified before this revision already got their grant under the old rule; they
are not back-filled (their emails were not normalised then), so the rule holds from now on.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    op.create_table('starter_grant_claims',
    sa.Column('email_digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_starter_grant_claims_user_id_users')),
    sa.PrimaryKeyConstraint('email_digest', name=op.f('pk_starter_grant_claims'))
    )
    op.create_index(op.f('ix_starter_grant_claims_user_id'), 'starter_grant_claims', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_starter_grant_claims_user_id'), table_name='starter_grant_claims')
    op.drop_table('starter_grant_claims')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
