"""Coalesced publishing (``Service.publish_every``): under a burst of commands a workshop's views go out at most
once per interval, always as the newest committed state's whole views, and every command is still committed
before ``execute`` returns. The interval's wait is a gate the test opens, so nothing here depends on timing."""

from __future__ import annotations

import threading

import pytest

from game import db
from game.decks import default_scenarios_dir, load_decks
from game.engine import Settings
from game.engine import commands as c
from game.engine.state import FACILITATOR, GUEST
from game.service import Service
from game.store import Store, make_engine


class Recorder:
    """A publisher that keeps what it was given."""

    def __init__(self):
        self.sent: list[tuple[int, int]] = []  # (version, players in the state)
        self.delivered: dict[str, int] = {}  # what a Publisher delivered (nothing: the service asks the database)
        self.done = threading.Condition()

    def publish(self, state, views, version=None, urgent=False):
        with self.done:
            self.sent.append((version, len(state.players)))
            self.done.notify_all()

    def pace(self, interval, spawn, sleep):
        pass

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


def test_a_burst_is_published_once_as_its_newest_state(service):
    gate = threading.Event()
    tasks = []

    def spawn(fn, *args):
        task = threading.Thread(target=fn, args=args, daemon=True)
        tasks.append(task)
        task.start()

    service.publish_every(3600, spawn, lambda _seconds: gate.wait())
    wid = service.create_workshop("Burst", "aandacht-basis", ["spilled-tea"], Settings(team_size=5), []).workshop.id
    recorder = service.publisher

    service.execute(wid, GUEST, c.JoinWorkshop("p00", "P00"), {"p00": "t00"})
    assert recorder.sent == [(1, 1)]  # the first change after a quiet interval goes out at once
    for i in range(1, 30):
        service.execute(wid, GUEST, c.JoinWorkshop(f"p{i:02d}", f"P{i:02d}"), {f"p{i:02d}": f"t{i:02d}"})
    assert len(service.store.load(wid)[0].players) == 30  # every command was committed before execute returned
    assert recorder.sent == [(1, 1)] and len(tasks) == 1  # the rest wait for the one scheduled publication
    state, views, version = service.current(wid)
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
    gate = threading.Event()
    tasks = []

    def spawn(fn, *args):
        task = threading.Thread(target=fn, args=args, daemon=True)
        tasks.append(task)
        task.start()

    service.publish_every(3600, spawn, lambda _seconds: gate.wait())
    wid = service.create_workshop("Deal", "aandacht-basis", ["spilled-tea"], Settings(team_size=5), []).workshop.id
    service.execute(wid, GUEST, c.JoinWorkshop("p0", "P0"), {"p0": "t0"})
    service.execute(wid, GUEST, c.JoinWorkshop("p1", "P1"), {"p1": "t1"})
    assert service.publisher.sent == [(1, 1)]  # the second join waits for the interval
    service.execute(wid, FACILITATOR, c.AddTeam("red", "Red"))
    assert service.publisher.sent == [(1, 1), (3, 2)]  # at once, with the pending join in it
    gate.set()
    tasks[0].join(30)
    assert service.publisher.sent == [(1, 1), (3, 2)]  # nothing older follows


# --- what other processes publish: paced the same way (Publisher.receive) --------------------------------


class FakeSocketIO:
    """Records every emit of a Publisher; rooms are not needed for these tests."""

    def __init__(self):
        self.emits: list[tuple[str, dict, str]] = []
        self.server = self

    def emit(self, event, data, to=None, ignore_queue=False):
        self.emits.append((event, data, to))

    def enter_room(self, sid, name, namespace="/"):
        pass

    def leave_room(self, sid, name, namespace="/"):
        pass


def snapshot(version: int):
    from game.engine import Views
    from game.publish import Snapshot

    return Snapshot("w1", version, Views({"v": version}, {"v": version}, {"v": version}, {}), {})


@pytest.fixture
def paced():
    """A Publisher pacing other processes' snapshots; the spawned delivery task is kept for the test to run."""
    from game.publish import Publisher

    socketio = FakeSocketIO()
    publisher = Publisher(socketio)
    tasks = []
    publisher.pace(3600.0, lambda fn, *a: tasks.append((fn, a)), lambda seconds: None)  # an hour: always waits
    return publisher, socketio, tasks


def screen_versions(socketio) -> list[int]:
    return [data["v"] for event, data, to in socketio.emits if to == "w1:screen"]


def test_other_processes_snapshots_are_delivered_once_per_interval_newest_first(paced):
    publisher, socketio, tasks = paced
    publisher.receive(snapshot(1))  # nothing delivered lately: at once
    assert screen_versions(socketio) == [1]
    for version in (3, 2, 4):  # within the interval, in any order: one delivery later, of the newest
        publisher.receive(snapshot(version))
    assert screen_versions(socketio) == [1] and len(tasks) == 1
    fn, args = tasks.pop()
    fn(*args)  # the paced delivery: sends 4, finds nothing more waiting, ends
    assert screen_versions(socketio) == [1, 4] and not tasks
    publisher.receive(snapshot(3))  # older than what was delivered: dropped when its turn comes
    fn, args = tasks.pop()
    fn(*args)
    assert screen_versions(socketio) == [1, 4]


def test_an_urgent_snapshot_from_another_process_goes_out_at_once(paced):
    publisher, socketio, tasks = paced
    publisher.receive(snapshot(1))
    publisher.receive(snapshot(2))  # waits for the paced delivery
    publisher.receive(snapshot(3), urgent=True)  # a dealt card: now, and it takes the waiting one's place
    assert screen_versions(socketio) == [1, 3]
    fn, args = tasks.pop()
    fn(*args)
    assert screen_versions(socketio) == [1, 3]


def test_without_pacing_every_snapshot_is_delivered_at_once():
    from game.publish import Publisher

    socketio = FakeSocketIO()
    publisher = Publisher(socketio)
    for version in (1, 2, 3):
        publisher.receive(snapshot(version))
    assert screen_versions(socketio) == [1, 2, 3]
