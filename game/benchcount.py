"""Counters for the benchmark (bench/run.py), only when the server runs with ``AANDACHT_BENCH=1``.

``install(app)`` counts, in this process, how often a workshop's views were built (``view_builds``: each build makes
every role's view) and how many role views that made (``views_built``: the console's, the screen's, the guests' and
one per team), and serves both at ``GET /bench/counters`` as JSON, with the cycle collector's pauses of 10 ms or more
(``gc_pauses``: when each ended, its generation, how long). The benchmark reads them before and after each
round, on every process, to show whether building views costs more as the workshop's history grows.

It wraps ``game.service.build_views`` (the one name every build goes through) rather than counting inside the
engine, so the engine and the service carry no benchmark code; without the variable nothing here runs.

``GET /bench/memory`` says what this process holds, for a run whose memory per phone misses its target: the Python
objects by type (the most numerous), the memory blocks Python has allocated, and the sizes of the service's caches.
It walks every object (``gc.get_objects``), so the benchmark asks once, at rest, after the last round. It also
says where the green threads wait (a thread that never ends keeps what its frames hold) and what a full collection
frees then (garbage in cycles: it makes one); with ``AANDACHT_BENCH_TRACEMALLOC=1`` (which slows the server) also
Python's memory now and at its peak, and the lines of code that hold most.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections import Counter
from types import FrameType

from flask import Flask

ENABLED = os.environ.get("AANDACHT_BENCH") == "1"


def install(app: Flask) -> None:
    """Count view builds in this process and serve the counts at /bench/counters."""
    from . import service

    if os.environ.get("AANDACHT_BENCH_TRACEMALLOC") == "1":  # where Python's memory went (slows the server)
        import tracemalloc

        tracemalloc.start()

    counts = {"view_builds": 0, "views_built": 0, "state_loads": 0}
    lock = threading.Lock()
    build = getattr(service.build_views, "__wrapped__", service.build_views)  # once per process, not per app

    def counted(*args, **kwargs):
        views = build(*args, **kwargs)
        with lock:
            counts["view_builds"] += 1
            counts["views_built"] += 3
        teams = views.teams
        make = teams._make

        def making(team_id: str) -> dict:  # a team's view is built when first asked for (TeamViews)
            with lock:
                counts["views_built"] += 1
            return make(team_id)

        teams._make = making
        return views

    counted.__wrapped__ = build
    service.build_views = counted

    from .store import Store

    load = getattr(Store.load, "__wrapped__", Store.load)

    def loading(self, *args, **kwargs):  # a whole workshop read from the database: its cost grows with history
        with lock:
            counts["state_loads"] += 1
        return load(self, *args, **kwargs)

    loading.__wrapped__ = load
    Store.load = loading

    # the cycle collector's pauses: every process stops for them (eventlet runs one thread of Python at a time)
    pauses: list[tuple[float, int, float]] = []  # (when it ended, wall clock; generation; milliseconds), >= 10 ms
    began = [0.0]

    def timed(phase: str, info: dict) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
            return
        took = (time.perf_counter() - began[0]) * 1000
        if took >= 10:
            pauses.append((time.time(), info.get("generation", -1), round(took, 1)))
            del pauses[:-2000]

    gc.callbacks.append(timed)

    @app.get("/bench/counters")
    def bench_counters():
        with lock:
            return {**counts, "pid": os.getpid(), "gc_pauses": list(pauses)}

    @app.get("/bench/memory")
    def bench_memory():
        from .web.sockets import service as current_service

        svc = current_service()
        types = Counter(type(o).__qualname__ for o in gc.get_objects())
        caches = {name: len(getattr(svc, name)) for name in ("_cache", "_waiting", "_published", "_built", "_pending")}
        publisher = svc.publisher
        caches["publisher.connections"] = len(publisher.connections)
        caches["publisher._sent rooms"] = sum(len(rooms) for rooms in publisher._sent.values())
        held = {"pid": os.getpid(), "allocated_blocks": sys.getallocatedblocks(), "gc_objects": sum(types.values()),
                "top_types": types.most_common(25), "caches": caches, "waiting": _waiting_stacks()}
        del types
        held["traced"] = _traced()
        held["pymalloc"] = _pymalloc()
        held["malloc"] = _mallinfo()
        held["garbage"] = _garbage()  # last: it makes a full collection
        return held


def _traced(most: int = 25) -> dict | None:
    """With ``AANDACHT_BENCH_TRACEMALLOC=1``: Python's memory now and at its peak, and the lines that hold most."""
    import tracemalloc

    if not tracemalloc.is_tracing():
        return None
    current, peak = tracemalloc.get_traced_memory()
    snapshot = tracemalloc.take_snapshot()
    where = lambda s: f"{os.path.basename(s.traceback[0].filename)}:{s.traceback[0].lineno}"  # noqa: E731
    return {"current_kb": current // 1024, "peak_kb": peak // 1024,
            "top": [(where(s), s.size // 1024, s.count) for s in snapshot.statistics("lineno")[:most]],
            "files": [(s.traceback[0].filename.split("site-packages/")[-1], s.size // 1024, s.count)
                      for s in snapshot.statistics("filename")[:most]]}


def _garbage(most: int = 20) -> dict:
    """What a full collection frees now: the garbage in cycles that waited for one (the server makes them only in
    quiet moments, ``game.server.QuietCollector``), by type and, for frames, by the code they ran; and this
    process's resident memory before and after."""
    rss = _rss_kb()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collection finds unreachable stays in gc.garbage, to be counted
    try:
        freed = gc.collect()
        kinds = Counter(type(o).__qualname__ for o in gc.garbage)
        # (isinstance fails on a dead weak proxy in gc.garbage)
        frames = Counter(_where(o) for o in gc.garbage if type(o) is FrameType)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    gc.collect()  # and now free it
    return {"freed": freed, "types": kinds.most_common(most), "frames": frames.most_common(most),
            "rss_kb_before": rss, "rss_kb_after": _rss_kb()}


def _pymalloc() -> dict:
    """Python's small-object allocator (``sys._debugmallocstats``): the 1 MB arenas it holds (now and at most), and
    how much of them is in use. An arena goes back to the system only when every object in it is gone, so a burst
    that allocated many short-lived objects among long-lived ones leaves them mostly empty and resident."""
    import re
    import tempfile

    with tempfile.TemporaryFile(mode="w+") as out:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)  # it writes to the C library's stderr
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read()

    def number(label: str) -> int | None:
        found = re.search(rf"{re.escape(label)}\s*=\s*([\d,]+)", text)
        return int(found.group(1).replace(",", "")) if found else None

    return {
        "arenas_now": number("# arenas allocated current"),
        "arenas_most": number("# arenas highwater mark"),
        "bytes_in_use": number("# bytes in allocated blocks"),
        "bytes_free_in_pools": number("# bytes in available blocks"),
    }


def _mallinfo() -> dict | None:
    """The C library's heap (glibc's ``mallinfo2``): what its arenas hold in use and free, and what it mapped for
    large blocks; the memory outside Python's small-object allocator (blocks over 512 bytes, C libraries' own)."""
    import ctypes

    from .server import libc

    class Info(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    mallinfo2 = getattr(libc(), "mallinfo2", None)
    if mallinfo2 is None:  # not glibc 2.33 or newer
        return None
    mallinfo2.restype = Info
    info = mallinfo2()
    return {"heap_kb": info.arena // 1024, "in_use_kb": info.uordblks // 1024, "free_kb": info.fordblks // 1024,
            "mapped_kb": info.hblkhd // 1024}


def _where(frame) -> str:
    """A frame's place: ``file.py:line function``."""
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} {frame.f_code.co_name}"


def _rss_kb() -> int:
    from .server import resident_bytes

    return resident_bytes() // 1024


def _waiting_stacks(depth: int = 8, most: int = 12) -> list[tuple[list[str], int]]:
    """Where this process's green threads wait, the innermost ``depth`` frames of each, the most common first: a
    thread that never ends keeps its frames and everything they reference (green threads are greenlets)."""
    try:
        import greenlet
    except ImportError:  # the threading async mode: nothing green to count
        return []
    where: Counter = Counter()
    for o in gc.get_objects():
        if isinstance(o, greenlet.greenlet) and o.gr_frame is not None:
            frames, frame = [], o.gr_frame
            while frame is not None and len(frames) < depth:
                frames.append(_where(frame))
                frame = frame.f_back
            where[tuple(frames)] += 1
    return [(list(frames), n) for frames, n in where.most_common(most)]
