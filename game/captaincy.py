"""Captaincy passes on when the captain's phone has been away ``AWAY_SECONDS`` during an open round.

The rules know nothing of phones: who is connected lives in the publisher (``Publisher.presence``: this process's
sockets, or with several processes the shared presence in Redis). This watcher looks at that presence and, when a
team's captain has been away long enough, issues ``PassCaptaincy`` as the server (``SYSTEM``) to the earliest
member to join the team among those connected. That command names the captain it replaces, so when several
processes see the same absence the first one passes captaincy and the rules refuse the others ("stale").

Away time counts from when this process first saw the phone away, and never from before the round was dealt
(a captain who left during the reveal has 20 s of the next card to come back). A captain who leaves the team
(moved or removed) hands over in the rules to the earliest member left; when this watcher sees that happen and
that member's phone is away, captaincy moves on at once to a connected member, at the latest in the next round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from .engine import GameError, Phase, State, commands as c
from .engine.state import SYSTEM

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)

AWAY_SECONDS = 20.0


class CaptainWatch:
    """Watches the captains of the workshops with a page on this process; ``check`` is one look."""

    def __init__(self, service: Service, away_seconds: float = AWAY_SECONDS, clock: Callable[[], float] | None = None):
        self.service = service
        self.away_seconds = away_seconds
        self.clock = clock or service.clock  # the rules' clock: a round's opened_at is on it
        self._away: dict[str, dict[str, float]] = {}  # workshop -> player -> since when this process saw them away
        self._captains: dict[str, dict[str, str]] = {}  # workshop -> team -> its captain at the last look
        self._handed: dict[str, set[str]] = {}  # workshop -> teams whose captain left the team: no 20 s wait

    def check(self) -> int:
        """Pass captaincy on where a captain has been away long enough; return how many teams got a new captain."""
        publisher = self.service.publisher
        watched = {conn.workshop_id for conn in list(publisher.connections.values())}
        for memory in (self._away, self._captains, self._handed):
            for workshop_id in [w for w in memory if w not in watched]:
                del memory[workshop_id]
        passed = 0
        for workshop_id in watched:
            try:
                passed += self._check_workshop(workshop_id)
            except Exception:  # keep watching the others whatever one workshop does
                log.exception("could not check the captains of workshop %s", workshop_id)
        return passed

    def _check_workshop(self, workshop_id: str) -> int:
        """One workshop: note who is away, and pass on the captaincy of teams whose captain is away too long."""
        state = self.service.state(workshop_id, recent=True)
        if state is None:
            return 0
        self._note_departures(workshop_id, state)
        if state.phase is not Phase.COLLECTING:
            self._away.pop(workshop_id, None)
            return 0
        now = self.clock()
        online = set(self.service.publisher.presence(workshop_id)["online"])
        away = self._away.setdefault(workshop_id, {})
        for player_id in list(away):
            if player_id in online or player_id not in state.players:
                del away[player_id]
        for player_id, player in state.players.items():
            if player.team_id is not None and player_id not in online:
                away.setdefault(player_id, now)
        handed, self._handed[workshop_id] = self._handed.get(workshop_id, set()), set()
        passed = 0
        for team_id, captain_id, successor_id in self.due(state, online, away, now, handed):
            try:
                self.service.execute(workshop_id, SYSTEM, c.PassCaptaincy(team_id, captain_id, successor_id))
                passed += 1
            except GameError:
                pass  # another process passed it first, the facilitator chose, or the round moved on
        return passed

    def _note_departures(self, workshop_id: str, state: State) -> None:
        """Remember each team's captain, and which teams' captain left the team since the last look."""
        before = self._captains.get(workshop_id, {})
        current = {team_id: captain.id for team_id, captain in state.captains().items()}
        for team_id, captain_id in current.items():
            old = state.players.get(before.get(team_id, captain_id))
            if old is None or old.team_id != team_id:
                self._handed.setdefault(workshop_id, set()).add(team_id)
        self._captains[workshop_id] = current

    def due(
        self, state: State, online: set[str], away: dict[str, float], now: float, handed: set[str] = frozenset()
    ) -> list[tuple[str, str, str]]:
        """(team, captain, successor) for every team of the open round that has not locked in, whose captain has been
        away ``away_seconds`` during the round (or at all, in ``handed``: teams whose captain just left the team),
        and that has a connected member to take over."""
        rnd = state.current_round
        out = []
        for team_id, captain in sorted(state.captains().items()):
            if captain.id in online or (rnd.index, team_id) in state.answers:
                continue
            wait = 0.0 if team_id in handed else self.away_seconds
            if now - max(away.get(captain.id, now), rnd.opened_at) < wait:
                continue
            successor = next((m for m in state.members(team_id) if m.id in online), None)
            if successor is not None:
                out.append((team_id, captain.id, successor.id))
        return out
