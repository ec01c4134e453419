"""payout fraud holds: users.registered_from, payouts held/voided, payout_holds

No ledger or governance table is touched (their guard triggers stay as they are).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 04:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_OLD_STATUSES = "'in_transit', 'paid', 'returned'"
_NEW_STATUSES = "'in_transit', 'paid', 'returned', 'held', 'voided'"


def _replace_status_check(statuses: str) -> None:
    # 0006 created the Enum's CHECK as "payout_status" (no naming convention in migrations);
    # a database made by create_all() has "ck_payouts_payout_status". Either goes.
    op.execute("ALTER TABLE payouts DROP CONSTRAINT IF EXISTS payout_status")
    op.execute("ALTER TABLE payouts DROP CONSTRAINT IF EXISTS ck_payouts_payout_status")
    op.create_check_constraint(op.f('ck_payouts_payout_status'), 'payouts', f"status IN ({statuses})")


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registered_from', sa.String(length=45), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_registered_from'), ['registered_from'], unique=False)

    _replace_status_check(_NEW_STATUSES)

    op.create_table('payout_holds',
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('suspects', sa.JSON(), nullable=False),
    sa.Column('period_credits', sa.BigInteger(), nullable=False),
    sa.Column('suspect_credits', sa.BigInteger(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=True),
    sa.Column('voided_credits', sa.BigInteger(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_payout_holds_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_payout_holds_payout_id_payouts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('payout_id', name=op.f('pk_payout_holds'))
    )


def downgrade():
    op.drop_table('payout_holds')
    op.execute("DELETE FROM payouts WHERE status IN ('held', 'voided')")
    _replace_status_check(_OLD_STATUSES)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_registered_from'))
        batch_op.drop_column('registered_from')
