"""The service orders commands per workshop, also across processes: two services on one database
(as two server processes would be) apply concurrent commands without losing or doubling any."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event

from game import db
from game.decks import default_scenarios_dir, load_decks
from game.engine import Actor, GameError, Role, Settings, commands as c
from game.engine.state import FACILITATOR, GUEST
from game.service import Service
from game.store import Store, fail_commits_while, make_engine, storage_failure


class Silent:
    """A publisher that only counts what it would send."""

    cluster = None

    def __init__(self):
        self.published = 0
        self.delivered: dict[str, int] = {}  # what a Publisher delivered (nothing: the service asks the database)

    def publish(self, state, views, version=None):
        self.published += 1

    def close_workshop(self, workshop_id, message):
        pass


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    return (
        f"sqlite:///{tmp_path / 'shared.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    )


def two_services(url):
    """Two independent services (own engine, cache and locks) on one database."""
    decks = load_decks(default_scenarios_dir())
    engines = [make_engine(url) for _ in range(2)]
    db.upgrade(engines[0])
    return [Service(Store(e), Silent(), decks) for e in engines], engines


def test_concurrent_commands_across_two_services_are_neither_lost_nor_doubled(url):
    (one, two), engines = two_services(url)
    try:
        created = one.create_workshop(
            "Race", "aandacht-basis", ["spilled-tea", "crowded-train"], Settings(team_size=50), ["Red"]
        )
        wid = created.workshop.id
        red = next(iter(one.state(wid).teams))
        players = [f"p{i:02d}" for i in range(24)]
        errors = []

        def join(service, pid):
            try:
                service.execute(wid, GUEST, c.JoinWorkshop(pid, pid.upper()), {pid: "token-" + pid})
                service.execute(wid, Actor(Role.PLAYER, pid), c.JoinTeam(red))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=join, args=((one, two)[i % 2], pid)) for i, pid in enumerate(players)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        for service in (one, two):
            state = service.state(wid)
            assert sorted(state.players) == players
            assert all(p.team_id == red for p in state.players.values())

        # both "processes" deal the first card at once: exactly one wins
        results = []

        def deal(service):
            try:
                service.execute(wid, FACILITATOR, c.DealCard(0))
                results.append("ok")
            except GameError as error:
                results.append(error.code)

        dealers = [threading.Thread(target=deal, args=(s,)) for s in (one, two, one, two)]
        for t in dealers:
            t.start()
        for t in dealers:
            t.join()
        assert sorted(results) == ["ok", "stale", "stale", "stale"]
        assert len(two.state(wid).rounds) == 1

        # every player picks concurrently through either service: one pick each, none lost
        card = one.state(wid).card_of(one.state(wid).current_round)
        ids = [r.id for r in card.responses]
        pickers = [
            threading.Thread(
                target=lambda s, p, r: s.execute(wid, Actor(Role.PLAYER, p), c.SubmitPick(0, r, p)),
                args=((one, two)[i % 2], pid, ids[i % len(ids)]),
            )
            for i, pid in enumerate(players)
        ]
        for t in pickers:
            t.start()
        for t in pickers:
            t.join()
        fresh = Store(engines[0]).load(wid)[0]
        assert {p: fresh.picks[(0, p)].response_id for p in players} == {
            pid: ids[i % len(ids)] for i, pid in enumerate(players)
        }
        assert fresh == one.state(wid) == two.state(wid)
    finally:
        for e in engines:
            e.dispose()


def test_a_recent_state_is_the_cache_only_while_nothing_newer_was_delivered(tmp_path):
    """``state(recent=True)`` skips the database while the cached version is the newest this process delivered;
    once another process's newer version was delivered here, it loads the stored state. Room codes are
    remembered once found, and forgotten when the workshop is deleted."""
    (one, two), engines = two_services(f"sqlite:///{tmp_path / 'recent.sqlite3'}")
    try:
        created = one.create_workshop("Recent", "aandacht-basis", ["spilled-tea"], Settings(), [])
        wid, code = created.workshop.id, created.workshop.code
        one.execute(wid, GUEST, c.JoinWorkshop("ann", "Ann"), {"ann": "token-ann"})
        version = one._cache[wid][0]
        one.publisher.delivered[wid] = version
        two.execute(wid, GUEST, c.JoinWorkshop("bob", "Bob"), {"bob": "token-bob"})  # the other process
        assert set(one.state(wid, recent=True).players) == {"ann"}  # nothing newer delivered here yet
        one.publisher.delivered[wid] = version + 1  # its publication arrived
        assert set(one.state(wid, recent=True).players) == {"ann", "bob"}
        assert set(one.state(wid).players) == {"ann", "bob"}
        assert one.workshop_by_code(code) == wid and one.workshop_by_code("ZZZZZZ") is None
        one.delete_workshop(wid)
        assert one.workshop_by_code(code) is None and one.state(wid, recent=True) is None
    finally:
        for engine in engines:
            engine.dispose()


# --- storage trouble: a full disk, a lost or read-only database ---------------------------------------------------


class Recorder(Silent):
    """A publisher that records what the consoles are told about storing (``send_storage``)."""

    def __init__(self):
        super().__init__()
        self.storage: list[bool] = []

    def send_storage(self, failing):
        self.storage.append(failing)


class Storage:
    """A database that can be made to fail to store, for real: SQLite whose every commit fails as on a full disk,
    or PostgreSQL set read-only (as after a failover to a standby) with its open connections cut."""

    def __init__(self, url: str, admin_url: str | None = None):
        self.url = url
        self.admin_url = admin_url  # PostgreSQL: the session server's admin URL (tests/conftest.py)
        self.engine = make_engine(url)
        db.upgrade(self.engine)
        self.failing = False
        self.transactions = 0  # begun on this engine: how often the service tried to read or store
        event.listen(self.engine, "begin", self._begun)
        if url.startswith("sqlite"):
            fail_commits_while(self.engine, lambda: self.failing)

    def _begun(self, _conn) -> None:
        self.transactions += 1

    def fail(self, failing: bool) -> None:
        self.failing = failing
        if self.url.startswith("postgresql"):
            from sqlalchemy import create_engine, text

            name = self.url.rsplit("/", 1)[1]
            admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as conn:
                    conn.execute(
                        text(
                            f'ALTER DATABASE "{name}" SET default_transaction_read_only = '
                            + ("on" if failing else "off")
                        )
                    )
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :name AND pid <> pg_backend_pid()"
                        ),
                        {"name": name},
                    )
            finally:
                admin.dispose()

    def stored(self, workshop_id: str):
        """The workshop as the database holds it, read through a connection of its own."""
        engine = make_engine(self.url)
        try:
            return Store(engine).load(workshop_id)[0]
        finally:
            engine.dispose()


@pytest.fixture
def storage(url, request):
    found = Storage(url, request.getfixturevalue("pg_admin_url") if url.startswith("postgresql") else None)
    yield found
    found.engine.dispose()


def a_round_with_a_timer(svc: Service, seconds: int = 60) -> tuple[str, float]:
    """A workshop with one team whose player picked, its first card dealt and its countdown running."""
    created = svc.create_workshop("Full disk", "aandacht-basis", ["spilled-tea"], Settings(timer_seconds=0), ["Red"])
    wid = created.workshop.id
    red = next(iter(svc.state(wid).teams))
    svc.execute(wid, GUEST, c.JoinWorkshop("ann", "Ann"), {"ann": "token-ann"})
    svc.execute(wid, Actor(Role.PLAYER, "ann"), c.JoinTeam(red))
    svc.execute(wid, FACILITATOR, c.DealCard(0))
    card = svc.state(wid).card_of(svc.state(wid).current_round)
    svc.execute(wid, Actor(Role.PLAYER, "ann"), c.SubmitPick(0, card.responses[1].id, "pick-1"))
    state = svc.execute(wid, FACILITATOR, c.StartTimer(0, seconds))
    return wid, state.current_round.deadline


def test_a_deadline_that_passes_while_storing_fails_locks_the_round_once_storing_works_again(storage):
    """The disk is full (or the database read-only) when the countdown runs out: the round is not locked (nothing
    is stored), the deadline is kept and the lock is tried again, after 1 s and then every 2 s, until it is stored:
    the round then locks by the timer at that moment, with the team's last pick as its answer."""
    from .conftest import FakeClock

    clock = FakeClock()
    svc = Service(Store(storage.engine), Recorder(), load_decks(default_scenarios_dir()), clock)
    wid, deadline = a_round_with_a_timer(svc)
    clock.advance(61)
    storage.fail(True)
    assert svc.expire_due() == 0
    for state in (storage.stored(wid), svc.state(wid)):  # neither the database nor this process moved on
        assert state.phase.value == "collecting" and state.current_round.locked_at is None
        assert state.current_round.deadline == deadline
    assert svc.publisher.storage == [True]  # the consoles show that storing fails

    tries = storage.transactions
    clock.advance(0.5)
    assert svc.expire_due() == 0
    assert storage.transactions == tries  # not yet: the next try is 1 s after the failure
    clock.advance(1)
    assert svc.expire_due() == 0  # tried again, failed again
    assert storage.transactions > tries
    assert storage.stored(wid).current_round.locked_at is None
    assert svc.publisher.storage == [True]

    storage.fail(False)
    clock.advance(2)
    assert svc.expire_due() == 1
    stored = storage.stored(wid)
    rnd = stored.current_round
    assert stored.phase.value == "locked" and rnd.locked_by == "timer"
    assert deadline + 4.5 <= rnd.locked_at <= clock.now and rnd.deadline == deadline  # locked now, not at 61 s
    assert [a.player_id for a in stored.answers.values()] == ["ann"]  # locked on the team's last pick
    assert svc.state(wid) == stored
    assert svc.publisher.storage == [True, False]  # the banner goes once the lock is stored
    clock.advance(10)
    assert svc.expire_due() == 0  # and nothing is tried any more


def test_one_retry_of_a_lapsed_countdown_at_a_time_also_when_the_deadlines_are_reloaded(tmp_path):
    """With several processes the ticker reloads the running deadlines every 2 s, and each reload's lapsed deadline
    is tried at once; while storing fails that must not start a second chain of retries (and a third...): one retry
    of each round's lock is scheduled at a time."""
    from .conftest import FakeClock

    clock = FakeClock()
    storage = Storage(f"sqlite:///{tmp_path / 'reload.sqlite3'}")
    svc = Service(Store(storage.engine), Recorder(), load_decks(default_scenarios_dir()), clock)
    wid, _deadline = a_round_with_a_timer(svc)
    clock.advance(61)
    storage.fail(True)
    assert svc.expire_due() == 0
    for _ in range(5):  # five reloads, 2 s apart, while storing fails
        clock.advance(2)
        svc.load_deadlines()
        assert svc.expire_due() == 0
    assert len([entry for entry in svc._deadlines if entry[1] == wid]) == 1
    storage.fail(False)
    clock.advance(2)
    assert svc.expire_due() == 1 and svc._deadlines == []
    storage.engine.dispose()


def test_a_command_that_cannot_be_stored_is_refused_and_changes_nothing(storage):
    """Nothing that was not stored is acknowledged, cached or published: the command is refused with
    ``storage_unavailable`` (its sender may send it again), and works once storing works again."""
    from .conftest import FakeClock

    svc = Service(Store(storage.engine), Recorder(), load_decks(default_scenarios_dir()), FakeClock())
    wid, _deadline = a_round_with_a_timer(svc)
    before, published = svc.state(wid), svc.publisher.published
    storage.fail(True)
    with pytest.raises(GameError) as refused:
        svc.execute(wid, FACILITATOR, c.LockRound(0))
    assert refused.value.code == "storage_unavailable" and "try again" in refused.value.message
    assert svc.state(wid) == before == storage.stored(wid)
    assert svc.publisher.published == published and svc.publisher.storage == [True]
    storage.fail(False)
    assert svc.execute(wid, FACILITATOR, c.LockRound(0)).phase.value == "locked"
    assert storage.stored(wid).current_round.locked_by == "facilitator"
    assert svc.publisher.storage == [True, False]


def test_the_ticker_starts_even_when_the_database_cannot_be_read_at_first(tmp_path):
    """The countdowns are loaded at start-up; when the database cannot be read then, the ticker tries again on
    its next tick instead of ending (no countdown would ever run out until the next restart)."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from .conftest import FakeClock

    clock = FakeClock()
    url = f"sqlite:///{tmp_path / 'ticker.sqlite3'}"
    first = Service(Store(make_engine(url)), Recorder(), load_decks(default_scenarios_dir()), clock)
    db.upgrade(first.store.engine)
    wid, _deadline = a_round_with_a_timer(first)
    clock.advance(61)
    restarted = Service(Store(make_engine(url)), Recorder(), load_decks(default_scenarios_dir()), clock)
    reads = []
    active_deadlines = restarted.store.active_deadlines

    def unreadable_at_first():
        reads.append(1)
        if len(reads) == 1:
            raise OperationalError("SELECT", {}, sqlite3.OperationalError("disk I/O error"))
        return active_deadlines()

    restarted.store.active_deadlines = unreadable_at_first

    class Stop(Exception):
        pass

    ticks = []

    def sleep(_seconds):
        ticks.append(1)
        if len(ticks) == 3:
            raise Stop

    with pytest.raises(Stop):
        restarted.run_ticker(sleep)
    assert restarted.state(wid).current_round.locked_by == "timer"
    for svc in (first, restarted):
        svc.store.engine.dispose()


def test_storage_trouble_is_told_apart_from_bugs(tmp_path):
    """Connection loss, a full disk, a read-only database or an exhausted pool are storage trouble (the client may
    try again); a bad statement, a missing table or a broken constraint is a bug and never reported as such."""
    import sqlite3

    import psycopg2
    import psycopg2.errors
    from sqlalchemy import exc

    def wrapped(kind, orig):
        return kind("UPDATE workshops SET version = version + 1", {}, orig)

    def real_sqlite_error(sql: str, uri: str = ":memory:"):
        conn = sqlite3.connect(uri, uri=uri != ":memory:")
        try:
            conn.execute(sql)
        except sqlite3.Error as error:
            return error
        finally:
            conn.close()
        raise AssertionError("no error")

    read_only = tmp_path / "read-only.sqlite3"
    sqlite3.connect(read_only).close()
    trouble = [
        wrapped(exc.OperationalError, sqlite3.OperationalError("database or disk is full")),
        wrapped(exc.OperationalError, sqlite3.OperationalError("database is locked")),
        wrapped(exc.OperationalError, real_sqlite_error("CREATE TABLE t (x)", f"file:{read_only}?mode=ro")),
        wrapped(exc.OperationalError, psycopg2.errors.DiskFull("could not extend file: No space left on device")),
        wrapped(exc.OperationalError, psycopg2.OperationalError("server closed the connection unexpectedly")),
        wrapped(exc.OperationalError, psycopg2.errors.TooManyConnections("too many clients already")),
        wrapped(exc.InterfaceError, psycopg2.InterfaceError("connection already closed")),
        exc.TimeoutError("QueuePool limit of size 20 overflow 40 reached"),
    ]
    bugs = [
        wrapped(exc.OperationalError, real_sqlite_error("SELECT * FROM nowhere")),  # SQLite: no such table
        wrapped(exc.OperationalError, real_sqlite_error("SELEC 1")),  # SQLite: a syntax error
        wrapped(exc.IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed: workshops.code")),
        wrapped(exc.ProgrammingError, psycopg2.errors.UndefinedTable('relation "nowhere" does not exist')),
        wrapped(exc.DataError, psycopg2.errors.NumericValueOutOfRange("integer out of range")),
        ValueError("a bug"),
        KeyError("a bug"),
        GameError("stale", "That was meant for another card."),
    ]
    assert [storage_failure(error) for error in trouble] == [True] * len(trouble)
    assert [storage_failure(error) for error in bugs] == [False] * len(bugs)


def test_the_pages_hear_storage_unavailable_and_the_consoles_see_it_until_a_change_is_stored(app, client):
    """Over Socket.IO: a refused command's acknowledgement carries ``storage_unavailable``; every console device is
    told ``storage {"failing": true}`` (also one that connects meanwhile) and ``{"failing": false}`` once a change
    is stored again; creating a workshop says it in the facilitator's language."""
    from game.web.realtime import socketio

    from .conftest import create_workshop

    key = create_workshop(client)
    full = [False]
    fail_commits_while(app.extensions["aandacht"].store.engine, lambda: full[0])
    console = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    code = console.get_received()[0]["args"][0]["workshop"]["code"]
    phone = socketio.test_client(app, auth={"role": "player", "code": code})
    assert phone.emit("join_workshop", {"name": "Ann"}, callback=True)["ok"]
    console.get_received()

    def storage(received):
        return [m["args"][0] for m in received if m["name"] == "storage"]

    full[0] = True
    refused = phone.emit("create_team", {"name": "Red"}, callback=True)
    assert refused == {"ok": False, "error": {"code": "storage_unavailable", "message": refused["error"]["message"]}}
    assert storage(console.get_received()) == [{"failing": True}]
    assert facilitator_refused(console) == "storage_unavailable"
    assert storage(console.get_received()) == []  # told once, while it lasts
    second = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    assert storage(second.get_received()) == [{"failing": True}]
    with client.session_transaction() as sess:
        sess["csrf"] = "t"
    page = client.post(
        "/workshops?lang=nl",
        data={
            "csrf_token": "t",
            "title": "Vol",
            "deck_id": "aandacht-basis",
            "language": "nl",
            "card": ["spilled-tea"],
            "timer_seconds": "60",
            "team_size": "4",
            "teams_open": "on",
        },
    )
    assert page.status_code == 400 and "De server kan nu niets opslaan; er is niets aangemaakt." in page.get_data(
        as_text=True
    )

    full[0] = False
    assert phone.emit("create_team", {"name": "Red"}, callback=True)["ok"]  # the same command, sent again
    assert storage(console.get_received()) == [{"failing": False}]
    assert storage(second.get_received()) == [{"failing": False}]
    assert storage(socketio.test_client(app, auth={"role": "facilitator", "key": key}).get_received()) == []


def facilitator_refused(console) -> str:
    """A facilitator's command while storing fails: its refusal's code."""
    answer = console.emit("add_team", {"name": "Blue"}, callback=True)
    assert answer["ok"] is False
    return answer["error"]["code"]


class Present(Silent):
    """A publisher with a page of every workshop and a presence the test sets (shared, as Redis shares it)."""

    def __init__(self, workshop_id: str, online: set[str]):
        super().__init__()
        self.connections = {"sid": type("Conn", (), {"workshop_id": workshop_id})()}
        self.online = online

    def presence(self, workshop_id):
        return {"online": sorted(self.online)}


def test_two_processes_that_see_the_captain_away_pass_captaincy_once(url):
    from .conftest import FakeClock

    (one, two), engines = two_services(url)
    clock = FakeClock()
    try:
        one.clock = two.clock = clock
        created = one.create_workshop("Away", "aandacht-basis", ["spilled-tea"], Settings(team_size=5), ["Red"])
        wid = created.workshop.id
        red = next(iter(one.state(wid).teams))
        for pid in ("ann", "bob", "cem"):
            one.execute(wid, GUEST, c.JoinWorkshop(pid, pid.title()), {pid: "token-" + pid})
            one.execute(wid, Actor(Role.PLAYER, pid), c.JoinTeam(red))
        one.execute(wid, FACILITATOR, c.DealCard(0))
        online = {"bob", "cem"}  # Ann, the captain, has no phone connected to either process
        for service in (one, two):
            service.publisher = Present(wid, online)
            service.captains.clock = clock
            assert service.captains.check() == 0
        clock.advance(20.5)
        assert one.captains.check() + two.captains.check() == 1
        assert one.captains.check() + two.captains.check() == 0
        assert one.state(wid).captain(red).id == two.state(wid).captain(red).id == "bob"
        assert Store(engines[1]).load(wid)[0].teams[red].captain_id == "bob"  # stored
    finally:
        for engine in engines:
            engine.dispose()
