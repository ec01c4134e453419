"""audio versions: track_audio.version and tag_disc_number, and audio_replacements (new audio
for a track, processed while the current version keeps serving)

Existing rows are version 1 (their objects keep their keys, ``tracks/<id>/<name>``).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('track_audio', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))
        batch_op.add_column(sa.Column('tag_disc_number', sa.Integer(), nullable=True))
    op.create_table('audio_replacements',
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('processing', 'failed', name='replacement_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('original_key', sa.String(length=500), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('original_size', sa.BigInteger(), nullable=False),
    sa.Column('original_format', sa.String(length=16), nullable=False),
    sa.Column('original_mime', sa.String(length=50), nullable=False),
    sa.Column('source_duration_ms', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['artist_id'], ['artists.id'], name=op.f('fk_audio_replacements_artist_id_artists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], name=op.f('fk_audio_replacements_track_id_tracks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_audio_replacements_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('track_id', name=op.f('pk_audio_replacements'))
    )
    op.create_index(op.f('ix_audio_replacements_artist_id'), 'audio_replacements', ['artist_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_audio_replacements_artist_id'), table_name='audio_replacements')
    op.drop_table('audio_replacements')
    with op.batch_alter_table('track_audio', schema=None) as batch_op:
        batch_op.drop_column('tag_disc_number')
        batch_op.drop_column('version')
