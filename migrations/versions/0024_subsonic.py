"""subsonic: app passwords (sealed, for Subsonic token auth) and saved play queues

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 06:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "subsonic_app_passwords",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("sealed_password", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subsonic_app_passwords_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsonic_app_passwords")),
    )
    op.create_index(op.f("ix_subsonic_app_passwords_user_id"), "subsonic_app_passwords", ["user_id"], unique=False)
    op.create_table(
        "subsonic_play_queues",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("track_ids", sa.JSON(), nullable=False),
        sa.Column("current_track_id", sa.Integer(), nullable=True),
        sa.Column("position_ms", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subsonic_play_queues_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_subsonic_play_queues")),
    )


def downgrade():
    op.drop_table("subsonic_play_queues")
    op.drop_index(op.f("ix_subsonic_app_passwords_user_id"), table_name="subsonic_app_passwords")
    op.drop_table("subsonic_app_passwords")
