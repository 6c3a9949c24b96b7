"""Paced pages (``game.publish.Publisher.pace``): a console or big screen that connects with ``acks`` gets a new
``game_state`` or ``presence`` only once it acknowledged the last one, and then the newest. A page that is slow to
take its messages (venue Wi-Fi, 3,000 players to draw) never has a queue of views on the server that its pings wait
behind; a page that does not acknowledge (an older page, Flask-SocketIO's test client) gets every message as before.

The server here is real (the service, the publisher, the engine); only the Socket.IO transport is a recorder that
holds each acknowledgement until the test gives it, so nothing depends on timing."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

from game import db
from game.decks import default_scenarios_dir, load_decks
from game.engine import Settings, commands as c
from game.engine.state import GUEST
from game.publish import GAME_STATE, PRESENCE, Connection, Publisher
from game.service import Service
from game.store import Store, make_engine


class Transport:
    """Flask-SocketIO as the publisher uses it: rooms, emits (to a room or a socket, skipping some) and the
    acknowledgements a socket owes, which the test gives with ``ack``."""

    def __init__(self):
        self.rooms: defaultdict[str, set[str]] = defaultdict(set)
        self.got: defaultdict[str, list[tuple[str, dict]]] = defaultdict(list)  # sid -> (event, data) in order
        self.owed: defaultdict[str, list] = defaultdict(list)  # sid -> callbacks not called yet
        self.server = self

    def enter_room(self, sid, name, namespace="/"):
        self.rooms[name].add(sid)

    def leave_room(self, sid, name, namespace="/"):
        self.rooms[name].discard(sid)

    def emit(self, event, data, to=None, callback=None, skip_sid=None, ignore_queue=False, namespace=None):
        assert callback is None or to not in self.rooms, "acknowledgements are asked of one socket at a time"
        skip = set(skip_sid or ())
        for sid in sorted(self.rooms[to] - skip) if to in self.rooms else [to]:
            self.got[sid].append((event, data))
            if callback is not None:
                self.owed[sid].append(callback)

    def close(self, sid):
        """The socket went away: Socket.IO takes it out of its rooms."""
        for members in self.rooms.values():
            members.discard(sid)

    def ack(self, sid):
        """The page acknowledges the oldest message it owes."""
        self.owed[sid].pop(0)()

    def of(self, sid, event):
        return [data for name, data in self.got[sid] if name == event]


def recorded_service(path) -> tuple[Service, Transport]:
    """The real service on a fresh SQLite file at ``path``, publishing through a recording ``Transport``."""
    engine = make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    transport = Transport()
    return Service(Store(engine), Publisher(transport), load_decks(default_scenarios_dir())), transport


@pytest.fixture
def room(tmp_path):
    svc, transport = recorded_service(tmp_path / "pacing.sqlite3")
    wid = svc.create_workshop("Paced", "aandacht-basis", ["spilled-tea"], Settings(team_size=5), []).workshop.id
    yield svc, transport, wid
    svc.store.engine.dispose()


def open_page(svc: Service, wid: str, sid: str, role: str, paced: bool = False, player_id: str | None = None
              ) -> Connection:
    """A page (or, with ``player_id``, a phone) connects: registered, put in its rooms and sent its state."""
    conn = Connection(sid, wid, role, player_id=player_id, paced=paced)
    svc.publisher.register(conn)
    state, views, version = svc.current(wid)
    assert svc.publisher.send_current(conn, state, views, version)
    return conn


def join(svc: Service, wid: str, first: int, count: int) -> None:
    for i in range(first, first + count):
        svc.execute(wid, GUEST, c.JoinWorkshop(f"p{i:03d}", f"Player {i}"), {f"p{i:03d}": f"t{i:03d}"})


def test_a_paced_console_gets_the_newest_view_once_it_took_the_last_and_never_a_queue(room):
    svc, transport, wid = room
    open_page(svc, wid, "paced", "facilitator", paced=True)
    open_page(svc, wid, "plain", "facilitator", paced=False)
    screen = open_page(svc, wid, "screen", "screen", paced=True)
    assert [v["players_total"] for v in transport.of("paced", GAME_STATE)] == [0]

    join(svc, wid, 0, 30)  # 30 publications while the console has not taken its first view
    assert [v["players_total"] for v in transport.of("paced", GAME_STATE)] == [0]
    assert [v["players_total"] for v in transport.of("plain", GAME_STATE)] == list(range(31))  # every one
    assert [v["players_total"] for v in transport.of("screen", GAME_STATE)] == [0]

    transport.ack("paced")  # it took the first view: the presence it was told on connect follows
    assert [v["players_total"] for v in transport.of("paced", GAME_STATE)] == [0]
    transport.ack("paced")  # and then the newest view, not the 29 in between
    assert [v["players_total"] for v in transport.of("paced", GAME_STATE)] == [0, 30]
    transport.ack("paced")  # nothing newer: nothing is sent, and the next change goes out at once
    join(svc, wid, 30, 1)
    assert [v["players_total"] for v in transport.of("paced", GAME_STATE)] == [0, 30, 31]
    assert not screen.waiting or screen.waiting[GAME_STATE]["players_total"] == 31


def test_presence_to_a_paced_console_is_made_once_per_message_it_takes(room, monkeypatch):
    svc, transport, wid = room
    open_page(svc, wid, "paced", "facilitator", paced=True)
    made = []
    presence = svc.publisher.presence
    monkeypatch.setattr(svc.publisher, "presence", lambda w: made.append(w) or presence(w))
    transport.ack("paced")  # the console's first view
    transport.ack("paced")  # and its first presence (on connect)

    join(svc, wid, 0, 200)
    transport.ack("paced")  # the view of the first join
    transport.ack("paced")  # the newest view: the console is up to date and has nothing in flight
    transport.got["paced"].clear()
    made.clear()
    for i in range(200):  # 200 phones connect while the console is slow to take its messages
        svc.publisher.register(Connection(f"phone{i}", wid, "player", f"p{i:03d}"))
    # one presence in flight (the first arrival), the newest waiting: not 200 lists of up to 200 players each
    assert [len(p["online"]) for p in transport.of("paced", PRESENCE)] == [1]
    assert len(made) == 1
    transport.ack("paced")
    assert [len(p["online"]) for p in transport.of("paced", PRESENCE)] == [1, 200]
    assert len(made) == 2


def test_a_page_that_never_acknowledges_still_gets_the_newest_view_after_the_patience(room, monkeypatch):
    svc, transport, wid = room
    open_page(svc, wid, "stuck", "facilitator", paced=True)
    join(svc, wid, 0, 3)
    assert len(transport.of("stuck", GAME_STATE)) == 1
    import game.publish as publish

    monkeypatch.setattr(publish, "PACE_PATIENCE", 0.0)  # its acknowledgement was lost: the next view goes anyway
    join(svc, wid, 3, 1)
    assert [v["players_total"] for v in transport.of("stuck", GAME_STATE)] == [0, 4]


def test_a_closed_page_is_forgotten_with_what_waited_for_it(room):
    svc, transport, wid = room
    open_page(svc, wid, "gone", "facilitator", paced=True)
    join(svc, wid, 0, 5)
    transport.close("gone")
    svc.publisher.forget("gone")
    transport.ack("gone")  # its acknowledgement arrives after it closed: nothing more is sent to it
    assert len(transport.of("gone", GAME_STATE)) == 1
    join(svc, wid, 5, 1)
    assert len(transport.of("gone", GAME_STATE)) == 1


def test_on_the_real_server_a_console_that_is_slow_to_draw_gets_the_newest_view_and_no_queue(live_server):
    """Over real websockets (the eventlet server, python-socketio's client, which acknowledges a message once its
    handler returns): the paced console holds its first view while another console adds 12 teams; it is then
    sent the newest view, not the 12 in between, and the console that does not pace got them all."""
    import threading

    import socketio

    from tests.conftest import agent_of, create_live_workshop, live_console_http

    base = live_server.url
    key = create_live_workshop(base, timeout=30)
    held, views = threading.Event(), {"paced": [], "plain": []}
    got = threading.Condition()

    def keeper(name, hold):
        def on_view(view):
            if hold and not views[name]:
                held.wait(30)  # drawing the first view takes a while: its acknowledgement waits
            with got:
                views[name].append(len(view["teams"]))
                got.notify_all()
        return on_view

    clients = {}
    for name, acks in (("paced", True), ("plain", False)):
        client = socketio.Client()
        client.on("game_state", keeper(name, hold=acks))
        http = live_console_http(base)
        client.eio.http = http
        client.connect(base, auth={"role": "facilitator", "key": key, **({"acks": True} if acks else {})},
                       transports=["websocket"], headers=agent_of(http), wait_timeout=30)
        clients[name] = client
    try:
        with got:
            assert got.wait_for(lambda: views["plain"], timeout=30)
        for i in range(1, 13):  # one publication each: the next team is added once the last was seen
            assert clients["plain"].call("add_team", {"name": f"Team {i}"}, timeout=30)["ok"]
            with got:
                assert got.wait_for(lambda i=i: views["plain"][-1] == i, timeout=30)
        assert views["plain"] == list(range(13))  # it was sent every publication
        assert views["paced"] == []  # still drawing its first view
        held.set()
        with got:
            assert got.wait_for(lambda: views["paced"] and views["paced"][-1] == 12, timeout=30), views
        assert views["paced"] == [0, 12], views  # its first view, then the newest one only
    finally:
        held.set()
        for client in clients.values():
            client.disconnect()


def test_on_the_real_server_a_console_is_still_paced_after_the_page_that_caused_its_view_has_gone(live_server):
    """The view a paced console waits to acknowledge was caused by another socket's command (a phone's pick, another
    console's change). That socket leaves before the console has drawn the view. Its acknowledgement must still
    count: the console then gets the next change at once, not after the 30 s patience (Flask-SocketIO's emit ran
    the acknowledgement in the causing socket's context and dropped it once that socket was gone)."""
    import threading

    import socketio

    from tests.conftest import agent_of, create_live_workshop, live_console_http

    base = live_server.url
    key = create_live_workshop(base, timeout=30)
    held, views, got = threading.Event(), [], threading.Condition()

    def on_view(view):
        if len(view["teams"]) == 1:
            held.wait(30)  # the view caused by the other console's team: drawn slowly
        with got:
            views.append(len(view["teams"]))
            got.notify_all()

    def console(acks: bool, on=None):
        client = socketio.Client()
        if on is not None:
            client.on("game_state", on)
        http = live_console_http(base)
        client.eio.http = http
        client.connect(base, auth={"role": "facilitator", "key": key, **({"acks": True} if acks else {})},
                       transports=["websocket"], headers=agent_of(http), wait_timeout=30)
        return client

    paced = console(True, on_view)
    others = []
    try:
        with got:
            assert got.wait_for(lambda: views == [0], timeout=30)
        leaving = console(False)
        assert leaving.call("add_team", {"name": "Team 1"}, timeout=30)["ok"]
        leaving.disconnect()  # gone before the paced console acknowledges the view its command caused
        time.sleep(0.5)
        held.set()
        with got:
            assert got.wait_for(lambda: views[-1:] == [1], timeout=30), views
        staying = console(False)
        others.append(staying)
        assert staying.call("add_team", {"name": "Team 2"}, timeout=30)["ok"]
        with got:
            assert got.wait_for(lambda: views[-1:] == [2], timeout=10), views  # at once, not after 30 s
    finally:
        held.set()
        paced.disconnect()
        for client in others:
            client.disconnect()
