"""streaming: play sessions (the ledger key of each counted play) and preview plays

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 07:23:01.617595

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plays',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('listener_id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('track_free', sa.Boolean(), nullable=False),
    sa.Column('listener_is_artist', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('count_after_ms', sa.Integer(), nullable=False),
    sa.Column('position_ms', sa.Integer(), nullable=False),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ledger_play_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['listener_id'], ['users.id'], name=op.f('fk_plays_listener_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], name=op.f('fk_plays_track_id_tracks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plays'))
    )
    op.create_index('ix_plays_listener_id_expires_at', 'plays', ['listener_id', 'expires_at'], unique=False)
    op.create_index('ix_plays_listener_id_started_at', 'plays', ['listener_id', 'started_at'], unique=False)
    op.create_index(op.f('ix_plays_track_id'), 'plays', ['track_id'], unique=False)

    op.create_table('preview_plays',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('listener_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['listener_id'], ['users.id'], name=op.f('fk_preview_plays_listener_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], name=op.f('fk_preview_plays_track_id_tracks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preview_plays'))
    )
    op.create_index(op.f('ix_preview_plays_listener_id'), 'preview_plays', ['listener_id'], unique=False)
    op.create_index('ix_preview_plays_track_id_at', 'preview_plays', ['track_id', 'at'], unique=False)



def downgrade():
    op.drop_index('ix_preview_plays_track_id_at', table_name='preview_plays')
    op.drop_index(op.f('ix_preview_plays_listener_id'), table_name='preview_plays')

    op.drop_table('preview_plays')
    op.drop_index(op.f('ix_plays_track_id'), table_name='plays')
    op.drop_index('ix_plays_listener_id_started_at', table_name='plays')
    op.drop_index('ix_plays_listener_id_expires_at', table_name='plays')

    op.drop_table('plays')
