"""Initial schema: workshops, teams, players, rounds, picks, answers, scores.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 09:24:36.134358
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('workshops',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('facilitator_key_hash', sa.String(length=64), nullable=False),
    sa.Column('screen_key_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('deck_id', sa.String(length=64), nullable=False),
    sa.Column('cards', sa.JSON(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('round_index', sa.Integer(), nullable=False),
    sa.Column('leaderboard_visible', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('finished_at', sa.Float(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshops_code'), ['code'], unique=True)
        batch_op.create_index(batch_op.f('ix_workshops_facilitator_key_hash'), ['facilitator_key_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_workshops_screen_key_hash'), ['screen_key_hash'], unique=True)

    op.create_table('answers',
    sa.Column('workshop_id', sa.String(length=32), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('response_id', sa.String(length=8), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('player_id', sa.String(length=32), nullable=True),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('auto', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workshop_id', 'round', 'team_id')
    )
    op.create_table('picks',
    sa.Column('workshop_id', sa.String(length=32), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('player_id', sa.String(length=32), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('response_id', sa.String(length=8), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workshop_id', 'round', 'player_id')
    )
    op.create_table('players',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('workshop_id', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=True),
    sa.Column('joined_at', sa.Float(), nullable=False),
    sa.Column('team_joined_at', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('players', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_players_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_players_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('rounds',
    sa.Column('workshop_id', sa.String(length=32), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.Float(), nullable=False),
    sa.Column('deadline', sa.Float(), nullable=True),
    sa.Column('locked_at', sa.Float(), nullable=True),
    sa.Column('revealed_at', sa.Float(), nullable=True),
    sa.Column('scored_at', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workshop_id', 'index')
    )
    op.create_table('scores',
    sa.Column('workshop_id', sa.String(length=32), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('attention', sa.Integer(), nullable=False),
    sa.Column('ease', sa.Integer(), nullable=False),
    sa.Column('resolution', sa.Integer(), nullable=False),
    sa.Column('ownership', sa.Integer(), nullable=False),
    sa.Column('proportion', sa.Integer(), nullable=False),
    sa.Column('flag', sa.Boolean(), nullable=False),
    sa.Column('bonus', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workshop_id', 'round', 'team_id')
    )
    op.create_table('teams',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('workshop_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_workshop_id'), ['workshop_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_workshop_id'))

    op.drop_table('teams')
    op.drop_table('scores')
    op.drop_table('rounds')
    with op.batch_alter_table('players', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_players_workshop_id'))
        batch_op.drop_index(batch_op.f('ix_players_token_hash'))

    op.drop_table('players')
    op.drop_table('picks')
    op.drop_table('answers')
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshops_screen_key_hash'))
        batch_op.drop_index(batch_op.f('ix_workshops_facilitator_key_hash'))
        batch_op.drop_index(batch_op.f('ix_workshops_code'))

    op.drop_table('workshops')
