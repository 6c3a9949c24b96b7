"""The state of one workshop as immutable values.

A rule never changes a value in place: it builds a new ``State`` that shares every
unchanged entity with the old one. The store relies on that: an entity that is the
same object in the old and the new state has not changed and is not written.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

import immutables

from .cards import DIMENSIONS, Card


class Phase(str, Enum):
    """Where a workshop is; the only source of truth for what may happen next."""

    LOBBY = "lobby"  # people join and form teams
    COLLECTING = "collecting"  # a card is dealt; teams pick and lock in
    LOCKED = "locked"  # no more picks; waiting for the reveal
    REVEALED = "revealed"  # the room sees the picks and the best response; scores are drafted
    SCORED = "scored"  # scores are published; the leaderboard moves
    FINISHED = "finished"  # the podium and the debrief


class Role(str, Enum):
    """Who sends a command."""

    FACILITATOR = "facilitator"
    PLAYER = "player"  # a participant who has joined (may not be in a team yet)
    GUEST = "guest"  # a phone that has not joined yet
    SYSTEM = "system"  # the server itself, e.g. when a timer runs out


@dataclass(frozen=True)
class Actor:
    """The sender of a command, as the server authenticated it (never as the payload claims)."""

    role: Role
    player_id: str | None = None


FACILITATOR = Actor(Role.FACILITATOR)
SYSTEM = Actor(Role.SYSTEM)
GUEST = Actor(Role.GUEST)


@dataclass(frozen=True)
class Settings:
    """What the facilitator chose when creating the workshop."""

    language: str = "nl"
    timer_seconds: int = 120  # 0: no timer; the facilitator locks the round
    team_size: int = 6
    teams_open: bool = True  # participants may create their own teams
    time_zone: str = ""  # the facilitator's IANA time zone (from the browser) for the report's times; "": the server's

    def to_dict(self) -> dict:
        """Return a JSON-able form."""
        return {
            "language": self.language,
            "timer_seconds": self.timer_seconds,
            "team_size": self.team_size,
            "teams_open": self.teams_open,
            "time_zone": self.time_zone,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Settings:
        """Build from the JSON-able form."""
        return cls(
            language=data.get("language", "nl"),
            timer_seconds=int(data.get("timer_seconds", 120)),
            team_size=int(data.get("team_size", 6)),
            teams_open=bool(data.get("teams_open", True)),
            time_zone=str(data.get("time_zone") or ""),
        )


@dataclass(frozen=True)
class Workshop:
    """The workshop itself: its cards, settings and phase."""

    id: str
    code: str
    title: str
    deck_id: str
    cards: tuple[Card, ...]
    settings: Settings
    created_at: float
    phase: Phase = Phase.LOBBY
    round_index: int = -1  # index of the current round; -1 in the lobby
    leaderboard_visible: bool = True
    finished_at: float | None = None


@dataclass(frozen=True, slots=True)
class Team:
    """A team of players who agree on one response per card."""

    id: str
    name: str
    created_at: float
    captain_id: str | None = None  # None (or someone no longer in the team): the earliest member is captain


@dataclass(frozen=True, slots=True)
class Player:
    """A participant's phone; ``team_id`` is None until they pick a team."""

    id: str
    name: str
    joined_at: float
    team_id: str | None = None
    team_joined_at: float | None = None
    device: str = ""  # the phone's device id, hashed per workshop ("" when the phone sent none)


@dataclass(frozen=True, slots=True)
class Removed:
    """A participant the facilitator removed; a phone with the same device cannot join again until allowed back."""

    player_id: str
    name: str
    device: str  # as on the player ("" when the phone sent none: nothing to recognise it by)
    at: float


@dataclass(frozen=True, slots=True)
class Round:
    """One dealt card and its timeline."""

    index: int
    card_id: str
    opened_at: float
    deadline: float | None = None
    locked_at: float | None = None
    revealed_at: float | None = None
    scored_at: float | None = None
    locked_by: str | None = None  # "teams" (all locked in), "timer" or "facilitator"
    spotlight: str | None = None  # open card: the team whose answer the screen shows
    timer_left: float | None = None  # seconds the countdown had left when the facilitator stopped it ("Resume")


@dataclass(frozen=True, slots=True)
class Pick:
    """A player's current choice in a round; team-mates see it live."""

    round: int
    player_id: str
    team_id: str
    response_id: str
    at: float
    client_id: str = ""
    seq: int = 0
    text: str = ""  # open card: the player's proposed answer (response_id is then "")


@dataclass(frozen=True, slots=True)
class Answer:
    """A team's locked-in response for a round; ``auto`` when the timer or the facilitator locked it."""

    round: int
    team_id: str
    response_id: str
    why: str
    player_id: str | None
    at: float
    auto: bool = False
    text: str = ""  # open card: the team's own answer (response_id is then "")


@dataclass(frozen=True, slots=True)
class Score:
    """A team's points for a round: 0-3 per dimension, the -1 flag and a bonus for a strong why."""

    round: int
    team_id: str
    attention: int = 0
    ease: int = 0
    resolution: int = 0
    ownership: int = 0
    proportion: int = 0
    flag: bool = False
    bonus: int = 0

    def points(self) -> dict[str, int]:
        """Return the five dimensions as a dict."""
        return {d: getattr(self, d) for d in DIMENSIONS}

    def total(self) -> int:
        """Dimensions plus bonus, minus one when flagged."""
        return sum(self.points().values()) + self.bonus - (1 if self.flag else 0)

    def to_dict(self) -> dict:
        """Return a JSON-able form."""
        return {**self.points(), "flag": self.flag, "bonus": self.bonus, "total": self.total()}


@dataclass(frozen=True, slots=True)
class Commitment:
    """What a participant will do after the workshop; shown on the screen once the facilitator approves it."""

    player_id: str
    text: str
    at: float
    approved: bool | None = None  # None: waiting for the facilitator


_EMPTY = immutables.Map()
CHAIN_MAX = 1024  # steps a table remembers what changed: at least half of them (a group commit makes up to 400)


class _Read(Mapping):
    """A read-only mapping whose ``get`` does the looking up."""

    __slots__ = ()

    def __getitem__(self, key):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key) -> bool:
        return self.get(key, _MISSING) is not _MISSING


class Table(_Read):
    """A read-only mapping whose changed copies share everything unchanged with the original (a persistent hash
    array mapped trie, ``immutables.Map``): setting one key costs O(log n), not a copy of the whole mapping.

    ``by_round`` tables are keyed ``(round, id)`` and keep each round's entries in a map of their own
    (``in_round``, a ``RoundPart``): a pick in round 16 changes a map of one round's picks, as one in round 1 does,
    and what looks at the current round never walks the earlier ones. A round's map is keyed by the id alone (the
    state's own player or team id string): a ``(round, id)`` tuple kept for each of a keynote's 67,000 picks, answers
    and scores was 56 bytes each, 3.8 MB in every process.

    A changed table remembers the table it was made from and the keys that step changed (at least the last
    ``CHAIN_MAX // 2`` steps): ``changed_since(old)`` lists the keys that differ from an older version in time
    proportional to the change, which is what the store writes.

    Iteration follows the hashes, not the order of insertion: whatever is shown in an order sorts first.
    """

    __slots__ = ("_depth", "_keys", "_len", "_map", "_parent", "_rounds")

    def __init__(self, data: Mapping | Iterable | None = None, *, by_round: bool = False):
        pairs = data.items() if isinstance(data, Mapping) else (data or ())
        if by_round:
            grouped: dict = {}
            for (index, id_), value in pairs:
                grouped.setdefault(index, {})[id_] = value
            self._map = None
            self._rounds = immutables.Map({r: RoundPart(r, immutables.Map(entries)) for r, entries in grouped.items()})
            self._len = sum(len(entries) for entries in grouped.values())
        else:
            self._map = immutables.Map(pairs)
            self._rounds = None
            self._len = len(self._map)
        self._parent, self._keys, self._depth = None, (), 0

    @classmethod
    def rounds(cls) -> Table:
        """An empty table keyed ``(round, ...)``."""
        return cls(by_round=True)

    def _child(self, new_map, rounds, length: int, keys: tuple) -> Table:
        """A new version made from this one by changing ``keys``."""
        child = object.__new__(Table)
        child._map, child._rounds, child._len, child._keys = new_map, rounds, length, keys
        child._parent, child._depth = self, self._depth + 1
        if child._depth >= CHAIN_MAX:
            # Forget the older half of the steps (they keep old versions alive): the version CHAIN_MAX // 2 steps
            # back loses its link. Versions are immutable to everyone else; only this private link changes, and
            # once per CHAIN_MAX // 2 changes. The newest steps stay, so a write never finds the chain cut.
            node = child
            for _ in range(CHAIN_MAX // 2):
                if node._parent is None:
                    break
                node = node._parent
            node._parent = None
            child._depth = CHAIN_MAX // 2
        return child

    def set(self, key, value) -> Table:
        """A copy with ``key`` set to ``value`` (removed when ``value`` is None)."""
        return self.update({key: value})

    def update(self, changes: Mapping) -> Table:
        """A copy with every key of ``changes`` set to its value (removed where the value is None); the same table
        when nothing changes."""
        keys: list = []
        length = self._len
        if self._rounds is None:
            with self._map.mutate() as m:
                length += _apply(m, changes.items(), keys)
                new_map, rounds = m.finish(), None
        else:
            grouped: dict = {}
            for key, value in changes.items():
                grouped.setdefault(key[0], []).append((key, value))
            new_map, rounds = None, self._rounds
            with rounds.mutate() as r:
                for index, pairs in grouped.items():
                    before = len(keys)
                    old = r.get(index)
                    with (_EMPTY if old is None else old._map).mutate() as part:
                        length += _apply(part, pairs, keys, by_id=True)
                        if len(keys) > before:
                            r[index] = RoundPart(index, part.finish())
                rounds = r.finish()
        if not keys:
            return self
        return self._child(new_map, rounds, length, tuple(keys))

    def in_round(self, index: int) -> Mapping:
        """The entries of one round (a ``by_round`` table), keyed as in the table; the same object while the round's
        entries stay the same (views remember what they built from it by identity)."""
        if self._rounds is None:
            return {k: v for k, v in self._map.items() if k[0] == index}
        part = self._rounds.get(index)
        return _empty_part(index) if part is None else part

    def changed_since(self, old) -> set | None:
        """The keys whose value differs between ``old`` and this table, when this table was made from ``old`` by
        ``set``/``update`` within the remembered steps; None otherwise (then compare the two in full)."""
        keys: set = set()
        node = self
        while node is not old:
            if node._parent is None:
                return None
            keys.update(node._keys)
            node = node._parent
        return keys

    def get(self, key, default=None):
        if self._rounds is None:
            return self._map.get(key, default)
        try:
            part = self._rounds.get(key[0])
        except (TypeError, IndexError, KeyError):  # not a (round, id) key: not in the table
            return default
        return default if part is None else part.get(key, default)

    def __iter__(self) -> Iterator:
        if self._rounds is None:
            return iter(self._map)
        return itertools.chain.from_iterable(self._rounds.values())  # each part yields (round, id) keys

    def __len__(self) -> int:
        return self._len

    def values(self):
        if self._rounds is None:
            return self._map.values()
        return [v for part in self._rounds.values() for v in part.values()]

    def items(self):
        if self._rounds is None:
            return self._map.items()
        return [kv for part in self._rounds.values() for kv in part.items()]

    def __eq__(self, other) -> bool:
        if isinstance(other, Table):
            if self._rounds is None and other._rounds is None:
                return self._map == other._map
            return len(self) == len(other) and all(other.get(k, _MISSING) == v for k, v in self.items())
        return Mapping.__eq__(self, other)

    __hash__ = None  # like a dict: equal tables may be told apart by identity only

    def __repr__(self) -> str:
        return f"Table({dict(self.items())!r})"


_MISSING = object()


class RoundPart(_Read):
    """One round's entries of a ``by_round`` table, read as keyed ``(round, id)`` but kept by the id alone."""

    __slots__ = ("_index", "_map")

    def __init__(self, index: int, entries: immutables.Map):
        self._index, self._map = index, entries

    def get(self, key, default=None):
        if type(key) is not tuple or len(key) != 2 or key[0] != self._index:
            return default
        return self._map.get(key[1], default)

    def __iter__(self) -> Iterator:
        index = self._index
        return ((index, id_) for id_ in self._map)

    def __len__(self) -> int:
        return len(self._map)

    def values(self):
        return self._map.values()

    def items(self):
        index = self._index
        return [((index, id_), value) for id_, value in self._map.items()]


@functools.lru_cache(maxsize=256)
def _empty_part(index: int) -> RoundPart:
    """A round with no entries, the same object every time it is asked for (views remember by identity)."""
    return RoundPart(index, _EMPTY)


def _apply(m, pairs, keys: list, by_id: bool = False) -> int:
    """Set (or, for None, delete) each pair in the map mutation ``m`` (by the key's id alone, ``key[1]``, with
    ``by_id``); note the keys that changed in ``keys``; return how the number of entries changed."""
    grown = 0
    for key, value in pairs:
        at = key[1] if by_id else key
        if value is None:
            if at not in m:
                continue
            del m[at]
            grown -= 1
        else:
            before = m.get(at, _MISSING)
            if before is value:
                continue
            if before is _MISSING:
                grown += 1
            m[at] = value
        keys.append(key)
    return grown


def frozen_map(data: Mapping | None = None, *, by_round: bool = False) -> Table:
    """Return a read-only table of ``data``."""
    return Table(data, by_round=by_round)


_BY_ROUND = ("picks", "answers", "scores")


@dataclass(frozen=True)
class State:
    """Everything the rules know about one workshop."""

    workshop: Workshop
    teams: Table[str, Team] = field(default_factory=Table)
    players: Table[str, Player] = field(default_factory=Table)
    rounds: tuple[Round, ...] = ()
    picks: Table[tuple[int, str], Pick] = field(default_factory=Table.rounds)  # (round, player_id)
    answers: Table[tuple[int, str], Answer] = field(default_factory=Table.rounds)  # (round, team_id)
    scores: Table[tuple[int, str], Score] = field(default_factory=Table.rounds)  # (round, team_id)
    commitments: Table[str, Commitment] = field(default_factory=Table)  # player_id
    removed: Table[str, Removed] = field(default_factory=Table)  # player_id: removed, not allowed back yet

    def __post_init__(self):
        """Every mapping is a ``Table`` (a caller may pass a plain dict); the per-round ones grouped by round."""
        for name in ("teams", "players", "commitments", "removed", *_BY_ROUND):
            value = getattr(self, name)
            if not isinstance(value, Table) or (name in _BY_ROUND and value._rounds is None):
                object.__setattr__(self, name, Table(value, by_round=name in _BY_ROUND))

    @property
    def phase(self) -> Phase:
        """The workshop's phase."""
        return self.workshop.phase

    @property
    def current_round(self) -> Round | None:
        """The round being played, or None in the lobby."""
        i = self.workshop.round_index
        return self.rounds[i] if 0 <= i < len(self.rounds) else None

    def card_of(self, rnd: Round) -> Card:
        """The card dealt in a round (round i deals the deck's card i: no walk through the deck)."""
        cards = self.workshop.cards
        if 0 <= rnd.index < len(cards) and cards[rnd.index].id == rnd.card_id:
            return cards[rnd.index]
        return next(c for c in cards if c.id == rnd.card_id)

    def members(self, team_id: str) -> list[Player]:
        """A team's players, the earliest to join first."""
        return list(members_by_team(self.players).get(team_id, ()))

    def captain(self, team_id: str) -> Player | None:
        """The member who locks in for the team: the one made captain (``Team.captain_id``) while they are in
        it, else the earliest to join it."""
        team = self.teams.get(team_id)
        chosen = self.players.get(team.captain_id or "") if team is not None else None
        if chosen is not None and chosen.team_id == team_id:
            return chosen
        members = self.members(team_id)
        return members[0] if members else None

    def captains(self) -> dict[str, Player]:
        """Every occupied team's captain (see ``captain``), from the players indexed by team."""
        out = {}
        for team_id, members in members_by_team(self.players).items():
            team = self.teams.get(team_id)
            chosen = self.players.get(team.captain_id or "") if team is not None else None
            out[team_id] = chosen if chosen is not None and chosen.team_id == team_id else members[0]
        return out

    def teams_in_order(self) -> list[Team]:
        """Teams in the order they were made."""
        return sorted(self.teams.values(), key=lambda t: (t.created_at, t.id))

    def removed_device(self, device: str) -> Removed | None:
        """The removed participant whose phone had this device id, if any (never for an empty one)."""
        if not device:
            return None
        return next((r for r in self.removed.values() if r.device == device), None)

    def active_teams(self) -> list[Team]:
        """Teams that have at least one player."""
        occupied = members_by_team(self.players)
        return [t for t in self.teams_in_order() if t.id in occupied]

    def occupied_teams(self) -> int:
        """How many teams have at least one player (without listing them)."""
        return len(members_by_team(self.players))


def _joined(player: Player) -> tuple:
    """The order of a team's members: the earliest to join first."""
    return (player.team_joined_at or 0.0, player.id)


class _MembersIndex:
    """The players by team (``members_by_team``), remembered for the newest versions of the players table.

    A join checks that its team has room, a lock-in that the sender is the captain: each walked every player of the
    room, so a join burst of 3,000 phones walked 4.5 million players. A version of the table made from a remembered
    one by ``Table.set``/``update`` gets its index from that one's, changing only the teams of the players that
    step changed (the table remembers them); any other version (one loaded from the database) is indexed anew."""

    def __init__(self, size: int = 64):
        self.size = size
        self._known: dict[int, tuple[Table, immutables.Map]] = {}  # id(table) -> (table: keeps the id unused, index)

    def get(self, players: Table) -> immutables.Map:
        found = self._known.get(id(players))
        if found is not None and found[0] is players:
            return found[1]
        steps, node = [], players  # the versions since the newest remembered one (a command makes a few)
        while node._parent is not None and len(steps) < 16:
            steps.append(node)
            node = node._parent
            base = self._known.get(id(node))
            if base is not None and base[0] is node:
                index = base[1]
                for step in reversed(steps):
                    index = self._step(index, step._parent, step)
                break
        else:
            teams: dict[str, list[Player]] = {}
            for p in players.values():
                if p.team_id is not None:
                    teams.setdefault(p.team_id, []).append(p)
            index = immutables.Map({t: tuple(sorted(found, key=_joined)) for t, found in teams.items()})
        known = self._known
        if len(known) >= self.size:  # the oldest half goes (dicts keep their order of insertion)
            for key in list(known)[: self.size // 2]:
                known.pop(key, None)
        known[id(players)] = (players, index)
        return index

    @staticmethod
    def _step(index: immutables.Map, before: Table, after: Table) -> immutables.Map:
        with index.mutate() as m:
            for pid in after._keys:
                old, new = before.get(pid), after.get(pid)
                if old is not None and old.team_id is not None:
                    rest = tuple(p for p in m.get(old.team_id, ()) if p.id != pid)
                    if rest:
                        m[old.team_id] = rest
                    else:
                        m.pop(old.team_id, None)
                if new is not None and new.team_id is not None:
                    m[new.team_id] = tuple(sorted((*m.get(new.team_id, ()), new), key=_joined))
            return m.finish()


_MEMBERS = _MembersIndex()


def members_by_team(players: Table) -> Mapping[str, tuple[Player, ...]]:
    """Every occupied team's players, the earliest to join first (see ``_MembersIndex``)."""
    return _MEMBERS.get(players)


def new_state(workshop: Workshop) -> State:
    """Return the state of a workshop that nobody has joined yet."""
    return State(workshop=workshop)
