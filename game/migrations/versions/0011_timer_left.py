"""A stopped countdown keeps the time it had left, so that "Start timer" resumes from it.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: no stopped countdown to resume (a round stopped before this revision starts over, as it did)
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(sa.Column("timer_left", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("timer_left")
