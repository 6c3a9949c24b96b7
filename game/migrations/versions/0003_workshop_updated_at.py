"""Workshops remember when they last changed, so that old ones can be deleted after the retention period.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("updated_at", sa.Float(), nullable=True))
        batch.create_index("ix_workshops_updated_at", ["updated_at"])
    op.execute("UPDATE workshops SET updated_at = COALESCE(finished_at, created_at)")


def downgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.drop_index("ix_workshops_updated_at")
        batch.drop_column("updated_at")
