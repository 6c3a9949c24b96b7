"""Coalesced publishing (``Service.publish_every``): under a burst of commands a workshop's views go out at most
once per interval, always as the newest committed state's whole views, and every command is still committed
before ``execute`` returns. The interval's wait is a gate the test opens, so nothing here depends on timing."""

from __future__ import annotations

import json
import threading

import pytest

from game import db
from game.decks import default_scenarios_dir, load_decks
from game.engine import GameError, Settings, commands as c
from game.engine.state import FACILITATOR, GUEST, Actor, Role
from game.service import Service
from game.store import Store, make_engine


class Recorder:
    """A publisher that keeps what it was given."""

    cluster = None

    def __init__(self):
        self.sent: list[tuple[int, int]] = []  # (version, players in the state)
        self.delivered: dict[str, int] = {}  # what a Publisher delivered (nothing: the service asks the database)
        self.done = threading.Condition()

    def publish(self, state, views, version=None):
        with self.done:
            self.sent.append((version, len(state.players)))
            self.done.notify_all()

    def deliver(self, snapshot):
        with self.done:
            self.sent.append((snapshot.version, len(snapshot.members)))
            self.done.notify_all()

    def close_workshop(self, workshop_id, message):
        pass

    def wait_for(self, predicate):
        with self.done:
            assert self.done.wait_for(lambda: predicate(self.sent), timeout=30), self.sent


@pytest.fixture
def service(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'coalesce.sqlite3'}")
    db.upgrade(engine)
    svc = Service(Store(engine), Recorder(), load_decks(default_scenarios_dir()))
    yield svc
    engine.dispose()


def gated(service) -> tuple[threading.Event, list[threading.Thread]]:
    """Coalesce the service's publications with an interval that ends when the test sets the gate; the
    scheduled publications run as threads, kept in the list."""
    gate = threading.Event()
    tasks: list[threading.Thread] = []

    def spawn(fn, *args):
        task = threading.Thread(target=fn, args=args, daemon=True)
        tasks.append(task)
        task.start()

    service.publish_every(3600, spawn, lambda _seconds: gate.wait())
    return gate, tasks


def test_a_burst_is_published_once_as_its_newest_state(service):
    gate, tasks = gated(service)
    wid = service.create_workshop("Burst", "aandacht-basis", ["spilled-tea"], Settings(team_size=5), []).workshop.id
    recorder = service.publisher

    service.execute(wid, GUEST, c.JoinWorkshop("p00", "P00"), {"p00": "t00"})
    assert recorder.sent == [(1, 1)]  # the first change after a quiet interval goes out at once
    for i in range(1, 30):
        service.execute(wid, GUEST, c.JoinWorkshop(f"p{i:02d}", f"P{i:02d}"), {f"p{i:02d}": f"t{i:02d}"})
    assert len(service.store.load(wid)[0].players) == 30  # every command was committed before execute returned
    assert recorder.sent == [(1, 1)] and len(tasks) == 1  # the rest wait for the one scheduled publication
    state, _views, version = service.current(wid)
    assert (version, len(state.players)) == (1, 1)  # a page connecting now gets what its room got

    gate.set()
    recorder.wait_for(lambda sent: len(sent) == 2)
    tasks[0].join(30)
    assert recorder.sent == [(1, 1), (30, 30)]  # the newest whole state, once
    assert len(service.current(wid)[0].players) == 30


def test_without_an_interval_every_command_publishes_at_once(service):
    wid = service.create_workshop("Each", "aandacht-basis", ["spilled-tea"], Settings(team_size=5), []).workshop.id
    for i in range(5):
        service.execute(wid, GUEST, c.JoinWorkshop(f"p{i}", f"P{i}"), {f"p{i}": f"t{i}"})
    assert service.publisher.sent == [(v, v) for v in range(1, 6)]


def test_the_facilitators_command_goes_out_at_once_and_replaces_what_was_pending(service):
    gate, tasks = gated(service)
    wid = service.create_workshop("Deal", "aandacht-basis", ["spilled-tea"], Settings(team_size=5), []).workshop.id
    service.execute(wid, GUEST, c.JoinWorkshop("p0", "P0"), {"p0": "t0"})
    service.execute(wid, GUEST, c.JoinWorkshop("p1", "P1"), {"p1": "t1"})
    assert service.publisher.sent == [(1, 1)]  # the second join waits for the interval
    service.execute(wid, FACILITATOR, c.AddTeam("red", "Red"))
    assert service.publisher.sent == [(1, 1), (3, 2)]  # at once, with the pending join in it
    gate.set()
    tasks[0].join(30)
    assert service.publisher.sent == [(1, 1), (3, 2)]  # nothing older follows


# --- other processes' commands (Service.apply_remote) -------------------------------------------------------


class CommandLog:
    """Stands in for the cluster: keeps each command a service shares with the other processes."""

    def __init__(self):
        self.sent: list[tuple] = []

    def publish_commands(self, workshop_id, version, commands, now):
        from game.engine.commands import command_from_dict, command_to_dict

        as_json = json.loads(json.dumps([command_to_dict(command) for _actor, command in commands]))  # through Redis
        crossed = [(actor, command_from_dict(data)) for (actor, _command), data in zip(commands, as_json, strict=True)]
        self.sent.append((workshop_id, version, crossed, now))


@pytest.fixture
def two(tmp_path):
    """Two services ("processes") on one database: ``one`` shares its commands, ``two`` applies them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'remote.sqlite3'}")
    db.upgrade(engine)
    decks = load_decks(default_scenarios_dir())
    one, two = Service(Store(engine), Recorder(), decks), Service(Store(engine), Recorder(), decks)
    one.publisher.cluster = CommandLog()
    yield one, two
    engine.dispose()


def play_some(one) -> str:
    """Create a workshop on ``one`` and play a few commands there; return its id."""
    created = one.create_workshop("Remote", "aandacht-basis", ["spilled-tea"], Settings(team_size=3), ["Red"])
    wid = created.workshop.id
    red = next(iter(one.state(wid).teams))
    for pid in ("ann", "bob", "cem"):
        one.execute(wid, GUEST, c.JoinWorkshop(pid, pid.title()), {pid: "token-" + pid})
        one.execute(wid, Actor(Role.PLAYER, pid), c.JoinTeam(red))
    one.execute(wid, FACILITATOR, c.DealCard(0))
    one.execute(wid, Actor(Role.PLAYER, "bob"), c.SubmitPick(0, "b", "x1", 1))
    return wid


def test_another_process_applies_the_commands_in_version_order_whatever_order_they_arrive_in(two):
    one, other = two
    created = one.create_workshop("Remote", "aandacht-basis", ["spilled-tea"], Settings(team_size=3), [])
    wid = created.workshop.id
    other.state(wid)  # the other process follows this workshop (a page of it is connected there)
    one.publisher.cluster.sent.clear()
    wid2 = play_some(one)
    assert wid2 != wid
    one.execute(wid, GUEST, c.JoinWorkshop("dan", "Dan"), {"dan": "token-dan"})
    one.execute(wid, FACILITATOR, c.AddTeam("t-blue", "Blue"))
    one.execute(wid, Actor(Role.PLAYER, "dan"), c.JoinTeam("t-blue"))
    sent = [m for m in one.publisher.cluster.sent if m[0] == wid]
    assert [m[1] for m in sent] == [1, 2, 3]  # each command's version (created as version 0)
    before = len(other.publisher.sent)
    checks = []  # the wait for a missing version: kept, not run (its versions arrive meanwhile)
    other._spawn = lambda fn, *args: checks.append((fn, args))
    loads = []
    load = other.store.load
    other.store.load = lambda *a, **k: loads.append(a) or load(*a, **k)
    for message in (sent[2], sent[0], sent[1]):  # Redis may hand them over in another order
        other.apply_remote(*message)
    assert checks and not loads  # it waited for versions 1 and 2, applied all three, and read nothing
    assert other._cache[wid][0] == 3 and other._cache[wid][1] == one.state(wid)  # the very same state as stored
    fn, args = checks.pop()
    other._sleep = lambda seconds: None
    fn(*args)  # the check finds nothing missing any more
    assert not loads
    assert len(other.publisher.sent) > before and other.publisher.sent[-1][0] == 3
    other.apply_remote(*sent[1])  # a repeat changes nothing
    assert other._cache[wid][0] == 3
    assert wid2 not in other._cache  # a workshop it does not follow is left to the database


def test_a_version_that_never_arrives_is_read_from_the_database(two):
    one, other = two
    wid = play_some(one)
    other.state(wid)
    start = other._cache[wid][0]
    one.publisher.cluster.sent.clear()
    one.execute(wid, Actor(Role.PLAYER, "ann"), c.SubmitPick(0, "a", "x2", 2))
    one.execute(wid, Actor(Role.PLAYER, "cem"), c.SubmitPick(0, "c", "x3", 3))
    _lost, late = one.publisher.cluster.sent
    other.apply_remote(*late)  # the one before it was lost: without a spawner it loads the stored state at once
    assert other._cache[wid] == (start + 2, one.state(wid))
    assert other.publisher.sent[-1][0] == start + 2


def test_a_command_waits_for_the_other_processes_commands_instead_of_loading_the_workshop(two):
    one, other = two
    wid = play_some(one)
    other.publisher.cluster = CommandLog()
    other.state(wid)  # following the workshop
    one.publisher.cluster.sent.clear()
    one.execute(wid, Actor(Role.PLAYER, "ann"), c.SubmitPick(0, "a", "x2", 2))  # not arrived at `other` yet
    on_the_way = list(one.publisher.cluster.sent)
    loads = []
    load = other.store.load
    other.store.load = lambda *a, **k: loads.append(a) or load(*a, **k)

    def sleep(seconds):  # while `other` waits, the command arrives through "Redis"
        while on_the_way:
            other.apply_remote(*on_the_way.pop())

    other._sleep = sleep
    other.execute(wid, Actor(Role.PLAYER, "cem"), c.SubmitPick(0, "c", "x3", 3))
    assert not loads  # it let go of the workshop, caught up, and claimed it again
    assert other.state(wid) == one.state(wid) and set(one.state(wid).picks) == {(0, "ann"), (0, "bob"), (0, "cem")}


def test_commands_arriving_during_a_commit_are_committed_together_each_with_its_own_outcome(service):
    """Group commit: while one command is being committed, the next ones wait and then go in one transaction,
    in the order they arrived; each caller gets its own result (or its own refusal) once they are committed."""
    created = service.create_workshop("Group", "aandacht-basis", ["spilled-tea"], Settings(team_size=9), ["Red"])
    wid = created.workshop.id
    service.state(wid)
    gate, first = threading.Event(), [True]
    claim = service.store.claim

    def slow_first_claim(session, workshop_id, now):
        if first[0]:
            first[0] = False
            assert gate.wait(30)
        return claim(session, workshop_id, now)

    service.store.claim = slow_first_claim
    version_before = service._cache[wid][0]
    outcomes: dict[str, object] = {}

    def join(pid, name):
        try:
            state = service.execute(wid, GUEST, c.JoinWorkshop(pid, name), {pid: "token-" + pid})
            outcomes[pid] = state
        except Exception as error:
            outcomes[pid] = error

    threads = [threading.Thread(target=join, args=("p0", "Ann"))]
    threads[0].start()
    while first[0]:  # the first command is inside its transaction
        threading.Event().wait(0.01)
    for i, name in enumerate(["Bob", "Cem", "x" * 300, "Dan"], start=1):  # the third is refused: too long
        threads.append(threading.Thread(target=join, args=(f"p{i}", name)))
        threads[-1].start()
        while len(service._queues.get(wid, [])) < i:  # queued before the next one starts
            threading.Event().wait(0.01)
    gate.set()
    for t in threads:
        t.join(30)
    assert isinstance(outcomes["p3"], GameError) and outcomes["p3"].code == "too_long"
    for pid in ("p0", "p1", "p2", "p4"):
        assert pid in outcomes[pid].players  # its own result: the state right after its command
    stored = service.store.load(wid)
    assert set(stored[0].players) == {"p0", "p1", "p2", "p4"}
    assert stored[1] == version_before + 2  # one version for the first, one for the four that waited
    assert "p4" not in outcomes["p2"].players and "p2" in outcomes["p4"].players  # in the order they arrived
    assert not service._queues and not service._running


def test_a_command_behind_other_processes_that_keep_committing_catches_up_instead_of_loading_the_workshop(two):
    """Three processes taking a room's picks commit one after the other: a command that claims the workshop finds
    it a version or two ahead of its cache, waits for those versions to arrive, and by the time it claims again
    another process has committed once more. As long as each wait brings the versions it waited for, it goes on
    catching up; it reads the whole workshop (all players, every round's picks) only when the versions stop
    coming. Before, it gave up after three waits: five whole loads in 16 rounds of picks on 3 processes, each
    one held the workshop's lock for all processes while it read (``bench.run --processes 3``, 2026-12-06)."""
    one, other = two
    wid = play_some(one)
    other.state(wid)
    other.publisher.cluster = CommandLog()  # it shares its own commands too: it is one of several processes
    sent = one.publisher.cluster.sent
    sent.clear()
    delivered = [0]
    moves = iter(range(6))  # the other process commits again six times, each time this one has caught up

    def sleep(_seconds: float) -> None:  # meanwhile: Redis hands over what the other process committed
        while delivered[0] < len(sent):
            other.apply_remote(*sent[delivered[0]])
            delivered[0] += 1
        n = next(moves, None)
        if n is not None:
            one.execute(wid, Actor(Role.PLAYER, "ann"), c.SubmitPick(0, "bcda"[n % 4], f"a{n}", 10 + n))

    other._sleep = sleep
    one.execute(wid, Actor(Role.PLAYER, "ann"), c.SubmitPick(0, "a", "a-first", 9))  # this process is behind
    loads = []
    load = other.store.load
    other.store.load = lambda *a, **k: loads.append(a) or load(*a, **k)
    other.execute(wid, Actor(Role.PLAYER, "cem"), c.SubmitPick(0, "c", "c1", 20))
    assert not loads
    assert next(moves, None) is None  # it found the workshop ahead of its cache seven times, and caught up each time
    assert other.state(wid) == one.state(wid) and other.state(wid).picks[(0, "cem")].response_id == "c"


def test_a_command_whose_missing_versions_never_come_reads_the_workshop(two, monkeypatch):
    """The other processes' commands for a version did not come (Redis dropped them): after waiting
    ``CATCH_UP_WAIT`` for them, the command reads the stored workshop and is applied to that."""
    import game.service

    monkeypatch.setattr(game.service, "CATCH_UP_WAIT", 0.05)
    one, other = two
    wid = play_some(one)
    other.state(wid)
    other.publisher.cluster = CommandLog()
    other._sleep = lambda seconds: None  # nothing ever arrives
    one.execute(wid, Actor(Role.PLAYER, "ann"), c.SubmitPick(0, "a", "a-lost", 9))
    loads = []
    load = other.store.load
    other.store.load = lambda *a, **k: loads.append(a) or load(*a, **k)
    other.execute(wid, Actor(Role.PLAYER, "cem"), c.SubmitPick(0, "c", "c1", 20))
    assert len(loads) == 1
    assert other.state(wid) == one.state(wid) and other.state(wid).picks[(0, "ann")].response_id == "a"
