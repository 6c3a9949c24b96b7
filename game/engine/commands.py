"""The commands a workshop understands, each naming who may send it.

Commands carry only what the sender chose; who sent it (the ``Actor``) comes from
the server's authentication, never from the payload. Commands that belong to a
round carry the round they were meant for, so a stale one can be refused.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .state import Role


@dataclass(frozen=True)
class Command:
    """Base class; ``ROLES`` says who may send the command, ``AFTER_END`` whether it is for the debrief."""

    ROLES = frozenset()
    AFTER_END = False


# --- participants -----------------------------------------------------------


@dataclass(frozen=True)
class JoinWorkshop(Command):
    """A phone joins with a display name and becomes a player."""

    ROLES = frozenset({Role.GUEST})
    player_id: str
    name: str
    device: str = ""  # the phone's device id as the server hashed it: a removed phone is recognised by it


@dataclass(frozen=True)
class JoinTeam(Command):
    """A player joins an existing team."""

    ROLES = frozenset({Role.PLAYER})
    team_id: str


@dataclass(frozen=True)
class CreateTeam(Command):
    """A player creates a team and joins it."""

    ROLES = frozenset({Role.PLAYER})
    team_id: str
    name: str


@dataclass(frozen=True)
class SubmitPick(Command):
    """A player proposes a response to the team.

    ``client_id`` makes a repeat harmless; ``seq`` (increasing per phone, e.g. its clock in ms when the
    pick was made) makes an older pick that arrives late unable to undo a newer one.
    """

    ROLES = frozenset({Role.PLAYER})
    round: int
    response_id: str = ""
    client_id: str = ""
    seq: int = 0
    text: str = ""  # open card: the proposed answer, instead of a response id


@dataclass(frozen=True)
class LockIn(Command):
    """The team's captain locks in the team's answer with an optional one-line why.

    On an open card the answer is ``text``, the team's own words, and ``response_id`` stays empty.
    """

    ROLES = frozenset({Role.PLAYER})
    round: int
    response_id: str = ""
    why: str = ""
    text: str = ""


# --- facilitator ------------------------------------------------------------


@dataclass(frozen=True)
class AddTeam(Command):
    """The facilitator presets a team."""

    ROLES = frozenset({Role.FACILITATOR})
    team_id: str
    name: str


@dataclass(frozen=True)
class RenameTeam(Command):
    """The facilitator renames a team."""

    ROLES = frozenset({Role.FACILITATOR})
    team_id: str
    name: str


@dataclass(frozen=True)
class RenamePlayer(Command):
    """The facilitator renames a participant (the same rules as a name at joining)."""

    ROLES = frozenset({Role.FACILITATOR})
    player_id: str
    name: str


@dataclass(frozen=True)
class MovePlayer(Command):
    """The facilitator moves a player to another team (or out of every team with None)."""

    ROLES = frozenset({Role.FACILITATOR})
    player_id: str
    team_id: str | None


@dataclass(frozen=True)
class RemovePlayer(Command):
    """The facilitator removes a player from the workshop."""

    ROLES = frozenset({Role.FACILITATOR})
    player_id: str


@dataclass(frozen=True)
class AllowBack(Command):
    """The facilitator lets a removed participant's phone join again (under any name)."""

    ROLES = frozenset({Role.FACILITATOR})
    player_id: str


@dataclass(frozen=True)
class MakeCaptain(Command):
    """The facilitator makes a player the captain of their team."""

    ROLES = frozenset({Role.FACILITATOR})
    player_id: str


@dataclass(frozen=True)
class PassCaptaincy(Command):
    """The server saw the captain's phone away (see ``game.captaincy``): captaincy passes to a connected member.

    Refused unless ``from_id`` is still the team's captain, so a second process that saw the same absence (or a
    facilitator who chose meanwhile) changes nothing.
    """

    ROLES = frozenset({Role.SYSTEM})
    team_id: str
    from_id: str
    to_id: str


@dataclass(frozen=True)
class SetTeamSize(Command):
    """Change how many players a team may have; participants joining a team respect it, the facilitator's own
    moves do not (a team that is over the new size keeps its members)."""

    ROLES = frozenset({Role.FACILITATOR})
    team_size: int


@dataclass(frozen=True)
class DealCard(Command):
    """Deal the next card; ``round`` is the index of the round this opens."""

    ROLES = frozenset({Role.FACILITATOR})
    round: int


@dataclass(frozen=True)
class StartTimer(Command):
    """Start the round's countdown: ``seconds`` from now; None resumes a stopped countdown from the time it had
    left, else uses the workshop's timer length."""

    ROLES = frozenset({Role.FACILITATOR})
    round: int
    seconds: int | None = None


@dataclass(frozen=True)
class ExtendTimer(Command):
    """Add seconds to the running countdown."""

    ROLES = frozenset({Role.FACILITATOR})
    round: int
    seconds: int = 30


@dataclass(frozen=True)
class StopTimer(Command):
    """Stop the countdown; the round stays open until the facilitator locks it."""

    ROLES = frozenset({Role.FACILITATOR})
    round: int


@dataclass(frozen=True)
class LockRound(Command):
    """Close the round: every team that has not locked in is locked on its captain's pick, else on the pick most
    of its members chose (see ``rules.team_choice``)."""

    ROLES = frozenset({Role.FACILITATOR})
    round: int


@dataclass(frozen=True)
class ExpireTimer(Command):
    """The server's clock says the countdown ran out: lock the round like LockRound."""

    ROLES = frozenset({Role.SYSTEM})
    round: int


@dataclass(frozen=True)
class Reveal(Command):
    """Show the picks and the best response; draft every team's scores from the card's key."""

    ROLES = frozenset({Role.FACILITATOR})
    round: int


@dataclass(frozen=True)
class Spotlight(Command):
    """Show one team's own answer to an open card on the big screen (``team_id`` None: show none)."""

    ROLES = frozenset({Role.FACILITATOR})
    round: int
    team_id: str | None = None


@dataclass(frozen=True)
class ScoreTeam(Command):
    """Set a team's points for the round (0-3 per dimension, the flag, a 0-2 bonus for the why)."""

    ROLES = frozenset({Role.FACILITATOR})
    round: int
    team_id: str
    attention: int
    ease: int
    resolution: int
    ownership: int
    proportion: int
    flag: bool = False
    bonus: int = 0


@dataclass(frozen=True)
class PublishScores(Command):
    """Publish the round's scores: the leaderboard moves."""

    ROLES = frozenset({Role.FACILITATOR})
    round: int


@dataclass(frozen=True)
class SetLeaderboard(Command):
    """Show or hide the leaderboard on the screen and the phones."""

    ROLES = frozenset({Role.FACILITATOR})
    visible: bool


@dataclass(frozen=True)
class EndWorkshop(Command):
    """End the workshop: the podium and the debrief."""

    ROLES = frozenset({Role.FACILITATOR})


@dataclass(frozen=True)
class LeaveCommitment(Command):
    """At the end, a participant leaves one commitment ("one small kindness I will do"); a new one replaces it."""

    ROLES = frozenset({Role.PLAYER})
    AFTER_END = True
    text: str


@dataclass(frozen=True)
class ReviewCommitment(Command):
    """The facilitator approves a commitment for the screen, or hides it."""

    ROLES = frozenset({Role.FACILITATOR})
    AFTER_END = True
    player_id: str
    approved: bool


COMMANDS = {
    cls.__name__: cls
    for cls in (
        JoinWorkshop,
        JoinTeam,
        CreateTeam,
        SubmitPick,
        LockIn,
        AddTeam,
        RenameTeam,
        RenamePlayer,
        MovePlayer,
        RemovePlayer,
        AllowBack,
        MakeCaptain,
        PassCaptaincy,
        SetTeamSize,
        DealCard,
        StartTimer,
        ExtendTimer,
        StopTimer,
        LockRound,
        ExpireTimer,
        Reveal,
        Spotlight,
        ScoreTeam,
        PublishScores,
        SetLeaderboard,
        EndWorkshop,
        LeaveCommitment,
        ReviewCommitment,
    )
}

__all__ = ["Command", *COMMANDS]


def command_to_dict(command: Command) -> dict:
    """A command as JSON-ready data (what another server process needs to apply it too)."""
    return {"type": type(command).__name__, "fields": asdict(command)}


def command_from_dict(data: dict) -> Command:
    """The command ``command_to_dict`` described (KeyError or TypeError when it describes none)."""
    return COMMANDS[data["type"]](**data["fields"])
