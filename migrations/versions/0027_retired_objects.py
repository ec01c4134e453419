"""retired_objects: stored objects no row points at any more (a track's audio after it switched
to a new version), deleted by a periodic task once links to them have expired

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 12:45:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "retired_objects",
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("delete_after", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_retired_objects")),
    )
    op.create_index(op.f("ix_retired_objects_delete_after"), "retired_objects", ["delete_after"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_retired_objects_delete_after"), table_name="retired_objects")
    op.drop_table("retired_objects")
