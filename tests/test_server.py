"""The server entry point's tuning of the process (game/server.py): memory given back after a burst, the cycle
collector kept from long pauses. The server itself runs in test_resilience.py and test_cluster.py."""

from __future__ import annotations

import gc

from game.server import MemoryTrimmer, tune_gc


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
