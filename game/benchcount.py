"""Counters for the benchmark (bench/run.py), only when the server runs with ``AANDACHT_BENCH=1``.

``install(app)`` counts, in this process, how often a workshop's views were built (``view_builds``: each build makes
every role's view) and how many role views that made (``views_built``: the console's, the screen's, the guests' and
one per team), and serves both at ``GET /bench/counters`` as JSON. The benchmark reads them before and after each
round, on every process, to show whether building views costs more as the workshop's history grows.

It wraps ``game.service.build_views`` (the one name every build goes through) rather than counting inside the
engine, so the engine and the service carry no benchmark code; without the variable nothing here runs.
"""

from __future__ import annotations

import os
import threading

from flask import Flask

ENABLED = os.environ.get("AANDACHT_BENCH") == "1"


def install(app: Flask) -> None:
    """Count view builds in this process and serve the counts at /bench/counters."""
    from . import service

    counts = {"view_builds": 0, "views_built": 0}
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

    @app.get("/bench/counters")
    def bench_counters():
        with lock:
            return {**counts, "pid": os.getpid()}
