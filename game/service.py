"""Applies commands: one at a time per workshop -> load -> rules -> save -> publish.

Nothing is acknowledged before it is committed. Inside one process a lock per
workshop orders the commands; across processes the workshop row's version does
(a save against a version that moved on is retried on the fresh state).
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import logging
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from .captaincy import CaptainWatch
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
    commands as c,
)
from .engine.state import FACILITATOR, SYSTEM, Role
from .engine.views import forget as forget_views
from .publish import Snapshot
from .rights import (
    Facilitator,
    UserDirectory,
    can_run_workshop,
    require_manage_co_facilitators,
    require_run_workshop,
)
from .store import StorageUnavailable, Store, storage_failure

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 6
# Coalesced publications of a workshop are at least this many times as far apart as one takes to build and emit:
# the sockets' writers then need about as long again to put the frames on the wire.
PUBLISH_LOAD_FACTOR = 4.0
CODE_CACHE = 10_000  # room codes remembered (a workshop's code never changes)
GROUP_MAX = 200  # commands committed together at most (group commit under a burst)
# A command that finds the workshop ahead of its cache lets go of it and waits for the other processes' commands,
# again and again while they keep coming (under a burst each process commits in turn); it reads the whole workshop
# when they stop coming for CATCH_UP_WAIT seconds (Redis dropped them), or after CATCH_UP_LIMIT seconds in all
CATCH_UP_WAIT = 1.0
CATCH_UP_LIMIT = 3.0
REMOTE_WAIT = 1.0  # seconds another process's command waits for the one before it, before the stored state is read
EXPIRY_RETRY = (1.0, 2.0)  # seconds until the ticker tries to store a lapsed countdown's lock again: 1, then every 2


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


# A workshop in a language its deck lacks: the code and the words of each (the create form shows them translated,
# see CREATE_ERRORS in game.web.pages).
DECK_LANGUAGE_ERRORS = {
    "nl": ("deck_dutch_only", "This deck is in Dutch only; choose Dutch as the workshop's language, or another deck."),
    "en": ("deck_english_only",
           "This deck is in English only; choose English as the workshop's language, or another deck."),
}


def deck_language_error(deck: Deck, language: str) -> GameError | None:
    """Why a workshop in ``language`` cannot be played from ``deck`` (a one-language deck in the other), or None."""
    if language in deck.languages or len(deck.languages) != 1:
        return None
    return GameError(*DECK_LANGUAGE_ERRORS[deck.languages[0]])


def derived_console_key(secret: str, workshop_id: str, generation: int) -> str:
    """The console's secret key of a workshop's link ``generation`` (1 and up): HMAC-SHA256 of the workshop and the
    generation under the app's SECRET_KEY (URL-safe base64, 43 characters). So a console opened without its key (by a
    signed-in facilitator, from their history) can show the big-screen link (``screen_key_from`` of this key), and
    every process of a cluster computes the same keys; the database keeps only their hashes, as before."""
    digest = hmac.new(secret.encode(), f"console:{workshop_id}:{generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


FIRST_GENERATION = 1  # a new workshop's links; 0: a workshop made before generations (a random console key)
LINK_REPLACED = "This link was replaced; ask the facilitator for the new one."
RUN_AGAIN_DECK_GONE = ("The deck “{deck}” no longer exists, so this workshop cannot be run again. Create a new "
                       "workshop with another deck.")
RUN_AGAIN_CARD_GONE = ("The card “{card}” is no longer in the deck “{deck}”, so this workshop cannot be run again. "
                       "Create a new workshop and choose its cards.")


@dataclass(frozen=True)
class Created:
    """A new workshop and its two secret keys."""

    workshop: Workshop
    facilitator_key: str
    screen_key: str


class RunAgainRefused(GameError):
    """A workshop cannot be run again: its deck (``deck_gone``) or one of its cards (``card_gone``) is gone;
    ``params`` names them (``deck``, and ``card``) for the message in the facilitator's language."""

    def __init__(self, code: str, message: str, **params: str):
        super().__init__(code, message)
        self.params = params


@dataclass(frozen=True)
class Links:
    """A workshop's new console and screen keys after their links were renewed, and their generation."""

    facilitator_key: str
    screen_key: str
    generation: int


class _Unchanged(Exception):
    """Commands that changed nothing: their transaction is rolled back."""


class _Queued:
    """A command waiting for its turn in ``Service.execute``, and then its outcome."""

    __slots__ = ("actor", "command", "done", "error", "finished", "lead", "state", "tokens")

    def __init__(self, actor: Actor, command: c.Command, tokens: dict[str, str] | None):
        self.actor, self.command, self.tokens = actor, command, tokens
        self.done = threading.Event()  # set when it is finished, or when it is its turn to run the queue
        self.lead = False
        self.finished = False
        self.state: State | None = None
        self.error: BaseException | None = None

    def finish(self, state: State | None = None, error: BaseException | None = None) -> None:
        self.state, self.error, self.finished = state, error, True
        self.done.set()

    def outcome(self) -> State:
        if self.error is not None:
            raise self.error
        return self.state


class _Behind(Exception):
    """The cached state is older than the stored version: other processes' commands have not arrived yet."""

    def __init__(self, version: int):
        self.version = version


class Service:
    """The game's application service; the web layer's only way to change a workshop."""

    def __init__(self, store: Store, publisher, decks: dict[str, Deck], clock: Callable[[], float] = time.time,
                 link_secret: str | None = None):
        # the app's SECRET_KEY, from which the screen keys are derived (``derived_screen_key``); a random one
        # serves a service of its own (a test, a script): its keys are then this process's only
        self.link_secret = link_secret or secrets.token_hex(32)
        self.store = store
        self.publisher = publisher
        self.decks = decks
        self.clock = clock
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._cache: dict[str, tuple[int, State]] = {}
        self._deadlines: list[tuple[float, str, int]] = []
        self._tracked: set[tuple[float, str, int]] = set()
        self._deadlines_lock = threading.Lock()
        # (workshop, round) -> failed attempts to store its lock, and when the next one is scheduled
        self._expiry_tries: dict[tuple[str, int], tuple[int, float]] = {}
        self.storage_failing = False  # the last attempt to store a command here failed (the consoles show a banner)
        self._storage_lock = threading.Lock()
        # coalesced publishing (see publish_every): off unless the server turns it on
        self.publish_interval = 0.0
        self._spawn: Callable | None = None
        self._sleep: Callable[[float], None] = time.sleep
        self._publishing = threading.Lock()
        self._pending: dict[str, tuple[State, int]] = {}  # workshop -> newest committed, not yet published
        self._flushing: set[str] = set()  # workshops with a publication scheduled or under way
        self._published: dict[str, tuple[State, Views, int, float]] = {}  # the last one: views, version, when
        self._built: dict[str, tuple[int, Views, float]] = {}  # views built for connecting pages: version, when
        self._cost: dict[str, float] = {}  # seconds the last publication took to build and hand over
        self._codes: dict[str, str] = {}  # room code -> workshop id, as found
        self._cache_lock = threading.Lock()  # the cache and the other processes' waiting commands
        self._queue_lock = threading.Lock()
        self._queues: dict[str, list[_Queued]] = {}  # workshop -> commands waiting for their turn
        self._running: set[str] = set()  # workshops whose queue a green thread is running
        self._waiting: dict[str, dict[int, tuple]] = {}  # workshop -> version -> another process's command
        self._gap_checks: set[str] = set()  # workshops with a missing version being waited for
        self._code_lock = threading.Lock()
        self.last_command = 0.0  # time.monotonic() of the newest command, this process's or another's
        self.captains = CaptainWatch(self)  # passes captaincy on when a captain's phone is away (run by the ticker)

    def publish_every(self, interval: float, spawn: Callable, sleep: Callable[[float], None]) -> None:
        """Coalesce publications: a workshop's views go out at most once per ``interval`` seconds.

        The first change after a quiet interval is published at once; changes within the interval
        after a publication are published together when it ends, as the newest state's whole views
        (``spawn`` starts that background task, ``sleep`` waits in it). Every command is still
        committed before its acknowledgement; only the views that follow are batched, so a burst of
        N commands costs about one publication per interval instead of N.
        """
        self.publish_interval = interval
        self._spawn = spawn
        self._sleep = sleep

    # --- creating ---------------------------------------------------------------

    def create_workshop(
        self, title: str, deck_id: str, card_ids: list[str], settings: Settings, team_names: list[str],
        owner: Facilitator | None = None,
    ) -> Created:
        """Create a workshop from a deck with the chosen cards, in order, and preset teams, owned by ``owner`` (None:
        nobody, as before accounts: only its secret link opens it)."""
        deck = self.decks.get(deck_id)  # a stored deck can change at any time: look again now
        cards = tuple(deck.card(cid) for cid in card_ids) if deck is not None else ()
        if not cards or None in cards:
            raise GameError("deck_changed", "The deck was changed or deleted meanwhile; choose its cards again.")
        return self._create(title, deck, cards, settings, team_names, owner)

    def _create(self, title: str, deck: Deck, cards: tuple, settings: Settings, team_names: list[str],
                owner: Facilitator | None) -> Created:
        """Store a new workshop of these cards, with its first generation of links, and add its preset teams.
        Refused when the workshop's language is one the deck lacks (also when run again from a deck that became
        one-language meanwhile)."""
        refused = deck_language_error(deck, settings.language)
        if refused:
            raise refused
        # the workshop keeps the deck's languages only: a phone switched to another never gets a text the deck
        # does not declare (a one-language deck may still hold texts from when it had both)
        cards = tuple(card.only(deck.languages) for card in cards)
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
        facilitator_key = derived_console_key(self.link_secret, workshop.id, FIRST_GENERATION)
        created = Created(workshop, facilitator_key, screen_key_from(facilitator_key))
        try:
            self.store.create_workshop(workshop, created.facilitator_key, created.screen_key,
                                       owner.id if owner is not None else None, FIRST_GENERATION, list(team_names))
        except Exception as error:
            if not storage_failure(error):
                raise
            log.warning("could not store a new workshop: %s", error)
            raise StorageUnavailable() from error
        for name in team_names:
            self.execute(workshop.id, FACILITATOR, c.AddTeam(new_id(), name))
        return created

    def run_again(self, workshop_id: str, facilitator: Facilitator, title: str | None = None) -> Created:
        """A new workshop like this one, owned by ``facilitator``: the same deck, the same cards in the same order
        (as the deck has them now), the same settings and the same preset team names (for a workshop made before
        those were kept: its teams' names now). Refused when ``facilitator`` may not run the workshop, and when its
        deck or one of its cards no longer exists (named in the message)."""
        self.require_console(workshop_id, facilitator)
        state = self.state(workshop_id)
        if state is None:
            raise GameError("no_such_workshop", "This workshop does not exist (any more).")
        old = state.workshop
        lang = old.settings.language
        deck = self.decks.get(old.deck_id)
        if deck is None:
            raise RunAgainRefused("deck_gone", RUN_AGAIN_DECK_GONE.format(deck=old.deck_id), deck=old.deck_id)
        cards = []
        for card in old.cards:
            now = deck.card(card.id)
            if now is None:
                names = {"card": card.title.get(lang), "deck": deck.title.get(lang)}
                raise RunAgainRefused("card_gone", RUN_AGAIN_CARD_GONE.format(**names), **names)
            cards.append(now)
        teams = self.store.preset_teams(workshop_id)
        if teams is None:  # made before preset teams were kept: its teams as they are now, oldest first
            teams = [t.name for t in sorted(state.teams.values(), key=lambda t: (t.created_at, t.id))]
        return self._create(title or old.title, deck, tuple(cards), old.settings, teams, facilitator)

    # --- rights, co-facilitators, history ---------------------------------------------

    def may_run(self, workshop_id: str, facilitator: Facilitator | None) -> bool:
        """Whether ``facilitator`` may open the workshop's console (see ``game.rights.can_run_workshop``)."""
        access = self.store.workshop_access(workshop_id)
        return access is not None and can_run_workshop(facilitator, *access)

    def require_console(self, workshop_id: str, facilitator: Facilitator | None) -> None:
        """Refuse (``GameError``) unless the workshop exists and ``facilitator`` may run its console."""
        access = self.store.workshop_access(workshop_id)
        if access is None:
            raise GameError("no_such_workshop", "This workshop does not exist (any more).")
        require_run_workshop(facilitator, *access)

    def co_facilitators(self, workshop_id: str) -> list[str]:
        """The user ids of a workshop's co-facilitators, first added first."""
        access = self.store.workshop_access(workshop_id)
        return access[1] if access is not None else []

    def add_co_facilitator(self, workshop_id: str, facilitator: Facilitator, email: str,
                           users: UserDirectory) -> Facilitator:
        """The owner (or an administrator) adds the facilitator with this e-mail address as a co-facilitator:
        they run the console with the same rights. Return who was added."""
        access = self.store.workshop_access(workshop_id)
        if access is None:
            raise GameError("no_such_workshop", "This workshop does not exist (any more).")
        require_manage_co_facilitators(facilitator, access[0])
        found = users.by_email(" ".join(str(email).split()))
        if found is None:
            raise GameError("no_such_user", "There is no facilitator with this e-mail address.")
        if found.id == access[0]:
            raise GameError("already_owner", "This facilitator owns the workshop already.")
        if not self.store.add_co_facilitator(workshop_id, found.id, self.clock()):
            raise GameError("already_co_facilitator", "This facilitator is a co-facilitator already.")
        return found

    def remove_co_facilitator(self, workshop_id: str, facilitator: Facilitator, user_id: str) -> None:
        """The owner (or an administrator) removes a co-facilitator; their consoles close at their next connect."""
        access = self.store.workshop_access(workshop_id)
        if access is None:
            raise GameError("no_such_workshop", "This workshop does not exist (any more).")
        require_manage_co_facilitators(facilitator, access[0])
        if not self.store.remove_co_facilitator(workshop_id, user_id):
            raise GameError("no_such_co_facilitator", "This facilitator is not a co-facilitator of the workshop.")

    def history(self, facilitator: Facilitator, limit: int = 100) -> list[dict]:
        """The workshops ``facilitator`` owns or co-runs, newest first (``Store.facilitator_workshops``), on every
        device: what the start page lists."""
        return self.store.facilitator_workshops(facilitator.id, limit)

    def adopt_orphans(self, admin_id: str) -> tuple[int, int]:
        """Give every deck and workshop made before accounts to ``admin_id`` (the first administrator, when the
        set-up creates them); return how many (decks, workshops)."""
        return self.store.adopt_orphans(admin_id)

    # --- the secret links ----------------------------------------------------------------

    def console_key(self, workshop_id: str, generation: int) -> str | None:
        """The console's secret key of a workshop's links of ``generation``; None for a workshop made before
        generations (0: its key was random, and only its hash is stored)."""
        if generation >= FIRST_GENERATION:
            return derived_console_key(self.link_secret, workshop_id, generation)
        return None

    def screen_key(self, workshop_id: str, generation: int, facilitator_key: str | None = None) -> str | None:
        """The big screen's key of a workshop's links: derived from its console key (given, or derived from the
        workshop and generation); None for a workshop made before generations opened without its console key."""
        key = facilitator_key or self.console_key(workshop_id, generation)
        return screen_key_from(key) if key else None

    def revoke_links(self, workshop_id: str, keep: str | None = None) -> Links:
        """Renew a workshop's console and screen links: new keys in the next generation; the old ones answer "This
        link was replaced". Every console and screen socket of the workshop (on every process) is told and closed,
        but ``keep`` (the socket id of the console that asked). The caller checked the right to do it."""
        for _ in range(5):
            generation = self.store.link_generation(workshop_id)
            if generation is None:
                raise GameError("no_such_workshop", "This workshop does not exist (any more).")
            nxt = generation + 1
            console = derived_console_key(self.link_secret, workshop_id, nxt)
            links = Links(console, screen_key_from(console), nxt)
            try:
                replaced = self.store.replace_links(workshop_id, generation, links.facilitator_key,
                                                    links.screen_key, self.clock())
            except Exception as error:
                if not storage_failure(error):
                    raise
                raise StorageUnavailable() from error
            if replaced:
                self.publisher.revoke_links(workshop_id, LINK_REPLACED, keep)
                return links
        raise GameError("busy", "The links were being renewed at the same moment; try again.")

    # --- reading ------------------------------------------------------------------

    def workshop_by_code(self, code: str) -> str | None:
        """The workshop behind a room code, or None. A code never changes, so a found one is remembered: in a
        join burst every phone's page load and connection asks, and each database look-up holds a pooled
        connection while the green thread waits its turn (a deleted workshop is then refused by its state)."""
        found = self._codes.get(code)
        if found is not None:
            return found
        with self._code_lock:  # one look-up at a time: a room scanning the QR code at once asks the database once
            found = self._codes.get(code)
            if found is None:
                found = self.store.workshop_id_by_code(code)
                if found is not None:
                    if len(self._codes) >= CODE_CACHE:
                        self._codes.clear()
                    self._codes[code] = found
        return found

    def state(self, workshop_id: str, recent: bool = False) -> State | None:
        """The workshop's current state (from the cache when it is still the stored version).

        ``recent``: the cached state without asking the database, when it is at least as new as every version
        delivered to this process's pages (another process's change arrives as a delivered version, so a
        state older than one is loaded). For checks before a command (which reads the stored state again under
        the lock) and for pages that connect (a newer version follows through their rooms).
        """
        if recent:
            cached = self._cache.get(workshop_id)
            delivered = self.publisher.delivered.get(workshop_id)
            if cached is not None and delivered is not None and cached[0] >= delivered:
                return cached[1]
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
        forget_views(workshop_id)  # what was remembered of the old copy's views is never asked for again
        self._remember(workshop_id, version, state)
        self._track_deadline(state)
        return state

    def views(self, workshop_id: str) -> tuple[State, Views] | None:
        """The state and every role's view now."""
        found = self.current(workshop_id)
        return None if found is None else found[:2]

    def current(self, workshop_id: str, fresh: bool = False) -> tuple[State, Views, int] | None:
        """The state, every role's view now, and the stored version they are of.

        While a coalesced publication is pending, the last published views (at most an interval old):
        a page that connects then gets what its room got, and the pending publication follows.
        ``fresh``: the stored state whatever is pending (another process's newer version was delivered here).
        """
        with self._publishing:
            published = self._published.get(workshop_id) if workshop_id in self._flushing and not fresh else None
        if published is not None:
            return published[0], published[1], published[2]
        state = self.state(workshop_id, recent=not fresh)
        if state is None:
            return None
        cached = self._cache.get(workshop_id)
        version = cached[0] if cached is not None and cached[1] is state else None
        if self.publish_interval > 0 and version is not None:
            # many pages (re)connecting at once share one build of a version's views per interval
            built = self._built.get(workshop_id)
            if built is not None and built[0] == version and time.monotonic() - built[2] < self.publish_interval:
                return state, built[1], version
            views = build_views(state, self.clock())
            self._built[workshop_id] = (version, views, time.monotonic())
            return state, views, version
        return state, build_views(state, self.clock()), version

    def resync(self) -> None:
        """Deliver the stored state of every workshop with a page on this process to its pages again
        (after this process may have missed other processes' changes: its Redis subscription was lost)."""

        for workshop_id in {conn.workshop_id for conn in list(self.publisher.connections.values())}:
            found = self.current(workshop_id, fresh=True)
            if found is not None:
                self.publisher.deliver(Snapshot.of(*found))

    # --- changing ----------------------------------------------------------------

    def execute(
        self, workshop_id: str, actor: Actor, command: c.Command, tokens: dict[str, str] | None = None
    ) -> State:
        """Apply one command, commit it, publish the new views; raise GameError to refuse it.

        Commands for one workshop are applied one at a time, in order, on the newest state, never on a
        stale copy: in this process one green thread at a time runs them (``_run``), across processes the
        database orders them (see ``Store.claim``). Commands that arrive while one is being committed wait
        and are then committed together, in the order they arrived, in one transaction (group commit): under
        a burst each still gets its own result, and every one is committed before ``execute`` returns.
        """
        self.last_command = time.monotonic()  # game.server.QuietCollector collects in the quiet moments
        item = _Queued(actor, command, tokens)
        with self._queue_lock:
            queue = self._queues.setdefault(workshop_id, [])
            queue.append(item)
            lead = len(queue) == 1 and workshop_id not in self._running
            if lead:
                self._running.add(workshop_id)
        if not lead:
            item.done.wait()
            if not item.lead:
                return item.outcome()
        while True:  # this green thread runs the queue until its own command is done, then hands over
            with self._queue_lock:
                batch = self._queues.pop(workshop_id, [])
            try:
                self._run(workshop_id, batch[:GROUP_MAX])
            finally:
                with self._queue_lock:
                    rest = batch[GROUP_MAX:] + self._queues.pop(workshop_id, [])
                    if rest:
                        self._queues[workshop_id] = rest
                    if item.finished:
                        if rest:  # the next one waiting runs the queue now
                            rest[0].lead = True
                            rest[0].done.set()
                        else:
                            self._running.discard(workshop_id)
            if item.finished:
                return item.outcome()

    def _run(self, workshop_id: str, batch: list[_Queued]) -> None:
        """Apply a batch of commands in order and commit them as one new version; give each its outcome.

        When the database cannot store them (a full disk, a lost connection: ``storage_failure``) nothing of them
        was stored, cached, published or acknowledged: each is refused as ``StorageUnavailable`` (its sender may
        send it again), and the consoles here are told that storing fails until a command is stored again.
        """
        try:
            with self._locks[workshop_id]:
                self._run_locked(workshop_id, batch)
        except BaseException as error:  # a database failure: every command of the batch gets it
            if storage_failure(error) and not isinstance(error, StorageUnavailable):
                log.warning("could not store %d command(s) of workshop %s: %s", len(batch), workshop_id, error)
                self._storage_trouble(True)
                refusal = StorageUnavailable()
                refusal.__cause__ = error
                error = refusal
            for item in batch:
                if not item.finished:
                    item.finish(error=error)
            if not isinstance(error, Exception):
                raise

    def _run_locked(self, workshop_id: str, batch: list[_Queued]) -> None:
        deadline = time.monotonic() + CATCH_UP_LIMIT
        behind = ""  # why it stopped waiting for the other processes' commands, if it did
        while True:
            results: list = []
            try:
                with self.store.transaction() as session:
                    version = self.store.claim(session, workshop_id, self.clock())  # the lock, the next version
                    if version is None:
                        raise GameError("no_such_workshop", "This workshop does not exist (any more).")
                    now = self.clock()  # read holding the lock: commands are applied in the order of their time
                    cached = self._cache.get(workshop_id)
                    if cached is not None and cached[0] == version:
                        state = cached[1]
                    elif cached is not None and cached[0] < version and not behind \
                            and self.publisher.cluster is not None:
                        raise _Behind(version)  # another process's command is on its way: let go and wait
                    else:
                        if behind and cached is not None:
                            log.warning("workshop %s: the cached state is at version %d, the stored one at %d: %s; "
                                        "reading it whole", workshop_id, cached[0], version, behind)
                        state, _moved = self.store.load(workshop_id, session)
                        forget_views(workshop_id)
                        self._remember(workshop_id, version, state)
                    new, applied, tokens = state, [], {}
                    for item in batch:
                        try:
                            after = apply(new, item.actor, item.command, now)
                        except GameError as error:
                            results.append((item, None, error))
                            continue
                        if after is not new:
                            applied.append(item)
                            tokens.update(item.tokens or {})
                        results.append((item, after, None))
                        new = after
                    if new is state:
                        raise _Unchanged()  # roll the claimed version back
                    self.store.write(session, state, new, tokens)
            except _Unchanged:
                break
            except _Behind as ahead:
                if not self._wait_for(workshop_id, ahead.version):
                    behind = f"the other processes' commands did not come within {CATCH_UP_WAIT:g} s"
                elif time.monotonic() > deadline:
                    behind = f"they kept committing for {CATCH_UP_LIMIT:g} s"
                continue
            version += 1  # committed
            if self.storage_failing:
                self._storage_trouble(False)
            cluster = self.publisher.cluster
            if cluster is not None:  # the other processes apply them too, right away
                cluster.publish_commands(workshop_id, version, [(i.actor, i.command) for i in applied], now)
            self._remember(workshop_id, version, new)
            self._track_deadline(new)
            urgent = any(i.actor.role in (Role.FACILITATOR, Role.SYSTEM) for i in applied)
            if not self._catch_up(workshop_id, urgent):  # another process's newer commands may wait for these
                self._publish(new, version, now, urgent)
            break
        for item, after, error in results:
            item.finish(after, error)

    def _storage_trouble(self, failing: bool) -> None:
        """Storing a command failed, or worked again after failing: tell every console on this process when that
        changes (``Publisher.send_storage``; a console that connects meanwhile hears it as it connects)."""
        with self._storage_lock:  # the consoles hear the changes in the order they happened
            if self.storage_failing == failing:
                return
            self.storage_failing = failing
            if failing:
                log.error("storing changes fails: the consoles show it until a change is stored again")
            else:
                log.warning("storing changes works again")
            self.publisher.send_storage(failing)

    # --- other processes' commands ---------------------------------------------------

    def _remember(self, workshop_id: str, version: int, state: State) -> None:
        """Cache a workshop's state at ``version`` unless a newer one is cached already."""
        with self._cache_lock:
            cached = self._cache.get(workshop_id)
            if cached is None or cached[0] < version:
                self._cache[workshop_id] = (version, state)

    def apply_remote(self, workshop_id: str, version: int, commands: list[tuple[Actor, c.Command]], now: float) -> None:
        """Another process committed ``commands`` as the workshop's ``version``: apply them to the cached state, in
        version order, and publish the result to this process's pages. A version that arrives before the one it
        follows waits for it (``REMOTE_WAIT`` seconds at most; then the stored state is loaded). A workshop
        this process has no state of is left alone: it is loaded from the database when a page needs it."""
        self.last_command = time.monotonic()
        with self._cache_lock:
            cached = self._cache.get(workshop_id)
            if cached is None or version <= cached[0]:
                return
            self._waiting.setdefault(workshop_id, {})[version] = (commands, now)
        self._catch_up(workshop_id, any(actor.role in (Role.FACILITATOR, Role.SYSTEM) for actor, _cmd in commands))

    def _catch_up(self, workshop_id: str, urgent: bool = False) -> bool:
        """Apply the waiting commands of other processes that follow the cached version and publish the newest
        state (True when it did). While a version is missing, look again after ``REMOTE_WAIT`` seconds."""
        with self._cache_lock:
            waiting = self._waiting.get(workshop_id)
            cached = self._cache.get(workshop_id)
            if not waiting or cached is None:
                self._waiting.pop(workshop_id, None)
                return False
            version, state = cached
            applied = False
            while version + 1 in waiting:
                commands, now = waiting.pop(version + 1)
                try:
                    for actor, command in commands:
                        state = apply(state, actor, command, now)
                except GameError:  # the same rules on the same state cannot refuse them: read the stored state
                    log.warning("another process's command does not apply here; loading workshop %s", workshop_id)
                    self._cache.pop(workshop_id, None)
                    self._waiting.pop(workshop_id, None)
                    applied = False
                    break
                version, applied = version + 1, True
            else:
                for old in [v for v in waiting if v <= version]:
                    del waiting[old]
                if applied:
                    self._cache[workshop_id] = (version, state)
            gap = bool(self._waiting.get(workshop_id))
            if not gap:
                self._waiting.pop(workshop_id, None)
            schedule = gap and workshop_id not in self._gap_checks
            if schedule:
                self._gap_checks.add(workshop_id)
        if schedule:
            if self._spawn is not None:
                self._spawn(self._fill_gap, workshop_id)
            else:
                self._fill_gap(workshop_id, wait=False)
        if workshop_id not in self._cache:  # dropped above: the stored state, to every page here
            found = self.current(workshop_id, fresh=True)
            if found is not None:
                self.publisher.deliver(Snapshot.of(*found))
            return True
        if applied:
            self._track_deadline(state)
            self._publish(state, version, self.clock(), urgent)
        return applied

    def _wait_for(self, workshop_id: str, version: int) -> bool:
        """Wait (a little, holding no database lock) until the cached state reaches ``version`` through the other
        processes' commands (True), or ``CATCH_UP_WAIT`` seconds have passed (False): loading the whole workshop
        instead costs far more, with thousands of players."""
        deadline = time.monotonic() + CATCH_UP_WAIT
        while True:
            self._catch_up(workshop_id)
            cached = self._cache.get(workshop_id)
            if cached is None or cached[0] >= version:
                return True
            if time.monotonic() >= deadline:
                return False
            self._sleep(0.005)

    def _fill_gap(self, workshop_id: str, wait: bool = True) -> None:
        """A version of another process's commands did not arrive (Redis dropped it): after a short wait,
        load the stored state, then apply what waits beyond it."""
        try:
            if wait:
                self._sleep(REMOTE_WAIT)
            with self._cache_lock:
                self._gap_checks.discard(workshop_id)
                missing = bool(self._waiting.get(workshop_id))
            if missing and not self._catch_up(workshop_id):
                log.warning("workshop %s: a version of the other processes' commands did not come within %g s; "
                            "reading it whole", workshop_id, REMOTE_WAIT)
                found = self.current(workshop_id, fresh=True)  # loads and caches the stored state
                if found is not None:
                    self._catch_up(workshop_id)
                    self.publisher.deliver(Snapshot.of(*found))
        except Exception:
            log.exception("could not catch up with workshop %s", workshop_id)

    def _publish(self, state: State, version: int, now: float, urgent: bool = False) -> None:
        """Publish a committed state now, or with the next coalesced publication (see ``publish_every``).

        ``urgent`` (the facilitator's and the countdown's commands: rare, and the whole room waits for them, like
        a dealt card) goes out at once and takes the place of a pending publication; the participants' commands,
        which come in bursts, are coalesced.
        """
        wid = state.workshop.id
        if self.publish_interval <= 0 or self._spawn is None:
            self.publisher.publish(state, build_views(state, now), version)
            return
        with self._publishing:
            pending = self._pending.get(wid)
            if pending is not None and pending[1] > version:  # a newer state waits (another process's): send that
                state, version = pending
            if urgent:
                self._pending.pop(wid, None)  # this newer state replaces it; a running flush then finds nothing
            elif wid in self._flushing:  # the scheduled publication will send this (or a newer) state
                self._pending[wid] = (state, version)
                return
            last = self._published.get(wid)
            wait = last[3] + self._gap(wid) - time.monotonic() if last is not None and not urgent else 0.0
            if wait > 0:
                self._pending[wid] = (state, version)
                self._flushing.add(wid)
                self._spawn(self._flush, wid, wait)
                return
        self._send(state, version, now)

    def _gap(self, workshop_id: str) -> float:
        """The time between two publications of a workshop: the interval, or longer when a publication itself
        takes long (a big room on a busy machine), so that sending views never takes more than about half the
        process's time and commands and pings still get through; the sockets' queues never grow without end."""
        return max(self.publish_interval, PUBLISH_LOAD_FACTOR * self._cost.get(workshop_id, 0.0))

    def _send(self, state: State, version: int, now: float) -> None:
        """Build every role's view and hand them to the publisher."""
        started = time.monotonic()
        views = build_views(state, now)
        with self._publishing:
            self._published[state.workshop.id] = (state, views, version, started)
            self._built.pop(state.workshop.id, None)  # older than these: only memory (a whole room's views)
        self.publisher.publish(state, views, version)
        self._cost[state.workshop.id] = time.monotonic() - started

    def _flush(self, workshop_id: str, wait: float) -> None:
        """The background task of a coalesced publication: send the newest pending state once per interval
        until nothing is pending any more."""
        while True:
            self._sleep(wait)
            with self._publishing:
                pending = self._pending.pop(workshop_id, None)
                if pending is None:
                    self._flushing.discard(workshop_id)
                    return
            try:
                self._send(pending[0], pending[1], self.clock())
            except Exception:  # keep publishing whatever one publication did
                log.exception("could not publish workshop %s", workshop_id)
            wait = self._gap(workshop_id)

    # --- deleting -------------------------------------------------------------------

    def delete_workshop(self, workshop_id: str, message: str = "This workshop has been deleted.") -> None:
        """Delete a workshop and all its players' data now, and close its pages."""
        with self._locks[workshop_id]:
            self.store.delete_workshop(workshop_id)
            self._cache.pop(workshop_id, None)
            self._codes = {code: wid for code, wid in self._codes.items() if wid != workshop_id}
            with self._publishing:
                self._pending.pop(workshop_id, None)
                self._published.pop(workshop_id, None)
                self._built.pop(workshop_id, None)
                self._cost.pop(workshop_id, None)
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
        """Lock every round whose deadline has passed; return how many were locked.

        A lock that cannot be stored (``StorageUnavailable``) is tried again after ``EXPIRY_RETRY`` seconds, and
        again, until it is stored: the round then locks by the timer at that moment. Meanwhile its picks are
        refused all the same (the rules refuse them after the deadline), and the deadline itself stays stored.
        """
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
            except StorageUnavailable:
                self._retry_expiry(workshop_id, index)
                continue
            except GameError:
                pass  # extended, stopped, locked or moved on meanwhile: nothing to do
            except Exception:  # keep the ticker alive whatever one workshop does
                log.exception("could not expire the timer of workshop %s", workshop_id)
            self._expiry_tries.pop((workshop_id, index), None)
        return locked

    def _retry_expiry(self, workshop_id: str, index: int) -> None:
        """Try to store a lapsed countdown's lock again soon (1 s after the first failure, then every 2 s). One retry
        at a time: a deadline loaded again meanwhile (``load_deadlines``) that fails too schedules no second one."""
        now = self.clock()
        tries, scheduled = self._expiry_tries.get((workshop_id, index), (0, 0.0))
        if scheduled > now:
            return
        tries += 1
        wait = EXPIRY_RETRY[min(tries, len(EXPIRY_RETRY)) - 1]
        self._expiry_tries[(workshop_id, index)] = (tries, now + wait)
        log.warning("could not store the lapsed countdown of workshop %s, round %d (attempt %d); trying again in %g s",
                    workshop_id, index + 1, tries, wait)
        self._push_deadline((now + wait, workshop_id, index))

    def run_ticker(
        self,
        sleep: Callable[[float], None],
        interval: float = 0.25,
        retention_seconds: float | None = None,
        reload_seconds: float | None = None,
    ) -> None:
        """The background task that keeps countdowns honest, passes on the captaincy of captains whose phone is away
        (once a second, ``game.captaincy``) and deletes expired workshops hourly.

        With several processes (``reload_seconds``) every process also reloads the running countdowns
        from the database that often, so a timer started through a process that died still runs out.
        Every process then tries to lock the round; the database orders them and the others are refused.
        """
        loaded = False
        next_purge = next_captains = 0.0
        next_reload = time.monotonic() + (reload_seconds or 0)
        while True:
            try:
                if not loaded:  # at start-up; again on the next tick while the database cannot be read
                    self.load_deadlines()
                    loaded = True
                if reload_seconds and time.monotonic() >= next_reload:
                    next_reload = time.monotonic() + reload_seconds
                    self.load_deadlines()
                self.expire_due()
                if time.monotonic() >= next_captains:
                    next_captains = time.monotonic() + 1.0
                    self.captains.check()
                if retention_seconds and time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + 3600
                    deleted = self.purge_expired(retention_seconds)
                    if deleted:
                        log.info("deleted %d workshops past the retention period", len(deleted))
            except Exception:  # pragma: no cover - logged, and the loop goes on
                log.exception("timer tick failed")
            sleep(interval)
