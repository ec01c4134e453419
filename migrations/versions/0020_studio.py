"""studio: release details and a published/draft state, track lyrics, explicit flag and
removal, the artist profile (image, location, links), and invitations to manage an artist

Releases that exist already stay public: they are marked published when they were created.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('artists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('links', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('image_key', sa.String(length=500), nullable=True))
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('credits', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('license_note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
    op.execute('UPDATE releases SET published_at = created_at')
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lyrics', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('explicit', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('artist_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['artist_id'], ['artists.id'], name=op.f('fk_artist_invitations_artist_id_artists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_artist_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_artist_invitations_accepted_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_artist_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_artist_invitations_token_hash'))
    )
    op.create_index(op.f('ix_artist_invitations_artist_id'), 'artist_invitations', ['artist_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_artist_invitations_artist_id'), table_name='artist_invitations')
    op.drop_table('artist_invitations')
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.drop_column('removed_at')
        batch_op.drop_column('explicit')
        batch_op.drop_column('lyrics')
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.drop_column('published_at')
        batch_op.drop_column('license_note')
        batch_op.drop_column('credits')
        batch_op.drop_column('description')
    with op.batch_alter_table('artists', schema=None) as batch_op:
        batch_op.drop_column('image_key')
        batch_op.drop_column('links')
        batch_op.drop_column('location')
