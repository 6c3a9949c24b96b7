"""Scale-out: two real server processes (``python -m game serve``, eventlet) on one PostgreSQL database and one
Redis, as behind nginx with sticky sessions, driven by python-socketio clients; some pages on one process,
some on the other.

1. a phone on process B sees the card the facilitator dealt on process A, and the console sees the pick;
2. a phone moved to another team by a command run on the other process ends up in its new team's room:
   its player_info and its new team's views, and never again its old team's;
3. the console on A sees which phones are connected to B, live, and a SIGKILLed B's phones show as away;
4. concurrent commands on both processes at once (joins, team joins, two consoles dealing, picks from phones
   on both) are neither lost nor doubled: the database holds exactly what was acknowledged, and every page
   ends on the newest views;
5. a countdown started through A locks the round on time although A was SIGKILLed right after;
6. deleting a workshop on A tells and closes its pages on B;
7. behind nginx (``python -m game cluster`` with deploy/nginx.conf), long-polling browsers stay each on their own
   process while the workshop runs across both, and Socket.IO still accepts only the page's own origin;
8. a process whose Redis subscription was cut catches up on what it missed.

They run on the test session's own throwaway PostgreSQL and Redis (tests/conftest.py: ``pg_admin_url``,
``redis_url``; AANDACHT_TEST_DATABASE_URL and AANDACHT_TEST_REDIS_URL name running servers instead), and fail
(never skip) when either cannot be had. Each test makes its own database and its own Redis channel (so parallel
runs do not cross), and drops both afterwards. Every wait is bounded and generous:
a slow machine makes these tests slower, never red.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
import redis
import requests
from sqlalchemy import create_engine, text

from game.launch import find_nginx
from game.service import screen_key_from

from .conftest import (
    FACILITATOR_EMAIL,
    FACILITATOR_PASSWORD,
    REPO,
    LiveServer,
    database_url_for,
    form_token,
    free_port,
    live_console_http,
)
from .test_resilience import WAIT, Peer, create_workshop, in_round, responses, team_of

pytestmark = [pytest.mark.server]

PRESENCE_TTL = 6  # seconds: how long a dead process's phones still count as connected (the server's default is 15)


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture
def redis_channel(redis_url):
    """A Redis channel (and key prefix) of this test's own; every key under it is deleted afterwards."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.fail(f"the cluster tests need the Redis server on {redis_url}: {exc}")
    channel = f"aandacht-test-{secrets.token_hex(6)}"
    try:
        yield channel
    finally:
        keys = list(client.scan_iter(match=f"{channel}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def database(pg_admin_url):
    """A PostgreSQL database of this test's own: (its URL, an engine to check it), dropped afterwards."""
    name = f"aandacht_cluster_{secrets.token_hex(6)}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"the cluster tests need the PostgreSQL server of {pg_admin_url}: {exc}")
    url = database_url_for(pg_admin_url, name)
    engine = create_engine(url)
    try:
        yield url, engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Cluster:
    """Two server processes sharing the database and Redis; pages connect to whichever the test says."""

    def __init__(self, tmp_path, url: str, queue: str, channel: str):
        env = {
            "DATABASE_URL": url,
            "AANDACHT_MESSAGE_QUEUE": queue,
            "AANDACHT_CHANNEL": channel,
            "AANDACHT_PRESENCE_TTL": str(PRESENCE_TTL),
        }
        self.servers: list[LiveServer] = []
        self.peers: list[Peer] = []
        try:
            for name in ("a", "b"):  # one after the other: the first one creates the schema
                directory = tmp_path / name
                directory.mkdir()
                self.servers.append(LiveServer(directory, env))
        except BaseException:
            self.close()  # B did not start: do not leave A running
            raise
        self.a, self.b = self.servers

    def peer(self, server: LiveServer, auth: dict, name: str) -> Peer:
        peer = Peer(server.url, auth, name)
        self.peers.append(peer)
        return peer

    def console(self, server: LiveServer, key: str, name: str) -> Peer:
        return self.peer(server, {"role": "facilitator", "key": key}, name)

    def phone(self, server: LiveServer, code: str, name: str) -> tuple[Peer, str]:
        """A phone that joins with ``name``; returns it and its player id."""
        peer = self.peer(server, {"role": "player", "code": code, "token": None}, name)
        peer.info()
        answer = peer.ok("join_workshop", {"name": name})
        return peer, answer["player"]["id"]

    def close(self) -> None:
        for peer in self.peers:
            peer.close()
        for server in self.servers:
            if server.proc is not None and server.proc.poll() is None:
                server.proc.kill()
            if server.proc is not None:
                server.proc.wait(30)


@pytest.fixture
def cluster(tmp_path, database, redis_url, redis_channel):
    c = Cluster(tmp_path, database[0], redis_url, redis_channel)
    try:
        yield c
    finally:
        c.close()


def kill(server: LiveServer) -> None:
    """SIGKILL: the process gets no chance to clean up or say goodbye."""
    server.proc.kill()
    server.proc.wait(30)


def rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


# --- 1. a card dealt on A reaches a phone on B ------------------------------------------------------------


def test_a_phone_on_one_process_sees_the_card_dealt_on_the_other(cluster):
    key = create_workshop(cluster.a.url, title="Two processes")
    console = cluster.console(cluster.a, key, "console on A")
    code = console.state()["workshop"]["code"]
    screen = cluster.peer(cluster.b, {"role": "screen", "key": screen_key_from(key)}, "screen on B")
    ann, ann_id = cluster.phone(cluster.b, code, "Ann")
    red = ann.ok("create_team", {"name": "Red"})["team_id"]

    # what happened on B reached the console on A
    view = console.state(lambda v: any(t["name"] == "Red" and t["members"] for t in v["teams"]))
    assert [m["id"] for m in team_of(view, "Red")["members"]] == [ann_id]

    console.ok("deal_card", {"round": 0})
    dealt = ann.state(in_round(0))
    assert dealt["team"]["id"] == red and dealt["card"]["responses"], dealt
    assert screen.state(in_round(0))["card"]["title"] == dealt["card"]["title"]

    choice = responses(dealt)[1]
    ann.ok("submit_pick", {"round": 0, "response_id": choice, "pick_id": "ann-1"})
    assert team_of(console.state(lambda v: team_of(v, "Red")["picks"]), "Red")["picks"] == {ann_id: choice}
    assert ann.state(lambda v: v["picks"])["picks"] == {ann_id: choice}


# --- 2. a team change made on the other process -----------------------------------------------------------


def test_a_phone_moved_through_the_other_process_ends_in_its_new_team_room(cluster):
    key = create_workshop(cluster.a.url, title="Moves")
    console = cluster.console(cluster.a, key, "console on A")
    code = console.state()["workshop"]["code"]
    red = console.ok("add_team", {"name": "Red"})["team_id"]
    blue = console.ok("add_team", {"name": "Blue"})["team_id"]
    bob, bob_id = cluster.phone(cluster.b, code, "Bob")  # the phone that moves, on B
    carl, carl_id = cluster.phone(cluster.a, code, "Carl")  # Blue, on A
    dora, dora_id = cluster.phone(cluster.b, code, "Dora")  # Red, on B: Red's room on B stays in use
    bob.ok("join_team", {"team_id": red})
    carl.ok("join_team", {"team_id": blue})
    dora.ok("join_team", {"team_id": red})
    assert bob.state(lambda v: v.get("team") and len(v["team"]["members"]) == 2)["team"]["id"] == red

    console.ok("move_player", {"player_id": bob_id, "team_id": blue})  # run on A; Bob's socket is on B
    info = bob.info(lambda i: i["player"]["team_id"] == blue)
    assert info["player"] == {"id": bob_id, "name": "Bob", "team_id": blue}
    moved = bob.state(lambda v: v.get("team") and v["team"]["id"] == blue)
    assert {m["id"] for m in moved["team"]["members"]} == {bob_id, carl_id}
    with bob.cond:
        since = len(bob.states) - 1

    # Bob now hears Blue's room, not Red's: Dora's pick (Red, on B) and Carl's pick (Blue, on A)
    console.ok("deal_card", {"round": 0})
    dora_sees = responses(dora.state(in_round(0)))
    carl_sees = responses(carl.state(in_round(0)))
    dora.ok("submit_pick", {"round": 0, "response_id": dora_sees[0], "pick_id": "dora-1"})
    dora.state(lambda v: dora_id in v["picks"])
    carl.ok("submit_pick", {"round": 0, "response_id": carl_sees[2], "pick_id": "carl-1"})
    newest = bob.state(lambda v: carl_id in v.get("picks", {}))
    assert newest["team"]["id"] == blue and newest["picks"] == {carl_id: carl_sees[2]}
    with bob.cond:
        after_move = bob.states[since:]
    assert all(v["team"]["id"] == blue for v in after_move), "Bob received Red's view after he moved to Blue"
    assert all(dora_id not in (v.get("picks") or {}) for v in after_move)

    # and back again, this time through a second console on B while Bob's phone is on B and Carl's on A
    console_b = cluster.console(cluster.b, key, "console on B")
    console_b.ok("move_player", {"player_id": carl_id, "team_id": red})
    assert carl.info(lambda i: i["player"]["team_id"] == red)["player"]["team_id"] == red
    assert carl.state(lambda v: v["team"]["id"] == red)["team"]["id"] == red
    assert {m["id"] for m in bob.state(lambda v: len(v["team"]["members"]) == 1)["team"]["members"]} == {bob_id}


# --- 3. presence across processes ---------------------------------------------------------------------------


def test_the_console_sees_phones_on_every_process_and_a_killed_process_s_phones_go_away(cluster):
    key = create_workshop(cluster.a.url, title="Presence")
    console = cluster.console(cluster.a, key, "console on A")
    code = console.state()["workshop"]["code"]
    ann, ann_id = cluster.phone(cluster.b, code, "Ann")
    bob, bob_id = cluster.phone(cluster.b, code, "Bob")
    _carl, carl_id = cluster.phone(cluster.a, code, "Carl")

    console.online(lambda p: {ann_id, bob_id, carl_id} <= set(p["online"]))

    ann.vanish()  # the phone falls asleep: its socket on B is just gone
    console.online(lambda p: ann_id not in p["online"] and {bob_id, carl_id} <= set(p["online"]))

    # a console that connects now (to either process) is told at once
    late = cluster.console(cluster.b, key, "late console on B")
    assert set(late.online(lambda p: True)["online"]) == {bob_id, carl_id}

    kill(cluster.b)  # Bob's process dies without a word; its entries in Redis are no longer refreshed
    bob.close()
    console.online(lambda p: bob_id not in p["online"])
    assert console.presence[-1]["online"] == [carl_id]


def test_a_thousand_phones_that_come_or_go_at_once_reach_redis_in_one_round_trip(redis_url, redis_channel):
    """A room whose Wi-Fi drops loses a thousand phones at once. Each phone's presence took a Redis round trip of
    its own, and a connection from the pool for it: the pool ran dry ("Too many connections", bench.run at 3,000
    phones on 3 processes, 2026-12-06) and the presence was lost. The marks now go with the presence loop's tick."""
    import types

    from game.cluster import Cluster as Queue

    queue = Queue(redis_url, channel=redis_channel)
    queue.publisher = types.SimpleNamespace(online={}, consoles=lambda: set())
    trips, told = [], []
    pipeline = queue.redis.pipeline
    queue.redis.pipeline = lambda *a, **kw: trips.append(1) or pipeline(*a, **kw)
    queue._publish = told.append
    try:
        for i in range(1000):
            queue.mark("w1", f"p{i:04d}", True)
        assert trips == [] and told == []  # nothing yet: the tick records them
        queue.flush_marks()
        assert len(trips) == 1 and told == [{"kind": "presence", "workshop_id": "w1"}]
        assert len(queue.online("w1")) == 1000
        for i in range(1000):  # the Wi-Fi drops
            queue.mark("w1", f"p{i:04d}", False)
        queue.flush_marks()
        assert len(trips) == 2 and queue.online("w1") == []
    finally:
        queue.redis.close()


# --- 4. concurrent commands on both processes ----------------------------------------------------------------


def test_concurrent_commands_on_both_processes_are_neither_lost_nor_doubled(cluster, database):
    _, engine = database
    key = create_workshop(cluster.a.url, title="Rush", team_size=50)
    console_a = cluster.console(cluster.a, key, "console on A")
    console_b = cluster.console(cluster.b, key, "console on B")
    code = console_a.state()["workshop"]["code"]
    teams = [console_a.ok("add_team", {"name": "Red"})["team_id"],
             console_b.ok("add_team", {"name": "Blue"})["team_id"]]

    names = [f"P{i:02d}" for i in range(16)]
    phones: dict[str, tuple[Peer, str]] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    go = threading.Barrier(len(names))

    def arrive(i: int, name: str) -> None:
        try:
            server = cluster.a if i % 2 else cluster.b
            peer = cluster.peer(server, {"role": "player", "code": code, "token": None}, name)
            peer.info()
            go.wait(WAIT)  # every phone joins at the same moment, half on each process
            player_id = peer.ok("join_workshop", {"name": name})["player"]["id"]
            peer.ok("join_team", {"team_id": teams[i % 4 // 2]})
            with lock:
                phones[name] = (peer, player_id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=arrive, args=(i, n)) for i, n in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    # the two consoles press Deal at the same moment: exactly one deal goes through
    answers: list[dict] = []
    both = threading.Barrier(2)

    def deal(console: Peer) -> None:
        both.wait(WAIT)
        answers.append(console.call("deal_card", {"round": 0}))

    dealers = [threading.Thread(target=deal, args=(c,)) for c in (console_a, console_b)]
    for t in dealers:
        t.start()
    for t in dealers:
        t.join()
    assert sorted(a["ok"] for a in answers) == [False, True], answers
    assert next(a for a in answers if not a["ok"])["error"]["code"] in ("stale", "wrong_phase")

    # every phone picks three different responses in a row while all the others do the same
    last: dict[str, tuple[str, int]] = {}
    go = threading.Barrier(len(names))

    def pick(name: str) -> None:
        try:
            peer, player_id = phones[name]
            ids = responses(peer.state(in_round(0)))
            go.wait(WAIT)
            for n, response in enumerate(ids[:3]):
                peer.ok("submit_pick", {"round": 0, "response_id": response, "pick_id": f"{name}-{n}", "seq": n + 1})
            with lock:
                last[player_id] = (ids[2], 3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=pick, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    # the database holds exactly what was acknowledged, once
    wid = rows(engine, "SELECT id FROM workshops WHERE code = :code", code=code)[0][0]
    players = rows(engine, "SELECT id, name, team_id FROM players WHERE workshop_id = :w", w=wid)
    assert sorted(p.name for p in players) == names
    assert {p.id: p.team_id for p in players} == {pid: teams[i % 4 // 2] for i, (_, pid) in
                                                  enumerate(phones[n] for n in names)}
    assert [r.index for r in rows(engine, 'SELECT "index" FROM rounds WHERE workshop_id = :w', w=wid)] == [0]
    picks = rows(engine, "SELECT player_id, response_id, seq FROM picks WHERE workshop_id = :w", w=wid)
    assert {p.player_id: (p.response_id, p.seq) for p in picks} == last
    commands = 2 + 2 * len(names) + 1 + 3 * len(names)  # teams, joins, team joins, one deal, every pick changed
    version = rows(engine, "SELECT version FROM workshops WHERE id = :w", w=wid)[0][0]
    assert 0 < version <= commands  # one version per commit; commands that arrived together share a commit

    # and every page, on either process, ends on the newest views (its last view, not merely one of them)
    expected = {pid: r for pid, (r, _) in last.items()}

    def console_picks(view: dict) -> dict:
        return {pid: r for t in view["teams"] for pid, r in t["picks"].items()}

    for console in (console_a, console_b):
        console.state(lambda v: console_picks(v) == expected)
    for name in names:
        peer, _player_id = phones[name]
        team_id = peer.state()["team"]["id"]
        mates = {pid: r for pid, r in expected.items() if pid in {p.id for p in players if p.team_id == team_id}}
        assert len(mates) == len(names) // 2
        peer.state(lambda v, mates=mates: v["picks"] == mates)


# --- 5. a countdown outlives the process it was started on ---------------------------------------------------


def test_a_timer_started_on_a_killed_process_still_locks_the_round(cluster, database):
    _, engine = database
    key = create_workshop(cluster.a.url, title="Countdown", timer=0)
    console = cluster.console(cluster.a, key, "console on A")
    code = console.state()["workshop"]["code"]
    ann, _ann_id = cluster.phone(cluster.b, code, "Ann")
    ann.ok("create_team", {"name": "Red"})
    console.ok("deal_card", {"round": 0})
    ann.state(in_round(0))

    seconds = 15
    console.ok("start_timer", {"round": 0, "seconds": seconds})
    timer = console.state(lambda v: v["timer"]["deadline"])["timer"]
    deadline = timer["deadline"]
    kill(cluster.a)  # the process that started the countdown is gone before it runs out
    assert time.time() < deadline, "the machine was too slow to kill A before its countdown ran out"

    locked = ann.state(in_round(0, "locked"))  # B locked it, and told its phone
    assert locked["workshop"]["locked_by"] == "timer"
    wid = rows(engine, "SELECT id FROM workshops WHERE code = :code", code=code)[0][0]
    (row,) = rows(engine, 'SELECT locked_at, locked_by FROM rounds WHERE workshop_id = :w AND "index" = 0', w=wid)
    assert row.locked_by == "timer" and deadline <= row.locked_at


# --- 6. deleting a workshop closes its pages on every process ------------------------------------------------


def test_deleting_a_workshop_on_one_process_closes_its_pages_on_the_other(cluster, redis_url, redis_channel):
    key = create_workshop(cluster.a.url, title="Short-lived")
    console = cluster.console(cluster.a, key, "console on A")
    code = console.state()["workshop"]["code"]
    ann, ann_id = cluster.phone(cluster.b, code, "Ann")
    ann.ok("create_team", {"name": "Red"})  # in a team room on B
    screen = cluster.peer(cluster.b, {"role": "screen", "key": screen_key_from(key)}, "screen on B")
    told = {name: threading.Event() for name in ("ann", "screen")}
    ann.client.on("workshop_deleted", lambda _msg: told["ann"].set())
    screen.client.on("workshop_deleted", lambda _msg: told["screen"].set())
    console.online(lambda p: p["online"] == [ann_id])

    with requests.Session() as http:
        cluster.a.sign_in(http)  # deleting needs a signed-in facilitator
        page = http.get(f"{cluster.a.url}/f/{key}", timeout=WAIT).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = http.post(f"{cluster.a.url}/f/{key}/delete", data={"csrf_token": token}, allow_redirects=False,
                             timeout=WAIT)
    assert response.status_code == 303

    for name, event in told.items():
        assert event.wait(WAIT), f"{name} on B was not told that the workshop is gone"
    give_up = time.monotonic() + WAIT
    while (ann.client.connected or screen.client.connected) and time.monotonic() < give_up:
        time.sleep(0.05)
    assert not ann.client.connected and not screen.client.connected, "B kept the deleted workshop's sockets open"
    with redis.Redis.from_url(redis_url) as client:  # nobody is present in a workshop that is gone
        while client.keys(f"{redis_channel}:presence:*") and time.monotonic() < give_up:
            time.sleep(0.05)
        assert client.keys(f"{redis_channel}:presence:*") == []


# --- 7. behind nginx: python -m game cluster with deploy/nginx.conf --------------------------------------------


def test_behind_nginx_every_polling_browser_stays_on_its_own_process(tmp_path, database, redis_url, redis_channel):
    if find_nginx() is None:
        pytest.fail("this test needs nginx (apt-get install nginx-light; ./aandacht.sh test installs it as root)")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database[0],
        "AANDACHT_MESSAGE_QUEUE": redis_url,
        "AANDACHT_CHANNEL": redis_channel,
        "SECRET_KEY": "cluster-test",
    }
    command = [sys.executable, "-m", "game", "cluster", "--processes", "2", "--port", str(port), "--app-port", "0",
               "--run-dir", str(tmp_path / "run")]
    log_path = tmp_path / "cluster.log"
    base = f"http://127.0.0.1:{port}"
    peers: list[Peer] = []
    with open(log_path, "ab") as log:
        launcher = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=log)
    try:
        give_up = time.monotonic() + 90  # a start-up wait (two processes and nginx), not a speed check
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if launcher.poll() is not None or time.monotonic() > give_up:
                raise AssertionError(f"the cluster did not start:\n{log_path.read_text()}")
            time.sleep(0.2)

        # a fresh database: the launcher prints one set-up link for all its processes; the first account is made
        # from it (as the facilitator create_workshop signs in as)
        while not (links := re.findall(r"^  (http://\S+/setup/\S+)$", log_path.read_text(), re.M)):
            assert launcher.poll() is None and time.monotonic() < give_up, log_path.read_text()
            time.sleep(0.2)
        time.sleep(0.5)  # a second link would follow at once
        links = re.findall(r"^  (http://\S+/setup/\S+)$", log_path.read_text(), re.M)
        assert len(links) == 1 and links[0].startswith(base + "/setup/"), log_path.read_text()
        with requests.Session() as http:
            token = form_token(http.get(links[0], timeout=WAIT).text)
            made = http.post(links[0], data={"csrf_token": token, "name": "Admin", "email": FACILITATOR_EMAIL,
                                             "password": FACILITATOR_PASSWORD, "password2": FACILITATOR_PASSWORD},
                             allow_redirects=False, timeout=WAIT)
        assert made.status_code == 303, made.text

        def browser(auth: dict, name: str) -> Peer:
            """A page that talks long-polling only, with its own cookies: every request must reach one process (the
            console's browser signed in: a console link on a new device needs it)."""
            http = live_console_http(base, timeout=WAIT) if auth["role"] == "facilitator" else requests.Session()
            peer = Peer(base, auth, name, transports=("polling",), http_session=http)
            peers.append(peer)
            return peer

        key = create_workshop(base, title="Behind nginx", team_size=8)
        console = browser({"role": "facilitator", "key": key}, "console")
        code = console.state()["workshop"]["code"]
        phones = {}
        for i in range(6):
            phone = browser({"role": "player", "code": code, "token": None}, f"phone {i}")
            phone.info()
            phones[phone.ok("join_workshop", {"name": f"Phone {i}"})["player"]["id"]] = phone
        nodes = {p.client.eio.http.cookies.get("aandacht_node") for p in phones.values()}
        assert None not in nodes and len(nodes) == len(phones), "nginx did not give every browser its own key"
        first, *others = phones.values()
        team = first.ok("create_team", {"name": "Red"})["team_id"]
        for phone in others:
            phone.ok("join_team", {"team_id": team})
        console.ok("deal_card", {"round": 0})
        picks = {}
        for pid, phone in phones.items():
            picks[pid] = responses(phone.state(in_round(0)))[0]
            phone.ok("submit_pick", {"round": 0, "response_id": picks[pid], "pick_id": f"{pid}-1"})
        assert team_of(console.state(lambda v: len(team_of(v, "Red")["picks"]) == 6), "Red")["picks"] == picks
        for phone in phones.values():
            phone.state(lambda v: v["picks"] == picks)

        # nginx passes the browser's host and scheme: Socket.IO still accepts only the page's own origin
        handshake = base + "/socket.io/?EIO=4&transport=polling"
        assert requests.get(handshake, headers={"Origin": base}, timeout=WAIT).status_code == 200
        assert requests.get(handshake, headers={"Origin": "http://evil.example"}, timeout=WAIT).status_code == 400
    finally:
        for peer in peers:
            peer.close()
        if launcher.poll() is None:
            launcher.terminate()  # the launcher stops nginx and its processes
        launcher.wait(60)


# --- 8. a process that lost Redis for a moment catches up ------------------------------------------------------


def test_a_process_whose_redis_subscription_was_cut_catches_up(cluster, redis_url, redis_channel):
    key = create_workshop(cluster.a.url, title="Blip")
    console = cluster.console(cluster.a, key, "console on A")
    code = console.state()["workshop"]["code"]
    ann, _ = cluster.phone(cluster.b, code, "Ann")
    ann.ok("create_team", {"name": "Red"})
    ann.state(lambda v: v.get("team"))

    with redis.Redis.from_url(redis_url) as client:  # cut both processes' subscriptions (and only this test's)
        ours = [c for c in client.client_list()
                if c.get("name", "").startswith(redis_channel + ":") and int(c.get("sub", 0)) > 0]
        assert len(ours) == 2, ours
        for c in ours:
            client.client_kill_filter(_id=c["id"])
    console.ok("deal_card", {"round": 0})  # published while nobody listens: B never hears of it from A

    dealt = ann.state(in_round(0))  # B notices its subscription came back and sends its pages the stored state
    assert dealt["card"]["responses"]
