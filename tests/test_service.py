"""The service orders commands per workshop, also across processes: two services on one database
(as two server processes would be) apply concurrent commands without losing or doubling any."""

from __future__ import annotations

import threading

import pytest

from game import db
from game.decks import default_scenarios_dir, load_decks
from game.engine import Actor, GameError, Role, Settings
from game.engine import commands as c
from game.engine.state import FACILITATOR, GUEST
from game.service import Service
from game.store import Store, make_engine


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
    return f"sqlite:///{tmp_path / 'shared.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def two_services(url):
    """Two independent services (own engine, cache and locks) on one database."""
    decks = load_decks(default_scenarios_dir())
    engines = [make_engine(url) for _ in range(2)]
    db.upgrade(engines[0])
    return [Service(Store(e), Silent(), decks) for e in engines], engines


def test_concurrent_commands_across_two_services_are_neither_lost_nor_doubled(url):
    (one, two), engines = two_services(url)
    try:
        created = one.create_workshop("Race", "aandacht-basis", ["spilled-tea", "crowded-train"],
                                      Settings(team_size=50), ["Red"])
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
