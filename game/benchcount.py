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
It walks every object (``gc.get_objects``), so the benchmark asks once, at rest, after the last round.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections import Counter

from flask import Flask

ENABLED = os.environ.get("AANDACHT_BENCH") == "1"


def install(app: Flask) -> None:
    """Count view builds in this process and serve the counts at /bench/counters."""
    from . import service

    counts = {"view_builds": 0, "views_built": 0, "state_loads": 0}
    lock = threading.Lock()
    build = getattr(service.build_views, "__wrapped__", service.build_views)  # once per process, not per app

    def counted(*args, **kwargs):
        views = build(*args, **kwargs)
        with lock:
            counts["view_builds"] += 1
            counts["views_built"] += 3 + len(getattr(views, "teams", ()) or ())
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
        return {"pid": os.getpid(), "allocated_blocks": sys.getallocatedblocks(), "gc_objects": sum(types.values()),
                "top_types": types.most_common(25), "caches": caches}
