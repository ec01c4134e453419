"""audio: the original, renditions, loudness and waveform of each uploaded track

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 06:51:41.588480

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # One row per uploaded track; (artist_id, sha256) unique catches the same file uploaded twice.
    op.create_table('track_audio',
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('original_key', sa.String(length=500), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('original_size', sa.BigInteger(), nullable=False),
    sa.Column('original_format', sa.String(length=16), nullable=False),
    sa.Column('original_mime', sa.String(length=50), nullable=False),
    sa.Column('source_duration_ms', sa.Integer(), nullable=False),
    sa.Column('stream_mp3_key', sa.String(length=500), nullable=True),
    sa.Column('stream_opus_key', sa.String(length=500), nullable=True),
    sa.Column('preview_key', sa.String(length=500), nullable=True),
    sa.Column('preview_start_ms', sa.Integer(), nullable=True),
    sa.Column('loudness_lufs', sa.Float(), nullable=True),
    sa.Column('true_peak_dbtp', sa.Float(), nullable=True),
    sa.Column('gain_db', sa.Float(), nullable=True),
    sa.Column('peaks', sa.JSON(), nullable=True),
    sa.Column('tag_title', sa.String(length=200), nullable=True),
    sa.Column('tag_artist', sa.String(length=200), nullable=True),
    sa.Column('tag_album', sa.String(length=200), nullable=True),
    sa.Column('tag_track_number', sa.Integer(), nullable=True),
    sa.Column('isrc', sa.String(length=12), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['artist_id'], ['artists.id'], name=op.f('fk_track_audio_artist_id_artists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], name=op.f('fk_track_audio_track_id_tracks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_track_audio_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('track_id', name=op.f('pk_track_audio')),
    sa.UniqueConstraint('artist_id', 'sha256', name=op.f('uq_track_audio_artist_id'))
    )


def downgrade():
    op.drop_table('track_audio')
