"""library: favourite tracks and releases, followed artists, playlists and their items, the
library preferences (new-release mail, off by default) and the releases already announced

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 05:50:13

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "artist_follows",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artists.id"], name=op.f("fk_artist_follows_artist_id_artists"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_artist_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "artist_id", name=op.f("pk_artist_follows")),
    )
    op.create_index(op.f("ix_artist_follows_artist_id"), "artist_follows", ["artist_id"], unique=False)
    op.create_table(
        "library_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("mail_new_releases", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_library_preferences_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_library_preferences")),
    )
    op.create_table(
        "playlists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("share_token", sa.String(length=43), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_playlists_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playlists")),
        sa.UniqueConstraint("share_token", name=op.f("uq_playlists_share_token")),
    )
    op.create_index(op.f("ix_playlists_owner_id"), "playlists", ["owner_id"], unique=False)
    op.create_table(
        "favourite_releases",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_favourite_releases_release_id_releases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_favourite_releases_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "release_id", name=op.f("pk_favourite_releases")),
    )
    op.create_index(op.f("ix_favourite_releases_release_id"), "favourite_releases", ["release_id"], unique=False)
    op.create_table(
        "release_announcements",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mails", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_announcements_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_release_announcements")),
    )
    op.create_table(
        "favourite_tracks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_favourite_tracks_track_id_tracks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_favourite_tracks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "track_id", name=op.f("pk_favourite_tracks")),
    )
    op.create_index(op.f("ix_favourite_tracks_track_id"), "favourite_tracks", ["track_id"], unique=False)
    op.create_table(
        "playlist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playlist_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["playlist_id"], ["playlists.id"], name=op.f("fk_playlist_items_playlist_id_playlists"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_playlist_items_track_id_tracks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playlist_items")),
    )
    op.create_index(
        "ix_playlist_items_playlist_id_position", "playlist_items", ["playlist_id", "position"], unique=False
    )
    op.create_index(op.f("ix_playlist_items_track_id"), "playlist_items", ["track_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_playlist_items_track_id"), table_name="playlist_items")
    op.drop_index("ix_playlist_items_playlist_id_position", table_name="playlist_items")
    op.drop_table("playlist_items")
    op.drop_index(op.f("ix_favourite_tracks_track_id"), table_name="favourite_tracks")
    op.drop_table("favourite_tracks")
    op.drop_table("release_announcements")
    op.drop_index(op.f("ix_favourite_releases_release_id"), table_name="favourite_releases")
    op.drop_table("favourite_releases")
    op.drop_index(op.f("ix_playlists_owner_id"), table_name="playlists")
    op.drop_table("playlists")
    op.drop_table("library_preferences")
    op.drop_index(op.f("ix_artist_follows_artist_id"), table_name="artist_follows")
    op.drop_table("artist_follows")
