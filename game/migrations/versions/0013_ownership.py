"""Ownership and the secret links: who owns a deck or a workshop, a workshop's co-facilitators, the generation of
its console and screen links, the links it replaced, and the devices that opened them.

No foreign key to the users table yet (the accounts arrive in their own migration): the owner is a plain id. Every
existing deck and workshop has no owner until ``game.rights.adopt_orphans`` gives them to the first administrator;
existing workshops keep their links (generation 0: the screen key derived from the console key, as before).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decks") as batch:
        batch.add_column(sa.Column("owner_id", sa.String(length=32), nullable=True))
        batch.create_index("ix_decks_owner_id", ["owner_id"])
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("owner_id", sa.String(length=32), nullable=True))
        # 0: the links of a workshop made before generations (screen key = SHA-256 of the console key's text)
        batch.add_column(sa.Column("link_generation", sa.Integer(), nullable=False, server_default="0"))
        # the team names the workshop was created with, for "run again"; NULL: made before they were kept
        batch.add_column(sa.Column("preset_teams", sa.JSON(), nullable=True))
        batch.create_index("ix_workshops_owner_id", ["owner_id"])
    op.create_table(
        "co_facilitators",
        sa.Column("workshop_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("added_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workshop_id", "user_id"),
    )
    op.create_index("ix_co_facilitators_user_id", "co_facilitators", ["user_id"])
    op.create_table(
        "replaced_links",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("workshop_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("replaced_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_hash"),
    )
    op.create_index("ix_replaced_links_workshop_id", "replaced_links", ["workshop_id"])
    op.create_table(
        "link_devices",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workshop_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=120), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_link_devices_workshop_id", "link_devices", ["workshop_id"])


def downgrade() -> None:
    op.drop_table("link_devices")
    op.drop_table("replaced_links")
    op.drop_table("co_facilitators")
    with op.batch_alter_table("workshops") as batch:
        batch.drop_index("ix_workshops_owner_id")
        batch.drop_column("preset_teams")
        batch.drop_column("link_generation")
        batch.drop_column("owner_id")
    with op.batch_alter_table("decks") as batch:
        batch.drop_index("ix_decks_owner_id")
        batch.drop_column("owner_id")
