"""The server entry point. ``python -m game serve`` has already monkey-patched when this runs."""

from __future__ import annotations

import argparse
import functools
import gc
import logging
import os
import resource
import time
from collections import deque
from collections.abc import Callable


def raise_open_files_limit() -> int:
    """Allow as many open sockets as the system lets this process have."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def serve(argv: list[str], mode: str) -> int:
    """Start the app on eventlet's (or gevent's) own server and print where to open it."""
    parser = argparse.ArgumentParser(prog="python -m game serve")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--max-connections", type=int, default=5000, help="eventlet's max_size")
    parser.add_argument("--backlog", type=int, default=2048, help="pending connections the listening socket queues")
    parser.add_argument("--idle-timeout", type=float, default=10.0,
                        help="seconds an HTTP keep-alive connection may wait for its next request (0: no limit)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    raise_open_files_limit()

    from game.net import startup_lines
    from game.web import create_app
    from game.web.realtime import socketio

    app = create_app({"ASYNC_MODE": mode})
    tune_gc(int(os.environ.get("AANDACHT_GC_THRESHOLD", "5000")))
    service = app.extensions["aandacht"]
    if mode == "eventlet":
        service.decks.offload = worker_thread()
    retention = app.config["RETENTION_DAYS"] * 86400
    cluster = service.publisher.cluster
    reload = 2.0 if cluster is not None else None  # several processes: pick up countdowns started elsewhere
    socketio.start_background_task(service.run_ticker, socketio.sleep, 0.25, retention, reload)
    pinger = Pinger(socketio.server.eio)
    if pinger.install():
        socketio.start_background_task(pinger.run, socketio.sleep)
    if cluster is not None:
        cluster.start(socketio.start_background_task, socketio.sleep)
    if int(os.environ.get("AANDACHT_GC_THRESHOLD", "5000")) > 0:
        socketio.start_background_task(QuietCollector(lambda: service.last_command).run, socketio.sleep)
    trim_every = float(os.environ.get("AANDACHT_TRIM_SECONDS", "5"))
    if trim_every > 0 and os.path.exists("/proc/self/statm"):
        trimmer = MemoryTrimmer(trim_every)
        if trimmer.trim is not None:
            socketio.start_background_task(trimmer.run, socketio.sleep)

    for line in startup_lines(args.host, args.port, app.config.get("PUBLIC_URL")):
        print(line, flush=True)
    print("Phones join at /play with the room code, or by the QR code on the big screen.", flush=True)
    if os.environ.get("AANDACHT_SETUP_LINK", "1") != "0":  # the cluster's launcher prints one link for all
        from game.web.auth import setup_link_lines

        local = "127.0.0.1" if args.host in ("0.0.0.0", "", "::") else args.host
        base = app.config.get("PUBLIC_URL") or f"http://{local}:{args.port}"
        for line in setup_link_lines(app.extensions["aandacht.accounts"], base):
            print(line, flush=True)
    if mode == "eventlet":
        serve_eventlet(app, args.host, args.port, args.max_connections, args.backlog, args.idle_timeout)
    else:
        socketio.run(app, host=args.host, port=args.port, log_output=False, allow_unsafe_werkzeug=True)
    return 0


def worker_thread(limit: int = 1):
    """An ``offload`` for the deck library: run a function in one of eventlet's OS threads (``tpool``) while the
    calling green thread waits cooperatively, ``limit`` at a time.

    Reading a deck's YAML and checking it is CPU work during which no green thread yields: on the event loop, a
    large deck (a hundred milliseconds with libyaml, half a second without) would hold every phone of every workshop
    that long. In a thread it holds the GIL only in turns (Python hands it over every 5 ms), so the loop keeps
    answering. One at a time, so that a burst of uploads queues up instead of adding threads that the loop must
    take turns with; uploads are rare, phones are many."""
    from eventlet import tpool
    from eventlet.semaphore import Semaphore

    turns = Semaphore(limit)

    def offload(function, *args):
        with turns:
            return tpool.execute(function, *args)

    return offload


def tune_gc(threshold: int) -> None:
    """Keep Python's cycle collector from pausing the whole server for a quarter of a second every few seconds.

    With a thousand phones connected a full collection walks a million objects (measured: 250-380 ms, every
    3-5 s while phones join or pick; a card dealt meanwhile waits). What exists after start-up (modules,
    decks, catalogs) lives as long as the process: ``gc.freeze`` takes it out of every collection. A young
    generation of ``threshold`` objects instead of 700 makes collections rarer; reference counting still frees
    everything that is not in a cycle at once. 0 leaves Python's defaults.
    """
    if threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(threshold, 10, 10)


def every(sleep: Callable[[float], None], seconds: float, step: Callable[[], object], what: str) -> None:
    """A background task's loop: ``step`` every ``seconds``; a failure is logged and the loop goes on."""
    while True:
        sleep(seconds)
        try:
            step()
        except Exception:  # pragma: no cover - logged, and the loop goes on
            logging.getLogger(__name__).exception("could not %s", what)


class QuietCollector:
    """Keeps the cycle collector's full collections out of the moments a room is busy.

    With 3,000 phones connected a full collection walks every socket's, greenlet's and player's objects: measured
    480 ms (``bench.run --phones 3000 --spread 10``, 2026-12-06), a pause of the whole server that phones tapping
    their picks meanwhile wait through (it was the p99 from tap to acknowledgement). Python starts a full
    collection by itself once enough objects have outlived the two younger generations' collections; ``hold`` puts
    that out of reach, and this makes the full collections itself: in a quiet moment, when nothing was commanded
    for ``quiet`` seconds (at most once per ``gap`` seconds), and after ``longest`` seconds without one whatever
    happens, so that what garbage in cycles holds stays bounded. The younger generations are collected as before
    (short pauses): garbage that dies young, in a cycle or not, is freed as it always was.

    (Freezing what lived every few seconds instead, ``gc.freeze``, also froze the young garbage not yet collected,
    and kept it until the next quiet moment: 300 KB per phone at rest after 16 rounds on 3 processes.)
    """

    HELD = 1_000_000  # younger collections before Python would start a full one itself: never, in practice

    def __init__(self, last_command: Callable[[], float], every: float = 1.0, quiet: float = 3.0,
                 gap: float = 60.0, longest: float = 600.0, clock: Callable[[], float] = time.monotonic):
        self.last_command, self.every, self.quiet, self.gap, self.longest = last_command, every, quiet, gap, longest
        self.clock = clock
        self.collected_at = clock()

    def hold(self) -> None:
        """Python makes no full collection by itself from now on: ``tick`` does."""
        young, middle, _old = gc.get_threshold()
        gc.set_threshold(young, middle, self.HELD)

    def tick(self) -> bool:
        """Make a full collection if this is a quiet moment (or the last was ``longest`` ago); True if it did."""
        now = self.clock()
        since = now - self.collected_at
        if (now - self.last_command() >= self.quiet and since >= self.gap) or since >= self.longest:
            gc.collect()
            self.collected_at = now
            return True
        return False

    def run(self, sleep) -> None:
        """The background task."""
        self.hold()
        every(sleep, self.every, self.tick, "collect")


class Pinger:
    """One green thread sends every socket's pings, instead of one green thread per socket.

    python-engineio pings each client ``ping_interval`` seconds after its last pong by starting a background task
    per socket that sleeps that long (``Socket.schedule_ping`` -> ``_send_ping``). On eventlet a sleeping green
    thread costs about 7.7 KB resident (its saved C stack and its own page of Python frames; measured with 10,000 of
    them), a hub timer 0.4 KB: with 1,000 phones a process that is 7 MB for nothing but waiting. ``install`` takes
    those tasks over: each socket is put in a queue with the time its ping is due, and ``run`` sends the pings that
    are due. The interval is the same for every socket, so the queue is in due order by construction.

    python-engineio has no setting for this, so it is done here at the edge, only for the served process; a socket
    task this does not recognise (another version of the library) starts as before. ``ping`` does what
    ``Socket._send_ping`` does after its sleep; tests/test_server.py checks that phones get their pings.
    """

    BATCH = 200  # pings sent before letting other green threads run

    def __init__(self, eio, clock: Callable[[], float] = time.monotonic):
        self.eio, self.clock = eio, clock
        self.due: deque = deque()

    def install(self) -> bool:
        """Take over the sockets' ping tasks from now on; False (and nothing changed) if the library differs."""
        from engineio import socket as eio_socket

        send_ping = getattr(eio_socket.Socket, "_send_ping", None)
        if send_ping is None:
            logging.getLogger(__name__).warning("python-engineio has no Socket._send_ping: a green thread per ping")
            return False
        spawn = self.eio.start_background_task

        def start_background_task(target, *args, **kwargs):
            if getattr(target, "__func__", None) is send_ping and not args and not kwargs:
                self.due.append((self.clock() + self.eio.ping_interval, target.__self__))
                return None  # engineio's schedule_ping does not keep the task
            return spawn(target, *args, **kwargs)

        self.eio.start_background_task = start_background_task
        return True

    def ping(self, socket) -> None:
        """What ``Socket._send_ping`` does once its sleep is over."""
        from engineio import packet

        if not socket.closing and not socket.closed:
            socket.last_ping = time.time()  # engineio's check_ping_timeout compares it with time.time()
            socket.send(packet.Packet(packet.PING))

    def step(self) -> float:
        """Send the pings that are due; return the seconds until the next one is (1 s when none waits)."""
        sent = 0
        while self.due and sent < self.BATCH:
            due, socket = self.due[0]
            wait = due - self.clock()
            if wait > 0:
                return wait
            self.due.popleft()
            try:
                self.ping(socket)
            except Exception:  # pragma: no cover - one socket's failure must not stop the others' pings
                logging.getLogger(__name__).exception("could not ping %s", getattr(socket, "sid", socket))
            sent += 1
        return 0.0 if self.due else 1.0

    def run(self, sleep) -> None:
        """The background task."""
        while True:
            sleep(self.step())


def serve_eventlet(app, host: str, port: int, max_size: int, backlog: int, idle_timeout: float = 10.0) -> None:
    """What ``socketio.run()`` does for eventlet, with a listen backlog sized for a room of phones and a limit on
    idle keep-alive connections.

    eventlet's default backlog of 50 pending connections drops the rest of a burst (a room scanning the
    QR code at once): their connections are retried by the kernel after 1, 3, 7 seconds, or fail.

    A phone's browser keeps the HTTP connections that loaded the page open after its websocket took over: in
    Chromium, two of them, for minutes (seen: still open after 200 s). eventlet keeps a green thread, its buffers and
    its request objects for each as long as the browser does. ``idle_timeout`` closes a connection that has waited
    that long for its next request (eventlet's ``keepalive``); a request that is running (a long-poll, a websocket)
    is never cut by it. 0 leaves idle connections open.
    """
    import eventlet
    import eventlet.wsgi
    from eventlet.green import socket

    class Protocol(eventlet.wsgi.HttpProtocol):
        """eventlet's HTTP handler with 2 KB read and write buffers instead of 8 and 16 KB. A phone's websocket
        keeps its handler, and so both buffers, for the whole workshop although it never uses them again
        after the upgrade: the benchmark's profile showed them as the largest thing each phone costs. A
        larger response is written straight from the application, as it was beyond 16 KB."""

        rbufsize = 2048
        wbufsize = 2048

        def finish(self) -> None:
            """Let go of the last request: its environ holds eventlet's ``set_idle``, a function that refers back
            to this handler, a cycle that kept each finished connection (its socket, buffers and request) until a
            full collection, which the server makes only in quiet moments (``QuietCollector``)."""
            try:
                super().finish()
            finally:
                self.environ = None

    family, _type, _proto, _name, address = socket.getaddrinfo(host, port)[0]
    listener = eventlet.listen(address, family, backlog=backlog)
    keepalive = idle_timeout if idle_timeout > 0 else True
    eventlet.wsgi.server(listener, app, log_output=False, max_size=max_size, protocol=Protocol, keepalive=keepalive)


@functools.cache
def libc():
    """The C library through ctypes (its allocator's ``malloc_trim``, ``mallinfo2``), or None where none is found."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


def resident_bytes() -> int:
    """This process's resident memory in bytes (Linux's ``/proc/self/statm``)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


class MemoryTrimmer:
    """Gives freed memory back to the system (glibc's ``malloc_trim``) every ``every`` seconds. A join burst of a
    thousand phones frees tens of megabytes of messages that glibc otherwise keeps resident for good; a trim
    costs about 0.1 ms per megabyte it returns, and next to nothing when there is none. A no-op where the C
    library has no malloc_trim."""

    def __init__(self, every: float = 5.0):
        self.every = every
        self.trim = getattr(libc(), "malloc_trim", None)

    def resident(self) -> int:
        """This process's resident memory in bytes."""
        return resident_bytes()

    def check(self) -> int:
        """Trim now; return the bytes of resident memory it gave back (logged when it was much)."""
        before, started = self.resident(), time.monotonic()
        self.trim(0)
        freed = before - self.resident()
        if freed >= 8 * 2**20:
            logging.getLogger(__name__).info("gave %.0f MB back to the system in %.0f ms", freed / 2**20,
                                             1000 * (time.monotonic() - started))
        return freed

    def run(self, sleep) -> None:
        """The background task."""
        every(sleep, self.every, self.check, "trim memory")
