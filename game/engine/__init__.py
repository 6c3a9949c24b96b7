"""The pure rules of Aandacht: state, commands, rules and role views.

Nothing here imports Flask, SQLAlchemy or Socket.IO, and nothing reads the clock:
every rule takes ``now`` (seconds since the epoch) as an argument.
"""

from .cards import DIMENSIONS, LANGUAGES, MAX_POINTS, Card, Deck, Response, RubricKey, Text
from .commands import *  # noqa: F403 - the command vocabulary is the engine's public API
from .commands import COMMANDS
from .errors import GameError
from .rules import apply
from .state import (
    Actor,
    Answer,
    Commitment,
    Phase,
    Pick,
    Player,
    Removed,
    Role,
    Round,
    Score,
    Settings,
    State,
    Team,
    Workshop,
    new_state,
)
from .views import Views, build_views, leaderboard

__all__ = [
    "COMMANDS",
    "DIMENSIONS",
    "LANGUAGES",
    "MAX_POINTS",
    "Actor",
    "Answer",
    "Card",
    "Commitment",
    "Deck",
    "GameError",
    "Phase",
    "Pick",
    "Player",
    "Removed",
    "Response",
    "Role",
    "Round",
    "RubricKey",
    "Score",
    "Settings",
    "State",
    "Team",
    "Text",
    "Views",
    "Workshop",
    "apply",
    "build_views",
    "leaderboard",
    "new_state",
]
