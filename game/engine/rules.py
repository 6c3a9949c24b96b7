"""The rules: ``apply(state, actor, command, now) -> state``.

Every rule either returns a new state or raises ``GameError`` and changes nothing.
Permission is checked first (who may send this), then the phase and the round the
command was meant for (a stale command is refused), then the command's own values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import replace

from . import commands as c
from .cards import DIMENSIONS, MAX_POINTS
from .errors import GameError
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
    State,
    Team,
)

NAME_MAX = 30
WHY_MAX = 140
OPEN_MAX = 280  # an open card's own answer: a few sentences, readable on the big screen
COMMITMENT_MAX = 140
CLIENT_ID_MAX = 64
TIMER_MAX = 3600
EXTEND_MAX = 600
TEAM_SIZE_MIN, TEAM_SIZE_MAX = 1, 50  # as the create form allows
BONUS_MAX = 2
REMOVED_MESSAGE = "The facilitator has removed you from this workshop. Ask them to let you back in."

Rule = Callable[[State, Actor, c.Command, float], State]
RULES: dict[type, Rule] = {}


def rule(command_type: type) -> Callable[[Rule], Rule]:
    """Register the function below as the rule for ``command_type``."""

    def register(fn: Rule) -> Rule:
        RULES[command_type] = fn
        return fn

    return register


def apply(state: State, actor: Actor, command: c.Command, now: float) -> State:
    """Apply one command for one actor at time ``now``; raise GameError to refuse it."""
    fn = RULES.get(type(command))
    if fn is None:
        raise GameError("unknown_command", "This command is not known.")
    if actor.role not in command.ROLES:
        raise GameError("forbidden", _forbidden_message(actor))
    if state.phase is Phase.FINISHED and not (command.AFTER_END or isinstance(command, c.JoinWorkshop)):
        raise GameError("finished", "This workshop has ended.")
    return fn(state, actor, command, now)


def _forbidden_message(actor: Actor) -> str:
    """Explain a refused permission in words the sender understands."""
    if actor.role is Role.GUEST:
        return "Join the workshop with a name first."
    if actor.role is Role.PLAYER:
        return "Only the facilitator can do that."
    return "That is for participants, not for the facilitator."


# --- helpers ------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def clean_text(value: str, limit: int, what: str, *, required: bool = True) -> str:
    """Normalise a user's text (no control characters, single spaces) and enforce its limits."""
    if not isinstance(value, str):
        raise GameError("invalid", f"The {what} must be text.")
    text = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch in " \t\n")
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    if required and not text:
        raise GameError("invalid", f"The {what} cannot be empty.")
    if len(text) > limit:
        raise GameError("too_long", f"The {what} can be at most {limit} characters.")
    return text


def _with(table, key, value):
    """Return a new table with ``key`` set (or removed when value is None): O(log n), sharing the rest
    (``state.Table``), so the cost does not grow with the picks of earlier rounds."""
    return table.set(key, value)


def _set_workshop(state: State, **changes) -> State:
    """Return the state with workshop fields changed."""
    return replace(state, workshop=replace(state.workshop, **changes))


def _set_round(state: State, rnd: Round) -> State:
    """Return the state with one round replaced."""
    rounds = list(state.rounds)
    rounds[rnd.index] = rnd
    return replace(state, rounds=tuple(rounds))


def _player(state: State, actor: Actor) -> Player:
    """The acting player, who must still be in the workshop."""
    player = state.players.get(actor.player_id or "")
    if player is None:
        raise GameError("not_joined", "You are not in this workshop (any more). Join again.")
    return player


def _team(state: State, team_id: str) -> Team:
    """A team by id, or a clear error."""
    team = state.teams.get(team_id)
    if team is None:
        raise GameError("no_such_team", "That team does not exist.")
    return team


def _round_for(state: State, round_index: int, *phases: Phase) -> Round:
    """The current round, provided the command was meant for it and the phase allows it."""
    current = state.current_round
    if current is None or round_index != current.index:
        raise GameError(
            "stale",
            "That was meant for another card; the screen has moved on. Your view is up to date now.",
        )
    if state.phase not in phases:
        raise GameError("wrong_phase", _phase_message(state.phase))
    return current


def _phase_message(phase: Phase) -> str:
    """Explain why a command does not fit the phase."""
    return {
        Phase.LOBBY: "No card has been dealt yet.",
        Phase.COLLECTING: "The round is still open.",
        Phase.LOCKED: "The round is locked: no more picks.",
        Phase.REVEALED: "The answers have been revealed.",
        Phase.SCORED: "The scores are already published.",
        Phase.FINISHED: "This workshop has ended.",
    }[phase]


def _team_name(state: State, name: str, except_id: str | None = None) -> str:
    """Validate a team name and make sure no other team has it."""
    name = clean_text(name, NAME_MAX, "team name")
    for team in state.teams.values():
        if team.id != except_id and team.name.casefold() == name.casefold():
            raise GameError("name_taken", f"There is already a team called “{team.name}”.")
    return name


def _check_id(value: str, what: str) -> str:
    """Ids are made by the server; still refuse anything odd."""
    if not isinstance(value, str) or not value or len(value) > CLIENT_ID_MAX:
        raise GameError("invalid", f"The {what} is not valid.")
    return value


def _team_has_room(state: State, team_id: str) -> None:
    """Refuse when a team is full."""
    size = state.workshop.settings.team_size
    if len(state.members(team_id)) >= size:
        raise GameError("team_full", f"That team is full ({size} players).")


def _set_captain(state: State, team: Team, player_id: str | None) -> State:
    """Return the state with the team's captain set (None: the earliest member)."""
    return replace(state, teams=_with(state.teams, team.id, replace(team, captain_id=player_id)))


def _leave_captaincy(state: State, player: Player) -> State:
    """A captain who leaves their team (moved or removed) stops being its captain: the earliest member left takes
    over, and a player moved back later is not captain again by an old choice."""
    team = state.teams.get(player.team_id or "")
    if team is None or team.captain_id != player.id:
        return state
    return _set_captain(state, team, None)


# --- participants ---------------------------------------------------------------


@rule(c.JoinWorkshop)
def join_workshop(state: State, actor: Actor, cmd: c.JoinWorkshop, now: float) -> State:
    """A guest becomes a player; late joiners are welcome until the workshop ends."""
    if state.phase is Phase.FINISHED:
        raise GameError("finished", "This workshop has ended.")
    _check_id(cmd.player_id, "player id")
    if cmd.player_id in state.players:
        raise GameError("invalid", "That player already exists.")
    if not isinstance(cmd.device, str) or len(cmd.device) > CLIENT_ID_MAX:
        raise GameError("invalid", "The device id is not valid.")
    if state.removed_device(cmd.device) is not None:
        raise GameError("removed", REMOVED_MESSAGE)
    name = clean_text(cmd.name, NAME_MAX, "name")
    player = Player(id=cmd.player_id, name=name, joined_at=now, device=cmd.device)
    return replace(state, players=_with(state.players, player.id, player))


@rule(c.JoinTeam)
def join_team(state: State, actor: Actor, cmd: c.JoinTeam, now: float) -> State:
    """A player without a team joins one; in the lobby a player may still switch."""
    player = _player(state, actor)
    team = _team(state, cmd.team_id)
    if player.team_id == team.id:
        return state
    if player.team_id is not None and state.phase is not Phase.LOBBY:
        raise GameError("team_fixed", "Teams are fixed once the first card is dealt; ask the facilitator to move you.")
    _team_has_room(state, team.id)
    state = _leave_captaincy(state, player)
    moved = replace(player, team_id=team.id, team_joined_at=now)
    return replace(state, players=_with(state.players, player.id, moved))


@rule(c.CreateTeam)
def create_team(state: State, actor: Actor, cmd: c.CreateTeam, now: float) -> State:
    """A player creates a new team and joins it, when the facilitator allows that."""
    player = _player(state, actor)
    if not state.workshop.settings.teams_open:
        raise GameError("teams_closed", "The facilitator has set the teams; please pick one of them.")
    if player.team_id is not None and state.phase is not Phase.LOBBY:
        raise GameError("team_fixed", "Teams are fixed once the first card is dealt; ask the facilitator to move you.")
    _check_id(cmd.team_id, "team id")
    if cmd.team_id in state.teams:
        raise GameError("invalid", "That team already exists.")
    team = Team(id=cmd.team_id, name=_team_name(state, cmd.name), created_at=now)
    state = _leave_captaincy(state, player)
    moved = replace(player, team_id=team.id, team_joined_at=now)
    return replace(
        state,
        teams=_with(state.teams, team.id, team),
        players=_with(state.players, player.id, moved),
    )


def _member_in_round(state: State, actor: Actor, round_index: int, now: float) -> tuple[Player, Round]:
    """The acting player, who must be in a team, and the open round the command was meant for,
    while its countdown (if any) is still running: time up is time up, whenever the timer task runs."""
    player = _player(state, actor)
    rnd = _round_for(state, round_index, Phase.COLLECTING)
    if rnd.deadline is not None and now >= rnd.deadline:
        raise GameError("time_up", "Time is up: the round is closing.")
    if player.team_id is None:
        raise GameError("no_team", "Pick a team first.")
    return player, rnd


def _answerable(state: State, rnd: Round, team_id: str, response_id, text, *, required: bool) -> str:
    """Refuse when the team has already locked in or the answer does not fit the card; return the clean text.

    A choice card takes one of its response ids and no text; an open card takes the team's own text
    (``required`` when locking in; a draft may be empty) and no response id.
    """
    if (rnd.index, team_id) in state.answers:
        raise GameError("already_locked", "Your team has already locked in its answer.")
    card = state.card_of(rnd)
    if card.is_open:
        if response_id not in ("", None):
            raise GameError("invalid", "This card has no responses to pick: write your team's own answer.")
        return clean_text(text if text is not None else "", OPEN_MAX, "answer", required=required)
    if text not in ("", None):
        raise GameError("invalid", "Pick one of the card's responses; this card takes no written answer.")
    if not isinstance(response_id, str) or card.response(response_id) is None:
        raise GameError("no_such_response", "That response is not on this card.")
    return ""


@rule(c.SubmitPick)
def submit_pick(state: State, actor: Actor, cmd: c.SubmitPick, now: float) -> State:
    """A team member proposes a response; a repeat of the same pick changes nothing."""
    player, rnd = _member_in_round(state, actor, cmd.round, now)
    text = _answerable(state, rnd, player.team_id, cmd.response_id, cmd.text, required=False)
    response_id = cmd.response_id or ""
    client_id = cmd.client_id[:CLIENT_ID_MAX] if isinstance(cmd.client_id, str) else ""
    seq = cmd.seq if isinstance(cmd.seq, int) and not isinstance(cmd.seq, bool) and cmd.seq > 0 else 0
    old = state.picks.get((rnd.index, player.id))
    if old is not None and old.team_id == player.team_id:
        if old.response_id == response_id and old.text == text:
            return state  # a double tap or a re-sent pick: nothing new
        if client_id and client_id == old.client_id:
            return state  # the same pick sent again
        if seq and old.seq >= seq:
            return state  # an older pick arriving late does not undo a newer one
    if old is None and text == "" and state.card_of(rnd).is_open:
        return state  # an empty draft where there was none: nothing to keep
    pick = Pick(rnd.index, player.id, player.team_id, response_id, now, client_id, seq, text)
    return replace(state, picks=_with(state.picks, (rnd.index, player.id), pick))


@rule(c.LockIn)
def lock_in(state: State, actor: Actor, cmd: c.LockIn, now: float) -> State:
    """The captain locks in the team's answer; when every team has, the round locks."""
    player, rnd = _member_in_round(state, actor, cmd.round, now)
    captain = state.captain(player.team_id)
    if captain is None or captain.id != player.id:
        raise GameError("not_captain", f"Only your captain, {captain.name if captain else '?'}, can lock in.")
    text = _answerable(state, rnd, player.team_id, cmd.response_id, cmd.text, required=True)
    response_id = cmd.response_id or ""
    why = clean_text(cmd.why or "", WHY_MAX, "why", required=False)
    answer = Answer(rnd.index, player.team_id, response_id, why, player.id, now, text=text)
    pick = Pick(rnd.index, player.id, player.team_id, response_id, now, text=text)
    state = replace(
        state,
        answers=_with(state.answers, (rnd.index, player.team_id), answer),
        picks=_with(state.picks, (rnd.index, player.id), pick),
    )
    # every occupied team has locked in: counted first (without listing the teams), checked only when it may be so
    if len(state.answers.in_round(rnd.index)) >= state.occupied_teams() \
            and all((rnd.index, t.id) in state.answers for t in state.active_teams()):
        state = _lock(state, rnd, now, "teams")
    return state


# --- facilitator: teams and players ------------------------------------------------


@rule(c.AddTeam)
def add_team(state: State, actor: Actor, cmd: c.AddTeam, now: float) -> State:
    """The facilitator presets a team."""
    _check_id(cmd.team_id, "team id")
    if cmd.team_id in state.teams:
        raise GameError("invalid", "That team already exists.")
    team = Team(id=cmd.team_id, name=_team_name(state, cmd.name), created_at=now)
    return replace(state, teams=_with(state.teams, team.id, team))


@rule(c.RenameTeam)
def rename_team(state: State, actor: Actor, cmd: c.RenameTeam, now: float) -> State:
    """The facilitator renames a team."""
    team = _team(state, cmd.team_id)
    renamed = replace(team, name=_team_name(state, cmd.name, except_id=team.id))
    return replace(state, teams=_with(state.teams, team.id, renamed))


@rule(c.RenamePlayer)
def rename_player(state: State, actor: Actor, cmd: c.RenamePlayer, now: float) -> State:
    """The facilitator renames a participant: the same rules as a name at joining (names need not be unique)."""
    player = _in_workshop(state, cmd.player_id)
    name = clean_text(cmd.name, NAME_MAX, "name")
    if name == player.name:
        return state
    return replace(state, players=_with(state.players, player.id, replace(player, name=name)))


def _in_workshop(state: State, player_id: str) -> Player:
    """A player by id, or a clear error."""
    player = state.players.get(player_id)
    if player is None:
        raise GameError("no_such_player", "That player is not in this workshop.")
    return player


@rule(c.MovePlayer)
def move_player(state: State, actor: Actor, cmd: c.MovePlayer, now: float) -> State:
    """The facilitator moves a player, also into a full team (the facilitator's choice wins over the size limit,
    which binds participants joining by themselves); their pick in an open round stays with the old team, and a
    captain hands over to the earliest member left (``game.captaincy`` passes it on when that one's phone is away)."""
    player = _in_workshop(state, cmd.player_id)
    if cmd.team_id is not None:
        _team(state, cmd.team_id)
        if player.team_id == cmd.team_id:
            return state
    state = _leave_captaincy(state, player)
    moved = replace(player, team_id=cmd.team_id, team_joined_at=now if cmd.team_id else None)
    return replace(state, players=_with(state.players, player.id, moved))


@rule(c.RemovePlayer)
def remove_player(state: State, actor: Actor, cmd: c.RemovePlayer, now: float) -> State:
    """The facilitator removes a player; their team's locked answers stay, and a captain hands over. Their phone
    cannot join again (under any name) until the facilitator allows it back."""
    player = _in_workshop(state, cmd.player_id)
    state = _leave_captaincy(state, player)
    picks = {(r.index, cmd.player_id): None for r in state.rounds}  # a player has at most one pick per round
    return replace(
        state,
        players=_with(state.players, cmd.player_id, None),
        picks=state.picks.update(picks),
        commitments=_with(state.commitments, cmd.player_id, None),
        removed=_with(state.removed, player.id, Removed(player.id, player.name, player.device, now)),
    )


@rule(c.AllowBack)
def allow_back(state: State, actor: Actor, cmd: c.AllowBack, now: float) -> State:
    """The facilitator lets a removed participant's phone join again."""
    if cmd.player_id not in state.removed:
        raise GameError("no_such_player", "That participant is not on the list of removed participants.")
    return replace(state, removed=_with(state.removed, cmd.player_id, None))


@rule(c.MakeCaptain)
def make_captain(state: State, actor: Actor, cmd: c.MakeCaptain, now: float) -> State:
    """The facilitator makes a player their team's captain: from now on they lock in for the team."""
    player = _in_workshop(state, cmd.player_id)
    if player.team_id is None:
        raise GameError("no_team", "That player is not in a team yet.")
    if state.captain(player.team_id).id == player.id:
        return state
    return _set_captain(state, state.teams[player.team_id], player.id)


@rule(c.PassCaptaincy)
def pass_captaincy(state: State, actor: Actor, cmd: c.PassCaptaincy, now: float) -> State:
    """The captain's phone has been away: a connected member (the server chose) becomes captain. Refused when the
    captain changed meanwhile, so the same absence seen twice (by two processes) passes captaincy once."""
    team = _team(state, cmd.team_id)
    captain = state.captain(team.id)
    if captain is None or captain.id != cmd.from_id:
        raise GameError("stale", "The team's captain has changed meanwhile.")
    successor = state.players.get(cmd.to_id)
    if successor is None or successor.team_id != team.id:
        raise GameError("no_such_player", "That player is not in this team.")
    if successor.id == captain.id:
        return state
    return _set_captain(state, team, successor.id)


@rule(c.SetTeamSize)
def set_team_size(state: State, actor: Actor, cmd: c.SetTeamSize, now: float) -> State:
    """The facilitator changes the team size after creation; teams over the new size keep their members."""
    size = cmd.team_size
    if isinstance(size, bool) or not isinstance(size, int) or not TEAM_SIZE_MIN <= size <= TEAM_SIZE_MAX:
        raise GameError("invalid", f"The team size must be a whole number from {TEAM_SIZE_MIN} to {TEAM_SIZE_MAX}.")
    if size == state.workshop.settings.team_size:
        return state
    return _set_workshop(state, settings=replace(state.workshop.settings, team_size=size))


# --- facilitator: the round -----------------------------------------------------------


@rule(c.DealCard)
def deal_card(state: State, actor: Actor, cmd: c.DealCard, now: float) -> State:
    """Deal the next card; from a revealed round this first publishes its scores."""
    if cmd.round != len(state.rounds):
        raise GameError("stale", "That card has already been dealt; your view is up to date now.")
    if state.phase not in (Phase.LOBBY, Phase.REVEALED, Phase.SCORED):
        raise GameError("wrong_phase", "Lock and reveal this card before dealing the next one.")
    if cmd.round >= len(state.workshop.cards):
        raise GameError("no_more_cards", "All cards have been played; end the workshop.")
    if not state.active_teams():
        raise GameError("no_teams", "No team has any players yet.")
    if state.phase is Phase.REVEALED:
        state = _publish(state, state.current_round, now)
    seconds = state.workshop.settings.timer_seconds
    card = state.workshop.cards[cmd.round]
    rnd = Round(cmd.round, card.id, opened_at=now, deadline=now + seconds if seconds else None)
    state = replace(state, rounds=(*state.rounds, rnd))
    return _set_workshop(state, phase=Phase.COLLECTING, round_index=rnd.index)


def _seconds(value, low: int, high: int, what: str) -> int:
    """Validate a number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise GameError("invalid", f"The {what} must be a whole number of seconds from {low} to {high}.")
    return value


@rule(c.StartTimer)
def start_timer(state: State, actor: Actor, cmd: c.StartTimer, now: float) -> State:
    """Start the countdown from now: a stopped countdown resumes from the time it had left (``seconds`` None),
    or starts over from ``seconds``."""
    rnd = _round_for(state, cmd.round, Phase.COLLECTING)
    if cmd.seconds is None and rnd.timer_left is not None:
        return _set_round(state, replace(rnd, deadline=now + rnd.timer_left, timer_left=None))
    seconds = cmd.seconds if cmd.seconds is not None else state.workshop.settings.timer_seconds or 60
    seconds = _seconds(seconds, 5, TIMER_MAX, "timer")
    return _set_round(state, replace(rnd, deadline=now + seconds, timer_left=None))


@rule(c.ExtendTimer)
def extend_timer(state: State, actor: Actor, cmd: c.ExtendTimer, now: float) -> State:
    """Give the teams more time; a stopped timer starts again from the time it had left plus the extension."""
    rnd = _round_for(state, cmd.round, Phase.COLLECTING)
    seconds = _seconds(cmd.seconds, 5, EXTEND_MAX, "extension")
    base = max(rnd.deadline or now, now) if rnd.timer_left is None else now + rnd.timer_left
    return _set_round(state, replace(rnd, deadline=base + seconds, timer_left=None))


@rule(c.StopTimer)
def stop_timer(state: State, actor: Actor, cmd: c.StopTimer, now: float) -> State:
    """Stop the countdown and keep the time it had left (``start_timer`` resumes from it); the round stays open."""
    rnd = _round_for(state, cmd.round, Phase.COLLECTING)
    if rnd.deadline is None:
        return state
    left = rnd.deadline - now
    return _set_round(state, replace(rnd, deadline=None, timer_left=left if left >= 1 else None))


def team_choice(state: State, rnd: Round, team_id: str) -> Pick | None:
    """The pick a team that did not lock in is locked on when the round closes (never simply the last tap):

    1. its captain's pick (on an open card: the captain's draft), if the captain picked;
    2. else the response most of the team picks: each person counts once, for their current pick (one who
       changed their mind counts for their latest choice). On an open card drafts count as the same answer when
       their words are the same, as when team-mates take a draft over ("use this"). A tie goes to the
       response (or draft) first chosen earliest among the current picks;
    3. None when nobody picked: the team gives no answer.

    A pick counts for the team it was made for, also when the facilitator moved its maker on since.
    """
    return _choice(state, team_id, [p for p in state.picks.in_round(rnd.index).values() if p.team_id == team_id])


def _choice(state: State, team_id: str, picks: list[Pick], captains: Mapping[str, Player] | None = None) -> Pick | None:
    """``team_choice`` among the round's picks made for the team; ``captains`` (``State.captains``), when given,
    saves walking the players for this team's captain (a lock chooses for every team)."""
    picks = [p for p in picks if p.response_id or p.text]
    if not picks:
        return None
    captain = captains.get(team_id) if captains is not None else state.captain(team_id)
    for pick in picks:
        if captain is not None and pick.player_id == captain.id:
            return pick
    chosen: dict[tuple[str, str], list[Pick]] = {}
    for pick in sorted(picks, key=lambda p: (p.at, p.player_id)):
        chosen.setdefault((pick.response_id, pick.text), []).append(pick)
    most = min(chosen.values(), key=lambda same: (-len(same), same[0].at, same[0].player_id))
    return most[0]


def _lock(state: State, rnd: Round, now: float, by: str) -> State:
    """Close a round: a team that did not lock in is locked on ``team_choice``, if it picked at all."""
    by_team: dict[str, list[Pick]] = {}  # the round's picks, grouped once (not scanned once per team)
    for pick in state.picks.in_round(rnd.index).values():
        by_team.setdefault(pick.team_id, []).append(pick)
    answers = {}
    captains = state.captains()  # every team's, in one pass over the players
    for team in state.active_teams():
        if (rnd.index, team.id) in state.answers:
            continue
        pick = _choice(state, team.id, by_team.get(team.id, []), captains)
        if pick is not None:
            answers[(rnd.index, team.id)] = Answer(
                rnd.index, team.id, pick.response_id, "", pick.player_id, now, True, text=pick.text
            )
    state = replace(state, answers=state.answers.update(answers))
    deadline = None if rnd.deadline is None else min(rnd.deadline, now)
    state = _set_round(state, replace(rnd, locked_at=now, deadline=deadline, locked_by=by))
    return _set_workshop(state, phase=Phase.LOCKED)


@rule(c.LockRound)
def lock_round(state: State, actor: Actor, cmd: c.LockRound, now: float) -> State:
    """The facilitator closes the round."""
    rnd = _round_for(state, cmd.round, Phase.COLLECTING)
    return _lock(state, rnd, now, "facilitator")


@rule(c.ExpireTimer)
def expire_timer(state: State, actor: Actor, cmd: c.ExpireTimer, now: float) -> State:
    """The countdown ran out; refused when it was extended or stopped meanwhile."""
    rnd = _round_for(state, cmd.round, Phase.COLLECTING)
    if rnd.deadline is None or now < rnd.deadline:
        raise GameError("not_expired", "The timer has not run out.")
    return _lock(state, rnd, now, "timer")


@rule(c.Reveal)
def reveal(state: State, actor: Actor, cmd: c.Reveal, now: float) -> State:
    """Reveal the round and draft each team's score from the key of the response it chose."""
    rnd = _round_for(state, cmd.round, Phase.LOCKED)
    card = state.card_of(rnd)
    scores = {}
    for team in state.active_teams():
        answer = state.answers.get((rnd.index, team.id))
        chosen = card.response(answer.response_id) if answer and not card.is_open else None
        key = chosen.key if chosen else None  # an open answer has no key: the facilitator scores it
        points = key.points() if key else dict.fromkeys(DIMENSIONS, 0)
        scores[(rnd.index, team.id)] = Score(rnd.index, team.id, **points, flag=bool(key and key.flag))
    state = replace(state, scores=state.scores.update(scores))
    state = _set_round(state, replace(rnd, revealed_at=now))
    return _set_workshop(state, phase=Phase.REVEALED)


@rule(c.Spotlight)
def spotlight(state: State, actor: Actor, cmd: c.Spotlight, now: float) -> State:
    """Put one team's own answer to an open card on the big screen, or take it off."""
    rnd = _round_for(state, cmd.round, Phase.REVEALED, Phase.SCORED)
    if not state.card_of(rnd).is_open:
        raise GameError("not_open", "Only a team's own written answer can be put in the spotlight.")
    if cmd.team_id is not None:
        _team(state, cmd.team_id)
        if (rnd.index, cmd.team_id) not in state.answers:
            raise GameError("no_answer", "That team has no answer on this card.")
    if rnd.spotlight == cmd.team_id:
        return state
    return _set_round(state, replace(rnd, spotlight=cmd.team_id))


@rule(c.ScoreTeam)
def score_team(state: State, actor: Actor, cmd: c.ScoreTeam, now: float) -> State:
    """Adjust a team's points for the revealed round (also after publishing)."""
    rnd = _round_for(state, cmd.round, Phase.REVEALED, Phase.SCORED)
    _team(state, cmd.team_id)
    values = {}
    for dim in DIMENSIONS:
        value = getattr(cmd, dim)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POINTS:
            raise GameError("invalid", f"Points for {dim} must be a whole number from 0 to {MAX_POINTS}.")
        values[dim] = value
    if isinstance(cmd.bonus, bool) or not isinstance(cmd.bonus, int) or not 0 <= cmd.bonus <= BONUS_MAX:
        raise GameError("invalid", f"The bonus must be a whole number from 0 to {BONUS_MAX}.")
    if not isinstance(cmd.flag, bool):
        raise GameError("invalid", "The flag must be true or false.")
    score = Score(rnd.index, cmd.team_id, **values, flag=cmd.flag, bonus=cmd.bonus)
    if state.scores.get((rnd.index, cmd.team_id)) == score:
        return state
    return replace(state, scores=_with(state.scores, (rnd.index, cmd.team_id), score))


def _publish(state: State, rnd: Round, now: float) -> State:
    """Mark a round's scores as published."""
    state = _set_round(state, replace(rnd, scored_at=now))
    return _set_workshop(state, phase=Phase.SCORED)


@rule(c.PublishScores)
def publish_scores(state: State, actor: Actor, cmd: c.PublishScores, now: float) -> State:
    """Publish the scores of the revealed round."""
    rnd = _round_for(state, cmd.round, Phase.REVEALED)
    return _publish(state, rnd, now)


@rule(c.SetLeaderboard)
def set_leaderboard(state: State, actor: Actor, cmd: c.SetLeaderboard, now: float) -> State:
    """Show or hide the leaderboard for the room."""
    if not isinstance(cmd.visible, bool):
        raise GameError("invalid", "Visible must be true or false.")
    return _set_workshop(state, leaderboard_visible=cmd.visible)


@rule(c.EndWorkshop)
def end_workshop(state: State, actor: Actor, cmd: c.EndWorkshop, now: float) -> State:
    """End the workshop; a revealed round's scores are published first."""
    if state.phase is Phase.REVEALED:
        state = _publish(state, state.current_round, now)
    return _set_workshop(state, phase=Phase.FINISHED, finished_at=now)


# --- the debrief -----------------------------------------------------------------------


@rule(c.LeaveCommitment)
def leave_commitment(state: State, actor: Actor, cmd: c.LeaveCommitment, now: float) -> State:
    """A participant leaves (or rewrites) one commitment once the workshop has ended."""
    player = _player(state, actor)
    if state.phase is not Phase.FINISHED:
        raise GameError("wrong_phase", "Commitments open when the workshop ends.")
    text = clean_text(cmd.text, COMMITMENT_MAX, "commitment")
    old = state.commitments.get(player.id)
    if old is not None and old.text == text:
        return state
    return replace(state, commitments=_with(state.commitments, player.id, Commitment(player.id, text, now)))


@rule(c.ReviewCommitment)
def review_commitment(state: State, actor: Actor, cmd: c.ReviewCommitment, now: float) -> State:
    """The facilitator approves a commitment for the screen, or hides it."""
    commitment = state.commitments.get(cmd.player_id)
    if commitment is None:
        raise GameError("no_such_commitment", "That participant has not left a commitment.")
    if not isinstance(cmd.approved, bool):
        raise GameError("invalid", "Approved must be true or false.")
    if commitment.approved is cmd.approved:
        return state
    reviewed = replace(commitment, approved=cmd.approved)
    return replace(state, commitments=_with(state.commitments, cmd.player_id, reviewed))
