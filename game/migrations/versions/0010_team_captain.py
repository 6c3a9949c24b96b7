"""Teams remember their captain: the facilitator (or the server, when the captain's phone is away) can pass it on.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: the earliest member is captain, as before this revision
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("captain_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("captain_id")
