"""Open cards: a pick or an answer can be a team's own text, and a round remembers the answer in the spotlight.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("picks") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(sa.Column("spotlight", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("spotlight")
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("text")
    with op.batch_alter_table("picks") as batch:
        batch.drop_column("text")
