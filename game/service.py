"""Applies commands: one at a time per workshop -> load -> rules -> save -> publish.

Nothing is acknowledged before it is committed. Inside one process a lock per
workshop orders the commands; across processes the workshop row's version does
(a save against a version that moved on is retried on the fresh state).
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from .engine import (
    Actor,
    Deck,
    GameError,
    Settings,
    State,
    Views,
    Workshop,
    apply,
    build_views,
    new_state,
)
from .engine import commands as c
from .engine.state import FACILITATOR, SYSTEM
from .store import Store, VersionConflict

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 6
RETRIES = 5


def new_code() -> str:
    """A short room code that is easy to read aloud."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_id() -> str:
    """A random id for a workshop, team or player."""
    return secrets.token_hex(8)


def normalise_code(code: str) -> str:
    """A room code as typed: case, spaces and dashes do not matter."""
    return "".join(ch for ch in str(code).upper() if not ch.isspace() and ch != "-")


def screen_key_from(facilitator_key: str) -> str:
    """The big screen's key, derived from the facilitator's; it cannot be turned back into it."""
    return hashlib.sha256(("screen:" + facilitator_key).encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    """A new workshop and its two secret keys."""

    workshop: Workshop
    facilitator_key: str
    screen_key: str


class Service:
    """The game's application service; the web layer's only way to change a workshop."""

    def __init__(self, store: Store, publisher, decks: dict[str, Deck], clock: Callable[[], float] = time.time):
        self.store = store
        self.publisher = publisher
        self.decks = decks
        self.clock = clock
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._cache: dict[str, tuple[int, State]] = {}
        self._deadlines: list[tuple[float, str, int]] = []
        self._tracked: set[tuple[float, str, int]] = set()
        self._deadlines_lock = threading.Lock()

    # --- creating ---------------------------------------------------------------

    def create_workshop(
        self, title: str, deck_id: str, card_ids: list[str], settings: Settings, team_names: list[str]
    ) -> Created:
        """Create a workshop from a deck with the chosen cards, in order, and preset teams."""
        deck = self.decks[deck_id]
        cards = tuple(deck.card(cid) for cid in card_ids)
        now = self.clock()
        for _ in range(20):
            code = new_code()
            if not self.store.code_in_use(code):
                break
        else:  # pragma: no cover - 887 million codes
            raise GameError("busy", "No free room code; try again.")
        workshop = Workshop(
            id=new_id(), code=code, title=title, deck_id=deck.id, cards=cards, settings=settings, created_at=now
        )
        facilitator_key = secrets.token_urlsafe(32)
        created = Created(workshop, facilitator_key, screen_key_from(facilitator_key))
        self.store.create_workshop(workshop, created.facilitator_key, created.screen_key)
        for name in team_names:
            self.execute(workshop.id, FACILITATOR, c.AddTeam(new_id(), name))
        return created

    # --- reading ------------------------------------------------------------------

    def state(self, workshop_id: str) -> State | None:
        """The workshop's current state (from the cache when it is still the stored version)."""
        version = self.store.version(workshop_id)
        if version is None:
            self._cache.pop(workshop_id, None)
            return None
        cached = self._cache.get(workshop_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        loaded = self.store.load(workshop_id)
        if loaded is None:
            return None
        state, version = loaded
        self._cache[workshop_id] = (version, state)
        self._track_deadline(state)
        return state

    def views(self, workshop_id: str) -> tuple[State, Views] | None:
        """The state and every role's view now."""
        state = self.state(workshop_id)
        if state is None:
            return None
        return state, build_views(state, self.clock())

    # --- changing ----------------------------------------------------------------

    def execute(
        self, workshop_id: str, actor: Actor, command: c.Command, tokens: dict[str, str] | None = None
    ) -> State:
        """Apply one command, commit it, publish the new views; raise GameError to refuse it.

        The workshop's lock is held from reading its version to the commit: in this process by a
        lock per workshop, across processes by the database (see ``Store.lock``). So commands for
        one workshop are applied one at a time, in order, on the newest state, never on a stale copy.
        """
        with self._locks[workshop_id]:
            for _attempt in range(RETRIES):
                try:
                    with self.store.transaction() as session:
                        version = self.store.lock(session, workshop_id)
                        if version is None:
                            raise GameError("no_such_workshop", "This workshop does not exist (any more).")
                        cached = self._cache.get(workshop_id)
                        if cached is not None and cached[0] == version:
                            state = cached[1]
                        else:
                            state, version = self.store.load(workshop_id, session)
                            self._cache[workshop_id] = (version, state)
                        now = self.clock()
                        new = apply(state, actor, command, now)
                        if new is state:
                            return state
                        version = self.store.save(session, state, new, version, tokens, now)
                except VersionConflict:  # only if a writer ignored the lock; reload and try again
                    self._cache.pop(workshop_id, None)
                    continue
                self._cache[workshop_id] = (version, new)
                self._track_deadline(new)
                self.publisher.publish(new, build_views(new, now))
                return new
        raise GameError("busy", "The workshop is very busy; please try again.")

    # --- deleting -------------------------------------------------------------------

    def delete_workshop(self, workshop_id: str, message: str = "This workshop has been deleted.") -> None:
        """Delete a workshop and all its players' data now, and close its pages."""
        with self._locks[workshop_id]:
            self.store.delete_workshop(workshop_id)
            self._cache.pop(workshop_id, None)
        self.publisher.close_workshop(workshop_id, message)

    def purge_expired(self, retention_seconds: float) -> list[str]:
        """Delete every workshop that has not changed for the retention period; return their ids."""
        expired = self.store.expired_workshops(self.clock() - retention_seconds)
        for workshop_id in expired:
            self.delete_workshop(workshop_id, "This workshop has ended and its data has been deleted.")
        return expired

    # --- the countdown -----------------------------------------------------------

    def _track_deadline(self, state: State) -> None:
        """Remember the current round's deadline so the ticker can lock the round on time."""
        rnd = state.current_round
        if rnd is not None and rnd.deadline is not None and rnd.locked_at is None:
            self._push_deadline((rnd.deadline, state.workshop.id, rnd.index))

    def _push_deadline(self, entry: tuple[float, str, int]) -> None:
        """Add a deadline to the heap once."""
        with self._deadlines_lock:
            if entry not in self._tracked:
                self._tracked.add(entry)
                heapq.heappush(self._deadlines, entry)

    def load_deadlines(self) -> None:
        """After a start or restart: pick up every running countdown from the database."""
        for workshop_id, index, deadline in self.store.active_deadlines():
            self._push_deadline((deadline, workshop_id, index))

    def expire_due(self) -> int:
        """Lock every round whose deadline has passed; return how many were locked."""
        now = self.clock()
        due = []
        with self._deadlines_lock:
            while self._deadlines and self._deadlines[0][0] <= now:
                entry = heapq.heappop(self._deadlines)
                self._tracked.discard(entry)
                due.append(entry)
        locked = 0
        for _deadline, workshop_id, index in due:
            try:
                self.execute(workshop_id, SYSTEM, c.ExpireTimer(index))
                locked += 1
            except GameError:
                pass  # extended, stopped, locked or moved on meanwhile: nothing to do
            except Exception:  # keep the ticker alive whatever one workshop does
                log.exception("could not expire the timer of workshop %s", workshop_id)
        return locked

    def run_ticker(
        self, sleep: Callable[[float], None], interval: float = 0.25, retention_seconds: float | None = None
    ) -> None:
        """The background task that keeps countdowns honest and deletes expired workshops hourly."""
        self.load_deadlines()
        next_purge = 0.0
        while True:
            try:
                self.expire_due()
                if retention_seconds and time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + 3600
                    deleted = self.purge_expired(retention_seconds)
                    if deleted:
                        log.info("deleted %d workshops past the retention period", len(deleted))
            except Exception:  # pragma: no cover - logged, and the loop goes on
                log.exception("timer tick failed")
            sleep(interval)
