"""payments: orders, payment events, receivables, payout destinations, runs and payouts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 07:25:48.255651

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payout_destinations',
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('stripe', 'bank', name='payout_method', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('stripe_account_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_ready', sa.Boolean(), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=True),
    sa.Column('account_holder', sa.String(length=200), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['artist_id'], ['artists.id'], name=op.f('fk_payout_destinations_artist_id_artists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_payout_destinations_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('artist_id', name=op.f('pk_payout_destinations')),
    sa.UniqueConstraint('stripe_account_id', name=op.f('uq_payout_destinations_stripe_account_id'))
    )
    op.create_table('payout_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='payout_run_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('paid', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_payout_runs_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_runs'))
    )
    op.create_index(op.f('ix_payout_runs_period'), 'payout_runs', ['period'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('credit_pack', 'member_share', name='order_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'paid', 'failed', 'refunded', name='order_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('provider', sa.Enum('stripe', 'test', name='payment_provider', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.Column('member_class', sa.Enum('listener', 'artist', 'worker', name='order_member_class', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('credit_price_cents', sa.Integer(), nullable=True),
    sa.Column('pricing_version_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.String(length=255), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('charge_id', sa.String(length=255), nullable=True),
    sa.Column('ledger_transfer_id', sa.Integer(), nullable=True),
    sa.Column('membership_id', sa.Integer(), nullable=True),
    sa.Column('refunded_cents', sa.Integer(), nullable=False),
    sa.Column('refunded_credits', sa.BigInteger(), nullable=False),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'credit_pack' AND credits > 0 AND member_class IS NULL) OR (kind = 'member_share' AND credits = 0 AND member_class IS NOT NULL)", name=op.f('ck_orders_what_is_bought')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_orders_amount_positive')),
    sa.CheckConstraint('credits >= 0 AND refunded_credits >= 0 AND refunded_cents >= 0', name=op.f('ck_orders_non_negative')),
    sa.CheckConstraint('refunded_cents <= amount_cents', name=op.f('ck_orders_refund_at_most_amount')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_orders_membership_id_memberships'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_orders_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('session_id', name=op.f('uq_orders_session_id'))
    )
    op.create_index(op.f('ix_orders_payment_intent_id'), 'orders', ['payment_intent_id'], unique=False)
    op.create_index('ix_orders_status_paid_at', 'orders', ['status', 'paid_at'], unique=False)
    op.create_index('ix_orders_user_id_id', 'orders', ['user_id', 'id'], unique=False)

    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.Enum('stripe', 'bank', name='payout_payout_method', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('in_transit', 'paid', 'returned', name='payout_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('credit_price_cents', sa.Integer(), nullable=False),
    sa.Column('stripe_account_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_transfer_id', sa.String(length=255), nullable=True),
    sa.Column('bank_reference', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0 AND credits > 0', name=op.f('ck_payouts_amounts_positive')),
    sa.ForeignKeyConstraint(['artist_id'], ['artists.id'], name=op.f('fk_payouts_artist_id_artists'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['payout_runs.id'], name=op.f('fk_payouts_run_id_payout_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts')),
    sa.UniqueConstraint('artist_id', 'period', name=op.f('uq_payouts_artist_id')),
    sa.UniqueConstraint('stripe_transfer_id', name=op.f('uq_payouts_stripe_transfer_id'))
    )
    op.create_index(op.f('ix_payouts_artist_id'), 'payouts', ['artist_id'], unique=False)
    op.create_index(op.f('ix_payouts_run_id'), 'payouts', ['run_id'], unique=False)
    op.create_index('ix_payouts_status_method', 'payouts', ['status', 'method'], unique=False)

    op.create_table('payment_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=50), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payment_events_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_payment_events_payout_id_payouts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_events'))
    )
    op.create_index(op.f('ix_payment_events_order_id'), 'payment_events', ['order_id'], unique=False)
    op.create_index(op.f('ix_payment_events_payout_id'), 'payment_events', ['payout_id'], unique=False)

    op.create_table('receivables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('credits > 0', name=op.f('ck_receivables_credits_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_receivables_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_receivables_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receivables')),
    sa.UniqueConstraint('key', name=op.f('uq_receivables_key'))
    )
    op.create_index(op.f('ix_receivables_order_id'), 'receivables', ['order_id'], unique=False)
    op.create_index(op.f('ix_receivables_user_id'), 'receivables', ['user_id'], unique=False)

    # Artists' statements read plays by (artist, time). A plain CREATE INDEX, never a batch
    # ("copy table") operation: ledger_plays carries guard triggers a table copy would drop.
    op.create_index('ix_ledger_plays_artist_id_created_at', 'ledger_plays', ['artist_id', 'created_at'], unique=False)



def downgrade():
    op.drop_index('ix_ledger_plays_artist_id_created_at', table_name='ledger_plays')

    op.drop_index(op.f('ix_receivables_user_id'), table_name='receivables')
    op.drop_index(op.f('ix_receivables_order_id'), table_name='receivables')

    op.drop_table('receivables')
    op.drop_index(op.f('ix_payment_events_payout_id'), table_name='payment_events')
    op.drop_index(op.f('ix_payment_events_order_id'), table_name='payment_events')

    op.drop_table('payment_events')
    op.drop_index('ix_payouts_status_method', table_name='payouts')
    op.drop_index(op.f('ix_payouts_run_id'), table_name='payouts')
    op.drop_index(op.f('ix_payouts_artist_id'), table_name='payouts')

    op.drop_table('payouts')
    op.drop_index('ix_orders_user_id_id', table_name='orders')
    op.drop_index('ix_orders_status_paid_at', table_name='orders')
    op.drop_index(op.f('ix_orders_payment_intent_id'), table_name='orders')

    op.drop_table('orders')
    op.drop_index(op.f('ix_payout_runs_period'), table_name='payout_runs')

    op.drop_table('payout_runs')
    op.drop_table('payout_destinations')
