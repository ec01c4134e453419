"""users.language: the language an account's pages are shown in (None: the browser's)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 06:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    op.drop_column("users", "language")
