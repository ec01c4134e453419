"""analytics rollups (per track/artist/co-op per day, listener states, funnel, money per day,
cursors and gaps of the rollup job) and users.visible_to_artists

No ledger or governance table is touched (their guard triggers stay as they are).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 07:24:28.514116

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('analytics_artist_days',
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('plays', sa.Integer(), nullable=False),
    sa.Column('charged_plays', sa.Integer(), nullable=False),
    sa.Column('first_plays', sa.Integer(), nullable=False),
    sa.Column('artist_micro', sa.BigInteger(), nullable=False),
    sa.Column('coop_micro', sa.BigInteger(), nullable=False),
    sa.Column('artist_value', sa.BigInteger(), nullable=False),
    sa.Column('coop_value', sa.BigInteger(), nullable=False),
    sa.Column('buy_nows', sa.Integer(), nullable=False),
    sa.Column('buy_now_micro', sa.BigInteger(), nullable=False),
    sa.Column('previews', sa.Integer(), nullable=False),
    sa.Column('listeners', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('artist_id', 'day', name=op.f('pk_analytics_artist_days'))
    )
    op.create_table('analytics_artist_countries',
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('listeners', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('artist_id', 'country', name=op.f('pk_analytics_artist_countries'))
    )
    op.create_table('analytics_artist_listeners',
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('listener_id', sa.Integer(), nullable=False),
    sa.Column('plays', sa.Integer(), nullable=False),
    sa.Column('owned', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('artist_id', 'listener_id', name=op.f('pk_analytics_artist_listeners'))
    )
    op.create_table('analytics_coop_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('plays', sa.Integer(), nullable=False),
    sa.Column('charged_plays', sa.Integer(), nullable=False),
    sa.Column('first_plays', sa.Integer(), nullable=False),
    sa.Column('artist_micro', sa.BigInteger(), nullable=False),
    sa.Column('coop_micro', sa.BigInteger(), nullable=False),
    sa.Column('artist_value', sa.BigInteger(), nullable=False),
    sa.Column('coop_value', sa.BigInteger(), nullable=False),
    sa.Column('buy_nows', sa.Integer(), nullable=False),
    sa.Column('buy_now_micro', sa.BigInteger(), nullable=False),
    sa.Column('previews', sa.Integer(), nullable=False),
    sa.Column('listeners', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_analytics_coop_days'))
    )
    op.create_table('analytics_cursors',
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_analytics_cursors'))
    )
    op.create_table('analytics_funnel',
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('listeners', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('track_id', 'stage', name=op.f('pk_analytics_funnel'))
    )
    op.create_index('ix_analytics_funnel_artist_id', 'analytics_funnel', ['artist_id'], unique=False)

    op.create_table('analytics_gaps',
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('noticed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', 'item_id', name=op.f('pk_analytics_gaps'))
    )
    op.create_table('analytics_money_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('transfer_kind', sa.String(length=32), nullable=False),
    sa.Column('account_kind', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('postings', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'transfer_kind', 'account_kind', name=op.f('pk_analytics_money_days'))
    )
    op.create_table('analytics_track_days',
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('plays', sa.Integer(), nullable=False),
    sa.Column('charged_plays', sa.Integer(), nullable=False),
    sa.Column('first_plays', sa.Integer(), nullable=False),
    sa.Column('artist_micro', sa.BigInteger(), nullable=False),
    sa.Column('coop_micro', sa.BigInteger(), nullable=False),
    sa.Column('artist_value', sa.BigInteger(), nullable=False),
    sa.Column('coop_value', sa.BigInteger(), nullable=False),
    sa.Column('buy_nows', sa.Integer(), nullable=False),
    sa.Column('buy_now_micro', sa.BigInteger(), nullable=False),
    sa.Column('previews', sa.Integer(), nullable=False),
    sa.Column('listeners', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('track_id', 'day', name=op.f('pk_analytics_track_days'))
    )
    op.create_index('ix_analytics_track_days_artist_id_day', 'analytics_track_days', ['artist_id', 'day'], unique=False)

    op.create_table('analytics_track_listeners',
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('listener_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('plays', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('owned', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('track_id', 'listener_id', name=op.f('pk_analytics_track_listeners'))
    )
    op.add_column('users', sa.Column('visible_to_artists', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('ix_users_visible', 'users', ['id'], unique=False,
                    postgresql_where=sa.text('visible_to_artists'))



def downgrade():
    op.drop_index('ix_users_visible', table_name='users')
    op.drop_column('users', 'visible_to_artists')

    op.drop_table('analytics_track_listeners')
    op.drop_index('ix_analytics_track_days_artist_id_day', table_name='analytics_track_days')

    op.drop_table('analytics_track_days')
    op.drop_table('analytics_money_days')
    op.drop_table('analytics_gaps')
    op.drop_index('ix_analytics_funnel_artist_id', table_name='analytics_funnel')

    op.drop_table('analytics_funnel')
    op.drop_table('analytics_cursors')
    op.drop_table('analytics_coop_days')
    op.drop_table('analytics_artist_listeners')
    op.drop_table('analytics_artist_countries')
    op.drop_table('analytics_artist_days')
