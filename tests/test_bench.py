"""The benchmark's own plumbing (bench/run.py, bench/loadgen.mjs, bench/bare_server.py): its helpers, and a
20-phone run of the whole pipeline against both servers. Only counts are asserted, never a time: the benchmark
measures, it does not judge."""

from __future__ import annotations

import json

import pytest

from bench import run


def test_percentile_interpolates_between_ranks():
    assert run.percentile([], 50) is None
    assert run.percentile([3.0], 99) == 3.0
    assert run.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert run.percentile(list(map(float, range(101))), 99) == 99.0
    assert run.spread([2.0, 1.0])["max"] == 2.0


def test_collapsed_stacks_are_summarised_by_function(tmp_path):
    stacks = tmp_path / "stacks.txt"
    stacks.write_text(
        "main (a.py:1);work (a.py:5);emit (b.py:9) 3\n"
        "main (a.py:1);work (a.py:6) 1\n"
        "main (a.py:2);idle (c.py:3) 4\n"
    )
    summary = run.summarise_stacks(stacks)
    assert summary["samples"] == 8
    inclusive = {row["function"]: row["samples"] for row in summary["inclusive"]}
    assert inclusive == {"main (a.py)": 8, "work (a.py)": 4, "emit (b.py)": 3, "idle (c.py)": 4}
    own = {row["function"]: row["samples"] for row in summary["self"]}
    assert own == {"emit (b.py)": 3, "work (a.py)": 1, "idle (c.py)": 4}


@pytest.mark.server
def test_a_small_run_drives_both_servers_end_to_end(tmp_path):
    """20 phones in teams of 4 over two rounds: every phone joins, gets both cards, and every pick is committed."""
    assert run.main(["--phones", "20", "--team-size", "4", "--rounds", "2", "--out", str(tmp_path)]) == 0
    [written] = list(tmp_path.glob("bench-*-20.json"))
    report = json.loads(written.read_text())
    assert set(report["results"]) == {"bare", "game"}
    for kind, result in report["results"].items():
        assert result["join"]["ok"] == 20 and result["join"]["failed"] == 0, (kind, result["join"])
        assert len(result["rounds"]) == 2
        for rnd in result["rounds"]:
            assert rnd["card"]["n"] == 20 and rnd["card_missing"] == 0, (kind, rnd)
            assert rnd["picks_acked"] == rnd["picks_committed"] == 20, (kind, rnd)
        assert result["memory"]["rss_after_join_kb"] > 0
    assert report["ratios"]["card broadcast p99 (ms)"] is not None
    assert len(report["verdicts"]) == 4
    assert "game" in report["table"] and "bare" in report["table"]
