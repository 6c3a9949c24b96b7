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


def test_rounds_are_bounded_by_the_deck_and_several_processes_need_shared_servers(capsys):
    """More rounds than the deck has cards, a negative spread, or several processes on nothing shared: refused
    with a message that says why, before anything starts."""
    size = run.deck_size()
    assert run.parse(["--rounds", str(size)]).rounds == size
    for argv, said in (
        (["--rounds", str(size + 1)], f"deck has {size} cards"),
        (["--rounds", "0"], f"1 to {size} rounds"),
        (["--spread", "-1"], "--spread"),
        (["--bursts", "0"], "--bursts"),
        (["--cards", "spilled-tea,nope"], "not in it: nope"),
        (["--cards", "spilled-tea,spilled-tea"], "at most once"),
        (["--processes", "3"], "--throwaway"),
        (["--processes", "3", "--database-url", "postgresql://x/y"], "--message-queue"),
        (["--throwaway", "--database-url", "postgresql://x/y"], "leave out --database-url"),
    ):
        with pytest.raises(SystemExit):
            run.parse(argv)
        assert said in capsys.readouterr().err, argv
    assert run.parse(["--processes", "3", "--throwaway"]).processes == 3
    chosen = run.parse(["--cards", "own-words-train, spilled-tea"])  # the rounds are the cards given
    assert chosen.cards == ["own-words-train", "spilled-tea"] and chosen.rounds == 2


def _round(index: int, acked: float, cpu: float, committed: int = 20, p99: float = 0.1) -> dict:
    """One round's figures as play_round reports them (only what the verdicts read)."""
    return {
        "round": index,
        "picks_acked": 20,
        "picks_committed": committed,
        "picks_all_acked_s": acked,
        "picks_server_cpu_s": cpu,
        "tap_ack_s": run.spread([p99]),
        "facilitator_s": {"deal": 0.01, "lock": 0.01, "reveal": 0.01, "publish": 0.01},
        "card": run.spread([0.01]),
        "picks_on_console_s": None,
        "views_built": {"picks": {"view_builds": 2, "views_built": 14}},
    }


def _target(rounds: list[dict], per_phone_kb: list[float], drops: int = 0) -> dict:
    """A target's result with these rounds, memory per process and dropped phone connections."""
    return {
        "join": {"phones": 20, "ok": 20, "failed": 0, "burst_s": 1.0, "page_s": run.spread([0.1]),
                 "per_phone_s": run.spread([0.1]), "console_settled_s": None, "views_to_phones": 20,
                 "server_cpu_s": 1.0, "loadgen_cpu_s": 1.0},
        "card_s": run.spread([0.01]),
        "rounds": rounds,
        "memory": {"rss_before_kb": 1000, "rss_after_join_kb": 2000, "per_phone_kb": 50.0, "per_phone_end_kb": 50.0,
                   "processes": [{"per_phone_end_kb": kb} for kb in per_phone_kb]},
        "connections": {"disconnects": drops, "console_disconnects": 0, "screen_disconnects": 0},
    }


def test_verdicts_name_every_round_and_process_that_misses():
    """The picks ratio is judged in every round (not only the worst's mean), the pick CPU's growth from the
    first round to the last, a dropped phone, and memory per phone in each process: each miss is named."""
    bare = _target([_round(0, 1.0, 1.0), _round(1, 1.0, 1.0), _round(2, 1.0, 1.0)], [60.0, 60.0, 60.0])
    game = _target([_round(0, 1.2, 1.0), _round(1, 1.6, 1.05), _round(2, 1.4, 1.3, committed=19)],
                   [80.0, 120.0, 90.0], drops=1)
    results = {"bare": bare, "game": game}
    _text, ratios = run.table(results)
    args = run.parse(["--phones", "20", "--rounds", "3"])
    judged = {v["target"]: v for v in run.verdicts(results, ratios, args)}
    picks = judged["all simultaneous picks acknowledged and committed <= 1.5x bare in every round"]
    assert picks["met"] is False and "round 1: 1.60x" in picks["detail"] and "[2]" in picks["detail"]
    cpu = judged["last round's pick CPU within 10% of the first's"]
    assert cpu["met"] is False and "1.30x" in cpu["detail"]
    assert judged["no phone or console dropped"]["met"] is False
    memory = judged["at most 100 KB resident per phone at rest, in every process"]
    assert memory["met"] is False and "120.0 KB" in memory["detail"]
    assert judged["all 20 phones join"]["met"] is True
    assert not any("tap -> ack" in name for name in judged)  # picks at once: no tap target

    spread_args = run.parse(["--phones", "20", "--rounds", "3", "--spread", "5"])
    game["rounds"][1]["tap_ack_s"] = run.spread([0.7])
    judged = {v["target"]: v for v in run.verdicts(results, ratios, spread_args)}
    assert judged["picks spread over 5 s: p99 tap -> ack <= 500 ms"]["met"] is False
    assert not any("simultaneous" in name for name in judged)  # spread picks: no 'at once' ratio
    trend = run.trend(results)
    assert len(trend.splitlines()) == 2 + 3 and "1.60x" in trend


def test_the_pick_cpu_s_growth_is_judged_on_the_line_through_every_round_not_on_two_single_rounds():
    """A single round's CPU scatters by up to a tenth on the benchmark's machine. Flat rounds whose first happened
    low and last high (1.17x) meet the target; rounds that grow steadily by a fifth miss it even where the last
    round happened low (1.04x). Both single rounds and the bare server's figures are printed beside."""
    args = run.parse(["--phones", "20", "--rounds", "8"])
    name = "last round's pick CPU within 10% of the first's"
    bare = _target([_round(i, 1.0, c) for i, c in enumerate([5.1, 4.9, 5.2, 4.4, 4.2, 5.9, 5.0, 4.4])], [60.0])

    def judged(cpu: list[float]) -> dict:
        game = _target([_round(i, 1.0, c) for i, c in enumerate(cpu)], [60.0])
        results = {"bare": bare, "game": game}
        return {v["target"]: v for v in run.verdicts(results, run.table(results)[1], args)}[name]

    flat = judged([3.00, 3.30, 3.10, 3.25, 3.05, 3.20, 3.15, 3.50])  # no growth, scattered
    assert flat["met"] is True, flat
    assert "1.17x" in flat["detail"] and "bare: line" in flat["detail"] and "0.86x" in flat["detail"]
    growing = judged([3.00, 3.15, 3.20, 3.30, 3.40, 3.50, 3.65, 3.12])  # grows a fifth; its last round low
    assert growing["met"] is False and "1.04x" in growing["detail"], growing
    start, end = run.fitted([1.0, 2.0, 3.0])
    assert (round(start, 6), round(end, 6)) == (1.0, 3.0) and run.scatter([1.0, 2.0, 3.0]) == 0.0


def test_view_counters_are_served_only_with_aandacht_bench(client, tmp_path, clock, monkeypatch):
    """Without AANDACHT_BENCH=1 there is no /bench/counters; with it, a page that connects makes the server build
    its workshop's views once (every role's: console, screen, guests, no team yet), and the counters say so."""
    from game import benchcount, service
    from game.web import create_app
    from game.web.realtime import socketio
    from tests.conftest import create_workshop

    assert client.get("/bench/counters").status_code == 404  # the ordinary app
    monkeypatch.setattr(service, "build_views", service.build_views)  # put back after the test
    from game.store import Store

    monkeypatch.setattr(Store, "load", Store.load)  # (the counters count the workshops loaded too)
    import gc

    callbacks = list(gc.callbacks)  # and the collector's callbacks (the counters time its pauses)
    monkeypatch.setattr(benchcount, "ENABLED", True)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
                      "ASYNC_MODE": "threading", "SECRET_KEY": "test-secret", "CLOCK": clock})
    try:
        http = app.test_client()
        key = create_workshop(http)
        before = http.get("/bench/counters").get_json()
        console = socketio.test_client(app, auth={"role": "facilitator", "key": key})
        assert console.is_connected()
        after = http.get("/bench/counters").get_json()
        console.disconnect()
        nobody = app.test_client().get("/bench/counters")  # the benchmark reads them without signing in
        held = app.test_client().get("/bench/memory").get_json()  # what the process holds, also unsigned
    finally:
        app.extensions["aandacht"].store.engine.dispose()
        gc.callbacks[:] = callbacks
    assert nobody.status_code == 200 and nobody.get_json()["views_built"] == after["views_built"]
    assert after["view_builds"] - before["view_builds"] == 1
    assert after["state_loads"] >= before["state_loads"]
    assert after["views_built"] - before["views_built"] == 3
    assert held["caches"]["_cache"] == 1 and held["gc_objects"] >= sum(n for _name, n in held["top_types"]) > 0


@pytest.mark.server
def test_a_small_run_drives_both_servers_end_to_end(tmp_path, capfd):
    """20 phones in teams of 4 over two rounds, a choice card and the open card, picks spread over a second and then
    each changed once: every phone joins, gets both cards, every pick and change is committed and (the game) shown
    on the console, the game tells how many views it built, and the report prints the per-round table and every
    target's verdict (what they say about speed is not asserted: the benchmark measures)."""
    argv = ["--phones", "20", "--team-size", "4", "--cards", "spilled-tea,own-words-train", "--bursts", "2",
            "--spread", "1", "--out", str(tmp_path)]
    assert run.main(argv) == 0
    printed = capfd.readouterr().out  # fd level: the load generators write to the same stderr
    [written] = list(tmp_path.glob("bench-*-20.json"))
    report = json.loads(written.read_text())
    assert set(report["results"]) == {"bare", "game"}
    for kind, result in report["results"].items():
        assert result["join"]["ok"] == 20 and result["join"]["failed"] == 0, (kind, result["join"])
        assert len(result["rounds"]) == 2
        for rnd in result["rounds"]:
            assert rnd["card"]["n"] == 20 and rnd["card_missing"] == 0, (kind, rnd)
            assert rnd["picks_acked"] == rnd["picks_committed"] == 20, (kind, rnd)
            assert rnd["tap_ack_s"]["n"] == 20 and rnd["spread_s"] == 1.0
            assert set(rnd["facilitator_s"]) == {"deal", "lock", "reveal", "publish"}
            assert rnd["picks_server_cpu_s"] > 0
            [change] = rnd["changes"]  # every phone changed its pick once: counted, and the console showed it
            assert change["picks_acked"] == 20 and change["picks_failed"] == 0 and change["server_cpu_s"] > 0
            assert (change["picks_on_console_s"] is None) == (kind == "bare"), (kind, change)
            assert rnd["picks_server_cpu_s"] == (rnd["picks_server_cpu_first_s"] + change["server_cpu_s"]) / 2
            built = rnd["views_built"]["picks"]
            assert (built is None) == (kind == "bare"), (kind, rnd["views_built"])
            if built is not None:
                assert built["view_builds"] >= 1 and built["views_built"] >= 3 + 5  # every role, 5 teams
        processes = result["memory"]["processes"]
        assert len(processes) == 1 and processes[0]["phones_end"] == 20
        assert result["connections"]["screen_disconnects"] is not None
    assert report["ratios"]["card broadcast p99 (ms)"] is not None
    targets = [v["target"] for v in report["verdicts"]]
    assert len(targets) == 7 and any("tap -> ack" in t for t in targets)
    assert all(v["met"] in (True, False) for v in report["verdicts"])
    assert "game" in report["table"] and "bare" in report["table"]
    assert len(report["trend"].splitlines()) == 2 + 2
    assert report["trend"] in printed and "targets (the game's figure" in printed and "missed: " in printed


def test_the_benchmarks_pages_wait_for_a_late_ping_as_long_as_a_browser():
    """socket.io-client in a browser closes after pingInterval + pingTimeout without a ping (40 s with the server's
    20 + 20); python-engineio's client gave up after max(pingInterval, pingTimeout) + 5 s with nothing to send
    (25 s), so the benchmark's console dropped in a 3,000-phone join burst where a browser's would not."""
    from bench.run import patient_client

    client = patient_client(reconnection=False, websocket_extra_options={"skip_utf8_validation": True})
    eio = client.eio
    eio.ping_interval, eio.ping_timeout = 20.0, 20.0  # what the server's handshake sets
    assert max(eio.ping_interval, eio.ping_timeout) + 5 == 40.0  # the write loop's wait for something to send


@pytest.mark.server
def test_socket_cost_reads_what_phones_cost_the_server_before_and_after_they_join(capfd):
    """``bench.socket_cost`` against a real game process: ten phones connect, then join; it prints per phone what
    Python's allocator, the C heap, the tracked objects and the resident memory grew by (the figures themselves are
    measured, not asserted)."""
    from bench import socket_cost

    assert socket_cost.main(["--phones", "10"]) == 0
    out = capfd.readouterr().out
    for line in ("connected: Python objects ", "joined, in all: Python objects "):
        assert line in out, out
    assert "C heap" in out and "most grown, per phone: " in out


def test_engine_cost_plays_rounds_and_a_burst_of_changes_and_reports_each(capsys):
    """bench.engine_cost on a small room with --changes: a line per round with the picks' and the changes' figures
    (counts only asserted: the seconds are the machine's)."""
    from bench import engine_cost

    argv = ["--players", "20", "--teams", "4", "--rounds", "2", "--changes", "--interval", "0.02"]
    assert engine_cost.main(argv) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("round")]
    assert len(lines) == 2 and all("change cpu" in line and "stmts/change" in line for line in lines), lines
