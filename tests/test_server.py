"""The server entry point's tuning of the process (game/server.py): memory given back after a burst, the cycle
collector kept from long pauses, idle keep-alive connections closed. The server itself runs in test_resilience.py and
test_cluster.py."""

from __future__ import annotations

import gc
import socket
import time

import engineio

from game.server import MemoryTrimmer, Pinger, QuietCollector, tune_gc

from .conftest import LiveServer


def test_the_trimmer_gives_memory_freed_between_live_objects_back_to_the_system():
    trimmer = MemoryTrimmer()
    assert trimmer.trim is not None  # glibc (Debian): malloc_trim exists
    keep, junk = [], []
    for _ in range(60_000):  # like a burst of messages between the connections that stay
        junk.append(bytearray(4000))
        keep.append(bytearray(64))
    before = trimmer.resident()
    del junk
    assert trimmer.resident() > before - 50 * 2**20  # freed, but still resident: glibc keeps it
    assert trimmer.check() > 100 * 2**20
    assert trimmer.check() < 50 * 2**20  # nothing much left to give back
    assert len(keep) == 60_000


def test_tune_gc_freezes_what_exists_and_makes_collections_rarer():
    threshold = gc.get_threshold()
    try:
        tune_gc(5000)
        assert gc.get_threshold()[0] == 5000 and gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    tune_gc(0)
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0


class Cycle:
    """An object in a reference cycle: only the cycle collector frees it."""

    def __init__(self):
        self.me = self


def test_full_collections_wait_for_a_quiet_moment_and_young_garbage_is_collected_as_ever():
    import weakref

    clock = [100.0]
    last_command = [100.0]
    collector = QuietCollector(lambda: last_command[0], quiet=3.0, gap=60.0, longest=600.0, clock=lambda: clock[0])
    threshold = gc.get_threshold()
    try:
        collector.hold()
        old = Cycle()
        gc.collect()  # it lives through a full collection: the oldest generation now
        gone_old = weakref.ref(old)
        del old  # garbage in a cycle among the old objects: only a full collection frees it
        for _ in range(5):  # a busy room: commands every second for over a minute
            clock[0] += 15.0
            last_command[0] = clock[0] - 1.0
            young = Cycle()
            gone_young = weakref.ref(young)
            del young
            kept = [[n] for n in range(200_000)]  # enough new objects for many of Python's own collections
            assert not collector.tick()
            assert gone_young() is None  # young garbage: collected by Python's own young collections, as ever
            assert gone_old() is not None  # no full collection while busy
            del kept
        clock[0] += 3.0  # three seconds without a command: a quiet moment
        assert collector.tick() and gone_old() is None
        clock[0] += 10.0  # quiet still, but a full collection was made less than a minute ago
        assert not collector.tick()
        last_command[0] = clock[0]
        clock[0] += 600.0  # ten minutes without a quiet moment: a full collection all the same
        last_command[0] = clock[0]
        assert collector.tick()
    finally:
        gc.set_threshold(*threshold)


def read_until_closed(conn: socket.socket, bound: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection; and when it closed it (seconds from now)."""
    started = time.monotonic()
    conn.settimeout(bound)  # a bound on a wait, not a speed check
    data = b""
    while chunk := conn.recv(4096):
        data += chunk
    return data, time.monotonic() - started


def test_an_idle_keep_alive_connection_is_closed_and_a_websocket_is_not(tmp_path):
    """A browser keeps the connections that loaded the page open for minutes; the server closes them after
    ``--idle-timeout`` seconds without a request. A websocket, and a request that is still running, stay."""
    server = LiveServer(tmp_path, args=("--idle-timeout", "1"))
    phone = engineio.Client()
    try:
        phone.connect(server.url, transports=["websocket"], engineio_path="socket.io")
        with socket.create_connection(("127.0.0.1", server.port)) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # keep-alive: HTTP/1.1's default
            data, closed_after = read_until_closed(conn, bound=60)
        assert data.startswith(b"HTTP/1.1 200") and data.count(b"HTTP/1.1") == 1 and b'"ok"' in data
        assert closed_after >= 0.5  # kept open for a next request first, then closed
        with socket.create_connection(("127.0.0.1", server.port)) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            time.sleep(0.3)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # within the idle time: served
            data, _ = read_until_closed(conn, bound=60)
        assert data.count(b"HTTP/1.1 200") == 2
        time.sleep(2.5)  # more than the idle timeout, less than a ping interval
        assert phone.state == "connected"  # the server did not close the websocket (the client would have seen it)
    finally:
        phone.disconnect()
        server.stop()


def test_a_finished_http_connection_leaves_no_garbage_in_cycles(tmp_path):
    """eventlet's handler keeps the last request's environ, and the environ holds a function that refers back to
    the handler: each page load's connection, its socket, its buffers and its request stayed in memory until a full
    collection, which the server makes only in quiet moments (``QuietCollector``). At 900 phones a join burst
    left some 1,600 such connections per process for the whole benchmark (``/bench/memory``, 2026-12-06)."""
    import requests

    server = LiveServer(tmp_path, env={"AANDACHT_BENCH": "1"})
    try:
        for _ in range(20):
            assert requests.get(f"{server.url}/healthz", headers={"Connection": "close"}, timeout=30).ok
        time.sleep(0.5)  # the server's side of each connection ends after the response
        held = requests.get(f"{server.url}/bench/memory", timeout=120).json()  # it counts what a full collection frees
    finally:
        server.stop()
    connections = sum(n for kind, n in held["garbage"]["types"] if kind.endswith(("Protocol", "GreenSocket")))
    assert connections == 0, held["garbage"]


class PingCounting(engineio.Client):
    """A test phone that counts the server's pings (and answers them, as a browser does)."""

    pings = 0

    def _receive_packet(self, pkt):
        if pkt.packet_type == engineio.packet.PING:
            self.pings += 1
        return super()._receive_packet(pkt)


def test_one_green_thread_pings_every_phone_and_each_gets_its_pings(tmp_path):
    """python-engineio pings each socket from a green thread of its own that sleeps the ping interval: about 7.7 KB
    resident per phone for waiting. The server's ``Pinger`` sends them all from one; every phone still gets a ping
    an interval after it answered the last one."""
    import requests

    server = LiveServer(tmp_path, env={"AANDACHT_BENCH": "1", "AANDACHT_PING_INTERVAL": "0.5"})
    phones = [PingCounting() for _ in range(4)]
    try:
        for phone in phones:
            phone.connect(server.url, transports=["websocket"], engineio_path="socket.io")
        held = requests.get(f"{server.url}/bench/memory", timeout=120).json()
        deadline = time.monotonic() + 60
        while min(phone.pings for phone in phones) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        pings, states = [phone.pings for phone in phones], [phone.state for phone in phones]
    finally:
        for phone in phones:
            phone.disconnect()
        server.stop()
    assert min(pings) >= 3, pings  # a ping, its pong, the next ping an interval later, and so on
    assert states == ["connected"] * len(phones)
    waiting_to_ping = [n for frames, n in held["waiting"] if any(f.endswith(" _send_ping") for f in frames)]
    assert waiting_to_ping == [], held["waiting"]


class FakeSocket:
    def __init__(self, sid, closed=False):
        self.sid, self.closing, self.closed, self.last_ping, self.sent = sid, False, closed, None, []

    def send(self, pkt):
        self.sent.append(pkt.packet_type)


class FakeEngineIO:
    ping_interval = 20

    def __init__(self):
        self.spawned = []

    def start_background_task(self, target, *args, **kwargs):
        self.spawned.append(target)


def test_the_pinger_pings_each_socket_when_due_and_leaves_other_tasks_and_closed_sockets_alone():
    from engineio import packet, socket as eio_socket

    now = [100.0]
    eio = FakeEngineIO()
    pinger = Pinger(eio, clock=lambda: now[0])
    assert pinger.install()
    sockets = [FakeSocket("a"), FakeSocket("b"), FakeSocket("c")]
    for s in sockets:
        eio.start_background_task(eio_socket.Socket._send_ping.__get__(s))  # what Socket.schedule_ping does
        now[0] += 1
    other = lambda: None  # noqa: E731
    eio.start_background_task(other)
    assert eio.spawned == [other]  # only the ping tasks are taken over
    sockets[1].closed = True
    assert pinger.step() == 20 - 3  # none is due yet: a wakes first, 20 s after it was scheduled
    now[0] = 121.5  # a and b are due, c is not
    assert pinger.step() == 0.5
    assert sockets[0].sent == [packet.PING] and sockets[0].last_ping is not None
    assert sockets[1].sent == []  # closed meanwhile: no ping
    assert sockets[2].sent == []
    now[0] = 122.0
    assert pinger.step() == 1.0  # nothing left to wait for
    assert sockets[2].sent == [packet.PING]
