"""People management: a player's device id (hashed per workshop) and the participants the facilitator removed.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("players") as batch:
        batch.add_column(sa.Column("device", sa.String(length=64), nullable=False, server_default=""))
    op.create_table(
        "removed_players",
        sa.Column("workshop_id", sa.String(length=32), nullable=False),
        sa.Column("player_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workshop_id", "player_id"),
    )


def downgrade() -> None:
    op.drop_table("removed_players")
    with op.batch_alter_table("players") as batch:
        batch.drop_column("device")
