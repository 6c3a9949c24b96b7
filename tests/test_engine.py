"""The rules, straight through pure functions: no network, no database, no eventlet."""

from __future__ import annotations

from dataclasses import replace

import pytest

from game.engine import GameError, Phase, Role, apply, build_views, commands as c
from game.engine.state import FACILITATOR, GUEST, SYSTEM, Actor, Settings, Workshop, new_state


def player(pid: str) -> Actor:
    return Actor(Role.PLAYER, pid)


F = FACILITATOR


def run(state, *steps, now=1000.0):
    """Apply (actor, command) pairs one second apart."""
    for i, (actor, command) in enumerate(steps):
        state = apply(state, actor, command, now + i)
    return state


@pytest.fixture
def teams(state):
    """Three teams: red (ann, bob), blue (cas), green (dee)."""
    return run(
        state,
        (F, c.AddTeam("red", "Red")),
        (GUEST, c.JoinWorkshop("ann", "Ann")),
        (GUEST, c.JoinWorkshop("bob", "Bob")),
        (GUEST, c.JoinWorkshop("cas", "Cas")),
        (GUEST, c.JoinWorkshop("dee", "Dee")),
        (player("ann"), c.JoinTeam("red")),
        (player("bob"), c.JoinTeam("red")),
        (player("cas"), c.CreateTeam("blue", "Blue")),
        (player("dee"), c.CreateTeam("green", "Green")),
    )


def refused(state, actor, command, code, now=2000.0):
    """Assert the command is refused with ``code`` and return the error."""
    with pytest.raises(GameError) as info:
        apply(state, actor, command, now)
    assert info.value.code == code, info.value.message
    return info.value


def test_lobby_join_and_teams(teams):
    assert teams.phase is Phase.LOBBY
    assert [t.name for t in teams.teams_in_order()] == ["Red", "Blue", "Green"]
    assert [p.id for p in teams.members("red")] == ["ann", "bob"]
    assert teams.captain("red").id == "ann"


def test_names_are_cleaned_and_limited(state):
    s = apply(state, GUEST, c.JoinWorkshop("p", "  Ann \u0000  van\tDam "), 1.0)
    assert s.players["p"].name == "Ann van Dam"
    refused(state, GUEST, c.JoinWorkshop("q", "   "), "invalid")
    refused(state, GUEST, c.JoinWorkshop("q", "x" * 31), "too_long")
    refused(state, GUEST, c.JoinWorkshop("q", 42), "invalid")


def test_team_names_unique_and_team_size(teams):
    refused(teams, F, c.AddTeam("x", " red "), "name_taken")
    s = run(teams, (GUEST, c.JoinWorkshop("eve", "Eve")), (GUEST, c.JoinWorkshop("fay", "Fay")))
    s = run(s, (player("eve"), c.JoinTeam("red")))
    refused(s, player("fay"), c.JoinTeam("red"), "team_full")


def test_teams_closed(state):
    from dataclasses import replace

    closed = replace(
        state, workshop=replace(state.workshop, settings=replace(state.workshop.settings, teams_open=False))
    )
    s = apply(closed, GUEST, c.JoinWorkshop("ann", "Ann"), 1.0)
    refused(s, player("ann"), c.CreateTeam("t", "Mine"), "teams_closed")


def test_roles_hold(teams):
    for command in (
        c.DealCard(0),
        c.Reveal(0),
        c.LockRound(0),
        c.AddTeam("x", "X"),
        c.EndWorkshop(),
        c.ScoreTeam(0, "red", 3, 3, 3, 3, 3),
    ):
        refused(teams, player("ann"), command, "forbidden")
        refused(teams, GUEST, command, "forbidden")
    refused(teams, F, c.SubmitPick(0, "a"), "forbidden")
    refused(teams, player("ann"), c.ExpireTimer(0), "forbidden")
    refused(teams, GUEST, c.SubmitPick(0, "a"), "forbidden")
    refused(teams, player("ghost"), c.JoinTeam("red"), "not_joined")


def test_deal_needs_players_and_the_right_round(state, teams):
    refused(state, F, c.DealCard(0), "no_teams")
    refused(teams, F, c.DealCard(1), "stale")
    s = apply(teams, F, c.DealCard(0), 2000.0)
    assert s.phase is Phase.COLLECTING
    assert s.current_round.deadline == 2060.0
    refused(s, F, c.DealCard(0), "stale")  # the second device pressed "deal" too
    refused(s, F, c.DealCard(1), "wrong_phase")


def test_picks_are_per_player_and_idempotent(teams):
    s = apply(teams, F, c.DealCard(0), 2000.0)
    s1 = apply(s, player("ann"), c.SubmitPick(0, "a", "p1"), 2001.0)
    assert s1.picks[(0, "ann")].response_id == "a"
    assert apply(s1, player("ann"), c.SubmitPick(0, "a", "p1"), 2002.0) is s1  # double tap: no change
    s2 = apply(s1, player("bob"), c.SubmitPick(0, "c", "p2"), 2003.0)
    assert {k: v.response_id for k, v in s2.picks.items()} == {(0, "ann"): "a", (0, "bob"): "c"}
    refused(s2, player("ann"), c.SubmitPick(0, "z"), "no_such_response")
    refused(s2, player("ann"), c.SubmitPick(1, "a"), "stale")


def test_player_without_team_cannot_pick(teams):
    s = run(teams, (GUEST, c.JoinWorkshop("eve", "Eve")), (F, c.DealCard(0)))
    refused(s, player("eve"), c.SubmitPick(0, "a"), "no_team", now=1010.0)
    s = apply(s, player("eve"), c.CreateTeam("late", "Late"), 1020.0)  # a late joiner enters the running round
    assert apply(s, player("eve"), c.SubmitPick(0, "a"), 1021.0).picks[(0, "eve")].team_id == "late"


def test_time_up_is_time_up_before_the_timer_task_runs(teams):
    s = run(teams, (F, c.DealCard(0)), (player("bob"), c.SubmitPick(0, "a")), now=2000.0)  # deadline 2060
    refused(s, player("bob"), c.SubmitPick(0, "c"), "time_up", now=2060.0)
    refused(s, player("ann"), c.LockIn(0, "b"), "time_up", now=2060.5)
    s = apply(s, F, c.ExtendTimer(0, 30), 2061.0)  # the facilitator can still give more time
    assert apply(s, player("ann"), c.LockIn(0, "b"), 2062.0).answers[(0, "red")].response_id == "b"


def test_an_older_pick_arriving_late_does_not_undo_a_newer_one(teams):
    s = apply(teams, F, c.DealCard(0), 2000.0)
    s = apply(s, player("ann"), c.SubmitPick(0, "a", "first", 1), 2001.0)
    s = apply(s, player("ann"), c.SubmitPick(0, "b", "second", 2), 2002.0)
    assert apply(s, player("ann"), c.SubmitPick(0, "a", "first", 1), 2003.0) is s
    assert apply(s, player("ann"), c.SubmitPick(0, "c", "third", 3), 2004.0).picks[(0, "ann")].response_id == "c"


def test_teams_are_fixed_after_the_first_deal(teams):
    s = apply(teams, F, c.DealCard(0), 2000.0)
    refused(s, player("bob"), c.JoinTeam("blue"), "team_fixed")
    s = apply(s, F, c.MovePlayer("bob", "blue"), 2001.0)
    assert s.players["bob"].team_id == "blue"


def test_only_the_captain_locks_in_once(teams):
    s = run(teams, (F, c.DealCard(0)), (player("bob"), c.SubmitPick(0, "b")), now=2000.0)
    refused(s, player("bob"), c.LockIn(0, "b"), "not_captain")
    s = apply(s, player("ann"), c.LockIn(0, "b", "  the guest  first "), 2002.0)
    assert s.answers[(0, "red")].why == "the guest first"
    refused(s, player("ann"), c.LockIn(0, "a"), "already_locked")
    refused(s, player("bob"), c.SubmitPick(0, "a"), "already_locked")
    refused(s, player("cas"), c.LockIn(0, "a", "x" * 141), "too_long")


def test_round_locks_when_every_team_locked_in(teams):
    s = run(
        teams,
        (F, c.DealCard(0)),
        (player("ann"), c.LockIn(0, "b")),
        (player("cas"), c.LockIn(0, "a")),
        now=2000.0,
    )
    assert s.phase is Phase.COLLECTING
    s = apply(s, player("dee"), c.LockIn(0, "d"), 2010.0)
    assert s.phase is Phase.LOCKED
    assert s.current_round.locked_at == 2010.0 and s.current_round.locked_by == "teams"


def test_timer_locks_on_the_captains_pick_not_the_last_tap(teams):
    s = run(
        teams,
        (F, c.DealCard(0)),  # deadline 2060
        (player("ann"), c.SubmitPick(0, "a")),  # Ann is Red's captain
        (player("bob"), c.SubmitPick(0, "c")),  # the red team's last tap
        (player("cas"), c.LockIn(0, "b", "because")),
        now=2000.0,
    )
    refused(s, SYSTEM, c.ExpireTimer(0), "not_expired", now=2059.0)
    s = apply(s, SYSTEM, c.ExpireTimer(0), 2060.0)
    assert s.phase is Phase.LOCKED and s.current_round.locked_by == "timer"
    assert build_views(s, 2061.0).screen["workshop"]["locked_by"] == "timer"
    assert s.answers[(0, "red")].response_id == "a" and s.answers[(0, "red")].auto
    assert s.answers[(0, "red")].player_id == "ann"
    assert s.answers[(0, "blue")].response_id == "b" and not s.answers[(0, "blue")].auto
    assert (0, "green") not in s.answers  # no pick, no answer
    refused(s, SYSTEM, c.ExpireTimer(0), "wrong_phase", now=2061.0)


def test_timer_extend_stop_start(teams):
    s = apply(teams, F, c.DealCard(0), 2000.0)
    s = apply(s, F, c.ExtendTimer(0, 30), 2010.0)
    assert s.current_round.deadline == 2090.0
    refused(s, SYSTEM, c.ExpireTimer(0), "not_expired", now=2061.0)
    s = apply(s, F, c.StopTimer(0), 2020.0)
    assert s.current_round.deadline is None
    refused(s, SYSTEM, c.ExpireTimer(0), "not_expired", now=9999.0)
    s = apply(s, F, c.StartTimer(0, 10), 2030.0)
    assert s.current_round.deadline == 2040.0
    refused(s, F, c.ExtendTimer(0, 0), "invalid")
    refused(s, F, c.StartTimer(0, 99999), "invalid")


def test_reveal_drafts_scores_from_the_key_and_publish_moves_the_board(teams):
    s = run(
        teams,
        (F, c.DealCard(0)),
        (player("ann"), c.LockIn(0, "b", "guest first")),  # best: 15
        (player("cas"), c.LockIn(0, "d")),  # flagged: 0+1+0+0+1-1 = 1
        (F, c.LockRound(0)),
        now=2000.0,
    )
    refused(s, F, c.PublishScores(0), "wrong_phase")
    assert s.current_round.locked_by == "facilitator"
    s = apply(s, F, c.Reveal(0), 2010.0)
    assert s.phase is Phase.REVEALED
    assert s.scores[(0, "red")].total() == 15
    assert s.scores[(0, "blue")].total() == 1 and s.scores[(0, "blue")].flag
    assert s.scores[(0, "green")].total() == 0  # no answer
    s = apply(s, F, c.ScoreTeam(0, "red", 3, 3, 3, 3, 2, False, 2), 2011.0)
    assert s.scores[(0, "red")].total() == 16
    refused(s, F, c.ScoreTeam(0, "red", 4, 3, 3, 3, 3), "invalid")
    refused(s, F, c.ScoreTeam(0, "red", 3, 3, 3, 3, 3, False, 3), "invalid")
    refused(s, F, c.ScoreTeam(0, "red", True, 3, 3, 3, 3), "invalid")
    refused(s, F, c.ScoreTeam(0, "nope", 3, 3, 3, 3, 3), "no_such_team")
    views = build_views(s, 2012.0)
    assert all(row["points"] == 0 for row in views.screen["leaderboard"])  # not published yet
    s = apply(s, F, c.PublishScores(0), 2013.0)
    board = build_views(s, 2014.0).screen["leaderboard"]
    assert [(r["name"], r["points"], r["rank"]) for r in board] == [("Red", 16, 1), ("Blue", 1, 2), ("Green", 0, 3)]


def test_next_card_from_revealed_publishes_first_and_end_shows_podium(teams):
    s = run(
        teams, (F, c.DealCard(0)), (player("ann"), c.LockIn(0, "b")), (F, c.LockRound(0)), (F, c.Reveal(0)), now=2000.0
    )
    s = apply(s, F, c.DealCard(1), 2100.0)
    assert s.rounds[0].scored_at == 2100.0 and s.phase is Phase.COLLECTING and s.workshop.round_index == 1
    s = run(s, (F, c.LockRound(1)), (F, c.Reveal(1)), (F, c.EndWorkshop()), now=2200.0)
    assert s.phase is Phase.FINISHED and s.rounds[1].scored_at is not None
    views = build_views(s, 2300.0)
    assert views.screen["podium"][0]["name"] == "Red"
    refused(s, F, c.DealCard(2), "finished")
    refused(s, GUEST, c.JoinWorkshop("late", "Late"), "finished")


def test_no_more_cards(teams):
    s = teams
    for i in range(3):
        s = run(
            s, (F, c.DealCard(i)), (F, c.LockRound(i)), (F, c.Reveal(i)), (F, c.PublishScores(i)), now=2000.0 + 100 * i
        )
    refused(s, F, c.DealCard(3), "no_more_cards")


def test_views_hide_secrets_before_the_reveal(teams):
    s = run(
        teams,
        (F, c.DealCard(0)),
        (player("ann"), c.SubmitPick(0, "a")),
        (player("cas"), c.LockIn(0, "c", "secret why")),
        now=2000.0,
    )
    v = build_views(s, 2005.0)
    red, blue = v.teams["red"], v.teams["blue"]
    assert red["picks"] == {"ann": "a"} and blue["picks"] == {"cas": "c"}
    assert red["answer"] is None and blue["answer"]["why"] == "secret why"
    for view in (red, blue, v.screen, v.guests):
        blob = repr(view)
        assert "key" not in (view.get("card") or {}).get("responses", [{}])[0]
        assert "Feedback" not in blob and "Lesson" not in blob and "'best'" not in blob
        assert view.get("reveal") is None
    assert "secret why" not in repr(v.screen) and "secret why" not in repr(red)
    assert v.screen["locked_team_ids"] == ["blue"]
    assert "'c'" not in repr(v.screen["locked_team_ids"])
    # the facilitator sees everything
    fac = {t["id"]: t for t in v.facilitator["teams"]}
    assert fac["blue"]["answer"]["why"] == "secret why" and fac["red"]["picks"] == {"ann": "a"}
    assert v.facilitator["card"]["responses"][0]["key"]["attention"] in range(4)
    assert v.facilitator["card"]["lesson"] == "Lesson one"


def test_reveal_view_counts_and_best(teams):
    s = run(
        teams,
        (F, c.DealCard(0)),
        (player("ann"), c.LockIn(0, "b")),
        (player("cas"), c.LockIn(0, "b")),
        (player("dee"), c.LockIn(0, "a")),
        (F, c.Reveal(0)),
        now=2000.0,
    )
    reveal = build_views(s, 2010.0).teams["red"]["reveal"]
    assert {r["id"]: r["count"] for r in reveal["responses"]} == {"a": 1, "b": 2, "c": 0, "d": 0}
    assert reveal["best_id"] == "b" and reveal["lesson"] == "Lesson one" and reveal["debrief"] == "Debrief one"


def test_responses_are_shuffled_per_team_and_stable(teams, cards):
    s = apply(teams, F, c.DealCard(0), 2000.0)
    orders = {tid: [r["id"] for r in v["card"]["responses"]] for tid, v in build_views(s, 2001.0).teams.items()}
    again = {tid: [r["id"] for r in v["card"]["responses"]] for tid, v in build_views(s, 2050.0).teams.items()}
    assert orders == again
    assert all(sorted(o) == ["a", "b", "c", "d"] for o in orders.values())
    from game.engine.views import shuffled_ids

    many = {tuple(shuffled_ids(cards[0], "w1", 0, f"t{i}")) for i in range(30)}
    assert len(many) > 5


def test_language_follows_the_workshop(teams):
    from dataclasses import replace

    nl = replace(teams, workshop=replace(teams.workshop, settings=replace(teams.workshop.settings, language="nl")))
    s = apply(nl, F, c.DealCard(0), 2000.0)
    assert build_views(s, 2001.0).screen["card"]["title"] == "Title one (nl)"


def test_remove_player_and_captain_passes_on(teams):
    s = apply(teams, F, c.RemovePlayer("ann"), 2000.0)
    assert "ann" not in s.players and s.captain("red").id == "bob"
    refused(s, player("ann"), c.JoinTeam("blue"), "not_joined")
    refused(s, F, c.RemovePlayer("ann"), "no_such_player")


def test_facilitator_renames_a_participant_with_the_rules_of_a_name(teams):
    s = apply(teams, F, c.RenamePlayer("ann", "  Anna\u200b  de   Vries "), 2000.0)
    assert s.players["ann"].name == "Anna de Vries" and s.players["ann"].team_id == "red"
    assert build_views(s, 2001.0).teams["red"]["team"]["members"][0]["name"] == "Anna de Vries"
    assert apply(s, F, c.RenamePlayer("ann", "Anna de Vries"), 2002.0) is s  # the same name: nothing changes
    assert apply(s, F, c.RenamePlayer("bob", "Anna de Vries"), 2002.0).players["bob"].name == "Anna de Vries"
    refused(s, F, c.RenamePlayer("ann", "x" * 31), "too_long")
    refused(s, F, c.RenamePlayer("ann", " \u200b "), "invalid")
    refused(s, F, c.RenamePlayer("nobody", "Zoe"), "no_such_player")
    error = refused(s, player("ann"), c.RenamePlayer("bob", "Bobby"), "forbidden")  # never as the facilitator
    assert error.message == "Only the facilitator can do that."
    refused(s, GUEST, c.RenamePlayer("bob", "Bobby"), "forbidden")


def test_a_removed_phone_cannot_join_again_until_allowed_back(state):
    s = run(
        state,
        (F, c.AddTeam("red", "Red")),
        (GUEST, c.JoinWorkshop("ann", "Ann", "phone-1")),
        (GUEST, c.JoinWorkshop("bob", "Bob", "phone-2")),
        (GUEST, c.JoinWorkshop("old", "Old client")),  # a phone that sent no device id
        (player("ann"), c.JoinTeam("red")),
    )
    s = apply(s, F, c.RemovePlayer("ann"), 2000.0)
    assert s.removed["ann"].name == "Ann" and s.removed["ann"].device == "phone-1" and s.removed["ann"].at == 2000.0
    assert build_views(s, 2001.0).facilitator["removed"] == [{"id": "ann", "name": "Ann", "at": 2000.0}]
    error = refused(s, GUEST, c.JoinWorkshop("ann2", "Someone else", "phone-1"), "removed")  # any name
    assert "removed you" in error.message
    assert "carl" in apply(s, GUEST, c.JoinWorkshop("carl", "Carl", "phone-3"), 2002.0).players  # other phones join
    s = apply(s, F, c.RemovePlayer("old"), 2003.0)
    assert "dee" in apply(s, GUEST, c.JoinWorkshop("dee", "Dee", ""), 2004.0).players  # nothing to recognise it by
    refused(s, player("bob"), c.AllowBack("ann"), "forbidden")
    refused(s, F, c.AllowBack("bob"), "no_such_player")  # bob was never removed
    back = apply(s, F, c.AllowBack("ann"), 2005.0)
    assert "ann" not in back.removed and build_views(back, 2006.0).facilitator["removed"][0]["id"] == "old"
    rejoined = apply(back, GUEST, c.JoinWorkshop("ann2", "Ann again", "phone-1"), 2007.0)
    assert rejoined.players["ann2"].device == "phone-1"
    refused(s, GUEST, c.JoinWorkshop("zed", "Zed", "d" * 65), "invalid")


def test_rename_and_leaderboard_toggle(teams):
    s = apply(teams, F, c.RenameTeam("red", "Rood"), 2000.0)
    assert s.teams["red"].name == "Rood"
    s = apply(s, F, c.SetLeaderboard(False), 2001.0)
    v = build_views(s, 2002.0)
    assert v.screen["leaderboard"] is None and v.teams["red"]["leaderboard"] is None
    assert v.facilitator["leaderboard"] is not None


def test_a_refused_command_changes_nothing(teams):
    before = teams
    refused(teams, player("ann"), c.SubmitPick(0, "a"), "stale")
    assert teams == before


def test_the_engine_imports_no_web_or_database_code():
    import subprocess
    import sys

    code = (
        "import sys, game.engine; "
        "bad = [m for m in ('flask', 'sqlalchemy', 'socketio', 'flask_socketio', 'eventlet') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def finished(teams):
    """Two cards played and scored, then the end."""
    s = run(
        teams,
        (F, c.DealCard(0)),
        (player("ann"), c.LockIn(0, "b")),  # best of card one: 3s everywhere
        (player("cas"), c.LockIn(0, "d")),  # flagged
        (F, c.LockRound(0)),
        (F, c.Reveal(0)),
        (F, c.PublishScores(0)),
        (F, c.DealCard(1)),
        (player("ann"), c.LockIn(1, "a")),
        (F, c.LockRound(1)),
        (F, c.Reveal(1)),
        (F, c.EndWorkshop()),
        now=3000.0,
    )
    assert s.phase is Phase.FINISHED
    return s


def test_debrief_profiles_and_cards(teams):
    s = finished(teams)
    d = build_views(s, 4000.0).screen["debrief"]
    red = next(t for t in d["teams"] if t["name"] == "Red")
    assert red["profile"]["attention"] == 2.5  # 3 on card one, 2 on card two (a: 2,1,1,1,1)
    assert red["profile"]["ease"] == 2.0
    blue = next(t for t in d["teams"] if t["name"] == "Blue")
    assert blue["flags"] == 1 and blue["profile"]["attention"] == 0.0  # flagged on card one, no answer on two
    assert [c_["title"] for c_ in d["cards"]] == ["Title one", "Title two"]
    assert d["cards"][0]["best_id"] == "b" and {r["id"]: r["count"] for r in d["cards"][0]["responses"]}["b"] == 1
    assert d["cards"][0]["lesson"] == "Lesson one"
    assert d["weakest"] in d["dimensions"] and d["strongest"] in d["dimensions"]
    assert build_views(teams, 4000.0).screen["debrief"] is None  # only at the end


def test_commitments_need_the_end_and_the_facilitators_approval(teams):
    refused(teams, player("ann"), c.LeaveCommitment("Smile"), "wrong_phase")
    s = finished(teams)
    s = apply(s, player("ann"), c.LeaveCommitment("  I will greet every guest by name  "), 5000.0)
    s = apply(s, player("cas"), c.LeaveCommitment("Answer the phone before it rings twice"), 5001.0)
    refused(s, player("bob"), c.LeaveCommitment("x" * 141), "too_long")
    refused(s, player("ann"), c.ReviewCommitment("ann", True), "forbidden")
    views = build_views(s, 5002.0)
    assert views.screen["commitments"] == []  # nothing on the screen before approval
    assert [x["text"] for x in views.facilitator["commitments"]] == [
        "I will greet every guest by name",
        "Answer the phone before it rings twice",
    ]
    assert [x["name"] for x in views.teams["red"]["commitments"]] == ["Ann"]  # a team sees its own
    s = apply(s, F, c.ReviewCommitment("ann", True), 5003.0)
    s = apply(s, F, c.ReviewCommitment("cas", False), 5004.0)
    assert [x["name"] for x in build_views(s, 5005.0).screen["commitments"]] == ["Ann"]
    s = apply(s, player("ann"), c.LeaveCommitment("Something else"), 5006.0)
    assert s.commitments["ann"].approved is None  # a rewrite needs a new approval
    refused(s, F, c.ReviewCommitment("bob", True), "no_such_commitment")


# --- the open round: teams write their own response ------------------------------------------------


@pytest.fixture
def open_round(teams):
    """The teams of ``teams`` with an open card dealt as the first card."""
    from dataclasses import replace

    from .conftest import make_open_card

    workshop = replace(teams.workshop, cards=(make_open_card("own"), *teams.workshop.cards))
    return run(replace(teams, workshop=workshop), (F, c.DealCard(0)), now=3000.0)


def test_an_open_card_takes_written_answers_not_response_ids(open_round):
    s = open_round
    assert s.card_of(s.current_round).is_open
    refused(s, player("ann"), c.SubmitPick(0, "a"), "invalid", now=3001.0)
    refused(s, player("ann"), c.LockIn(0, "a", text="We call back"), "invalid", now=3001.0)
    refused(s, player("ann"), c.LockIn(0, text="   "), "invalid", now=3001.0)
    refused(s, player("ann"), c.LockIn(0, text="x" * 281), "too_long", now=3001.0)
    s = apply(s, player("bob"), c.SubmitPick(0, text="  Ask   what\x00 she needs "), 3001.0)
    assert s.picks[(0, "bob")].text == "Ask what she needs" and s.picks[(0, "bob")].response_id == ""
    s = apply(s, player("ann"), c.LockIn(0, text="Walk over, help mop up, bring a dish", why="small gesture"), 3002.0)
    answer = s.answers[(0, "red")]
    assert (answer.text, answer.response_id, answer.why) == (
        "Walk over, help mop up, bring a dish",
        "",
        "small gesture",
    )


def test_a_choice_card_takes_no_written_answer(teams):
    s = run(teams, (F, c.DealCard(0)), now=3000.0)
    refused(s, player("ann"), c.SubmitPick(0, "a", text="my own"), "invalid", now=3001.0)
    refused(s, player("ann"), c.LockIn(0, "", text="my own"), "invalid", now=3001.0)
    refused(s, player("ann"), c.LockIn(0, ""), "no_such_response", now=3001.0)


def test_team_mates_see_each_others_drafts_and_other_teams_see_nothing(open_round):
    s = apply(open_round, player("bob"), c.SubmitPick(0, text="Call her back today"), 3001.0)
    views = build_views(s, 3002.0)
    assert views.teams["red"]["drafts"] == {"bob": "Call her back today"}
    assert views.teams["red"]["picks"] == {}
    assert views.teams["blue"]["drafts"] == {}
    assert "Call her back today" not in str(views.screen) and "Call her back today" not in str(views.guests)
    assert views.facilitator["teams"][0]["drafts"] == {"bob": "Call her back today"}
    assert views.teams["red"]["card"]["kind"] == "open" and views.teams["red"]["card"]["responses"] == []


def test_an_open_round_locks_on_the_captains_draft_and_is_scored_by_hand(open_round):
    s = run(
        open_round,
        (player("bob"), c.SubmitPick(0, text="First idea")),
        (player("ann"), c.SubmitPick(0, text="Better idea")),  # Ann is Red's captain
        (player("cas"), c.LockIn(0, text="Blue's own answer")),
        now=3001.0,
    )
    s = run(s, (F, c.LockRound(0)), (F, c.Reveal(0)), now=3010.0)
    assert s.answers[(0, "red")].text == "Better idea" and s.answers[(0, "red")].auto
    assert (0, "green") not in s.answers  # no draft, no answer
    assert all(s.scores[(0, t)].total() == 0 for t in ("red", "blue", "green"))  # no key to draft from
    s = apply(s, F, c.ScoreTeam(0, "blue", 3, 2, 3, 3, 2, bonus=1), 3020.0)
    assert s.scores[(0, "blue")].total() == 14
    reveal = build_views(s, 3021.0).screen["reveal"]
    assert reveal["kind"] == "open" and reveal["answered"] == 2 and reveal["best_id"] is None
    assert reveal["spotlight"] is None and reveal["responses"] == []


def test_the_facilitator_spotlights_one_answer_on_the_screen(open_round):
    s = run(open_round, (player("cas"), c.LockIn(0, text="Blue's <b>own</b> answer", why="because")), now=3001.0)
    refused(s, F, c.Spotlight(0, "blue"), "wrong_phase", now=3002.0)
    s = run(s, (F, c.LockRound(0)), (F, c.Reveal(0)), now=3003.0)
    refused(s, F, c.Spotlight(0, "red"), "no_answer", now=3010.0)
    refused(s, F, c.Spotlight(0, "nope"), "no_such_team", now=3010.0)
    refused(s, player("cas"), c.Spotlight(0, "blue"), "forbidden", now=3010.0)
    refused(s, F, c.Spotlight(1, "blue"), "stale", now=3010.0)
    s = apply(s, F, c.Spotlight(0, "blue"), 3010.0)
    views = build_views(s, 3011.0)
    expected = {"team_id": "blue", "name": "Blue", "text": "Blue's <b>own</b> answer", "why": "because"}
    assert views.screen["reveal"]["spotlight"] == expected
    assert views.teams["red"]["reveal"]["spotlight"] == expected
    assert views.facilitator["spotlight_team_id"] == "blue"
    s = apply(s, F, c.Spotlight(0, None), 3012.0)
    assert build_views(s, 3013.0).screen["reveal"]["spotlight"] is None


def test_spotlight_is_only_for_open_cards(teams):
    s = run(
        teams, (F, c.DealCard(0)), (player("ann"), c.LockIn(0, "b")), (F, c.LockRound(0)), (F, c.Reveal(0)), now=3000.0
    )
    refused(s, F, c.Spotlight(0, "red"), "not_open", now=3010.0)


def test_a_phone_gets_the_top_of_the_leaderboard_and_its_own_row():
    """With many teams a phone's board is the first ten and, when its team is further down, its own row."""
    from game.engine.views import PHONE_BOARD_TOP, phone_boards

    def phone_board(board, team_id):
        return phone_boards(board)(team_id)

    board = [{"team_id": f"t{i}", "name": f"Team {i}", "points": 100 - i, "rank": i + 1} for i in range(40)]
    assert phone_board(None, "t1") is None
    assert phone_board(board[:5], "t3") == board[:5]
    top = phone_board(board, "t3")
    assert top == board[:PHONE_BOARD_TOP]
    far = phone_board(board, "t25")
    assert far[:PHONE_BOARD_TOP] == board[:PHONE_BOARD_TOP]
    assert far[-1] == {**board[25], "apart": True} and len(far) == PHONE_BOARD_TOP + 1
    assert "apart" not in board[25]  # the screen's and the console's board is not changed


def test_a_phone_choosing_a_team_in_a_big_room_sees_the_first_teams_with_room():
    """With more teams than a phone can list, the guest view lists the first 40 that have room (a keynote can
    have hundreds of teams, and every phone without a team receives this view after every change)."""
    from game.engine.views import GUEST_TEAMS_MAX

    s = new_state(
        Workshop(
            id="w1",
            code="ABCDEF",
            title="T",
            deck_id="d",
            cards=(),
            settings=Settings(language="en", timer_seconds=60, team_size=2, teams_open=True),
            created_at=1000.0,
        )
    )
    for i in range(GUEST_TEAMS_MAX + 10):
        s = apply(s, FACILITATOR, c.AddTeam(f"t{i:03d}", f"Team {i}"), 1000.0)
    for pid in ("a", "b"):  # fill the first team
        s = apply(s, GUEST, c.JoinWorkshop(pid, pid.upper()), 1000.0)
        s = apply(s, Actor(Role.PLAYER, pid), c.JoinTeam("t000"), 1000.0)
    guests = build_views(s, 1000.0).guests
    assert guests["teams_total"] == GUEST_TEAMS_MAX + 10
    assert [t["id"] for t in guests["teams"]] == [f"t{i:03d}" for i in range(1, GUEST_TEAMS_MAX + 1)]
    assert not any(t["full"] for t in guests["teams"])
    closed = replace(s, workshop=replace(s.workshop, settings=replace(s.workshop.settings, teams_open=False)))
    assert len(build_views(closed, 1000.0).guests["teams"]) == GUEST_TEAMS_MAX + 10  # preset teams: every one


# --- fair team answers and captaincy ----------------------------------------------------------------------------


@pytest.fixture
def big_red(teams):
    """Red with five members (ann the captain, then bob, eve, fay, gus) and the first card dealt at 2000."""
    roomy = replace(teams, workshop=replace(teams.workshop, settings=replace(teams.workshop.settings, team_size=5)))
    s = run(roomy, *[(GUEST, c.JoinWorkshop(p, p.title())) for p in ("eve", "fay", "gus")], now=1100.0)
    s = run(s, *[(player(p), c.JoinTeam("red")) for p in ("eve", "fay", "gus")], now=1200.0)
    assert s.captain("red").id == "ann"
    return apply(s, F, c.DealCard(0), 2000.0)


def test_without_the_captains_pick_the_round_locks_on_what_most_members_chose(big_red):
    s = run(
        big_red,
        (player("eve"), c.SubmitPick(0, "a")),
        (player("eve"), c.SubmitPick(0, "c")),  # Eve changed her mind: she counts once, for "c"
        (player("fay"), c.SubmitPick(0, "c")),
        (player("bob"), c.SubmitPick(0, "a")),  # the last tap
        now=2001.0,
    )
    s = apply(s, F, c.LockRound(0), 2010.0)
    answer = s.answers[(0, "red")]
    assert (answer.response_id, answer.auto) == ("c", True)
    assert (0, "green") not in s.answers and (0, "blue") not in s.answers  # nobody picked: no answer


def test_a_tie_goes_to_the_response_chosen_first(big_red):
    s = run(
        big_red,
        (player("bob"), c.SubmitPick(0, "d")),  # "d" first, at 2001
        (player("eve"), c.SubmitPick(0, "c")),
        (player("fay"), c.SubmitPick(0, "c")),
        (player("gus"), c.SubmitPick(0, "d")),  # 2 - 2, and the last tap is "d" too
        now=2001.0,
    )
    assert apply(s, F, c.LockRound(0), 2010.0).answers[(0, "red")].response_id == "d"
    s = run(
        big_red,
        (player("bob"), c.SubmitPick(0, "d")),  # "d" first at 2001 ...
        (player("eve"), c.SubmitPick(0, "c")),  # ... "c" at 2002
        (player("bob"), c.SubmitPick(0, "c")),  # Bob joins "c" (2003); then Fay and Gus pick "d"
        (player("fay"), c.SubmitPick(0, "d")),
        (player("gus"), c.SubmitPick(0, "d")),
        now=2001.0,
    )
    # 2 - 2 again; of the current picks "c" was chosen first (Eve at 2002), "d" only at 2004
    assert apply(s, F, c.LockRound(0), 2010.0).answers[(0, "red")].response_id == "c"
    s = apply(s, player("ann"), c.SubmitPick(0, "a"), 2009.0)  # the captain picks last: the captain's pick wins
    assert apply(s, SYSTEM, c.ExpireTimer(0), 2060.0).answers[(0, "red")].response_id == "a"


def test_an_open_round_locks_on_the_captains_draft_else_the_draft_most_took_over(open_round):
    settings = replace(open_round.workshop.settings, team_size=5)
    roomy = replace(open_round, workshop=replace(open_round.workshop, settings=settings))
    s = run(roomy, *[(GUEST, c.JoinWorkshop(p, p.title())) for p in ("eve", "fay")], now=3001.0)
    s = run(s, *[(player(p), c.JoinTeam("red")) for p in ("eve", "fay")], now=3003.0)
    s = run(
        s,
        (player("bob"), c.SubmitPick(0, text="Call her back today")),
        (player("eve"), c.SubmitPick(0, text="Send flowers")),
        (player("fay"), c.SubmitPick(0, text="Send flowers")),  # Fay took Eve's draft over
        (player("bob"), c.SubmitPick(0, text="Call her back today, and listen")),  # the last draft
        now=3005.0,
    )
    assert apply(s, F, c.LockRound(0), 3010.0).answers[(0, "red")].text == "Send flowers"
    s = apply(s, player("ann"), c.SubmitPick(0, text="Apologise in person"), 3009.0)
    assert apply(s, F, c.LockRound(0), 3010.0).answers[(0, "red")].text == "Apologise in person"


def test_the_facilitator_makes_anyone_captain(teams):
    refused(teams, player("ann"), c.MakeCaptain("bob"), "forbidden")
    refused(teams, SYSTEM, c.MakeCaptain("bob"), "forbidden")
    refused(teams, F, c.MakeCaptain("nope"), "no_such_player")
    s = apply(teams, GUEST, c.JoinWorkshop("eve", "Eve"), 1500.0)
    refused(s, F, c.MakeCaptain("eve"), "no_team")
    s = apply(s, F, c.MakeCaptain("bob"), 1501.0)
    assert s.captain("red").id == "bob" and s.teams["red"].captain_id == "bob"
    assert apply(s, F, c.MakeCaptain("bob"), 1502.0) is s  # already captain: nothing changes
    members = build_views(s, 1502.0).teams["red"]["team"]["members"]
    assert [(m["id"], m["captain"]) for m in members] == [("ann", False), ("bob", True)]
    s = apply(s, F, c.DealCard(0), 2000.0)
    refused(s, player("ann"), c.LockIn(0, "a"), "not_captain", now=2001.0)
    s = apply(s, player("bob"), c.LockIn(0, "b"), 2001.0)
    assert s.answers[(0, "red")].player_id == "bob"


def test_captaincy_passes_once_and_a_leaving_captain_hands_over(teams):
    refused(teams, F, c.PassCaptaincy("red", "ann", "bob"), "forbidden")
    refused(teams, player("bob"), c.PassCaptaincy("red", "ann", "bob"), "forbidden")
    s = apply(teams, SYSTEM, c.PassCaptaincy("red", "ann", "bob"), 1500.0)
    assert s.captain("red").id == "bob"
    refused(s, SYSTEM, c.PassCaptaincy("red", "ann", "bob"), "stale")  # a second process saw the same absence
    refused(s, SYSTEM, c.PassCaptaincy("red", "bob", "cas"), "no_such_player")  # Cas is in Blue
    # the captain is moved out: the earliest member left takes over; back in the team, Bob is not captain again
    s = apply(s, F, c.MovePlayer("bob", "blue"), 1501.0)
    assert s.captain("red").id == "ann" and s.teams["red"].captain_id is None
    assert s.captain("blue").id == "cas"
    s = apply(s, F, c.MovePlayer("bob", "red"), 1502.0)
    assert s.captain("red").id == "ann"
    s = apply(s, F, c.MakeCaptain("bob"), 1503.0)
    assert {t: p.id for t, p in s.captains().items()} == {"red": "bob", "blue": "cas", "green": "dee"}
    s = apply(s, F, c.RemovePlayer("bob"), 1504.0)
    assert s.captain("red").id == "ann" and s.teams["red"].captain_id is None
    assert {t: p.id for t, p in s.captains().items()} == {t: s.captain(t).id for t in ("red", "blue", "green")}


def test_the_facilitator_moves_into_a_full_team_and_changes_the_size(teams):
    s = run(teams, (GUEST, c.JoinWorkshop("eve", "Eve")), (player("eve"), c.JoinTeam("red")))
    size = s.workshop.settings.team_size
    assert len(s.members("red")) == size
    refused(s, player("cas"), c.JoinTeam("red"), "team_full")  # a participant respects the size
    s = apply(s, F, c.MovePlayer("cas", "red"), 2000.0)  # the facilitator's choice wins
    assert s.players["cas"].team_id == "red" and len(s.members("red")) == size + 1
    s = apply(s, F, c.SetTeamSize(size + 3), 2001.0)
    assert s.workshop.settings.team_size == size + 3
    s = run(s, (GUEST, c.JoinWorkshop("fay", "Fay")), (player("fay"), c.JoinTeam("red")))
    assert s.players["fay"].team_id == "red"
    s = apply(s, F, c.SetTeamSize(1), 2002.0)
    assert len(s.members("red")) == size + 2  # members stay; newcomers are refused
    s = run(s, (GUEST, c.JoinWorkshop("gus", "Gus")))
    refused(s, player("gus"), c.JoinTeam("red"), "team_full")
    for bad in (0, 51, -1, True, "4", 2.5):
        refused(s, F, c.SetTeamSize(bad), "invalid")
    refused(s, player("ann"), c.SetTeamSize(9), "forbidden")


def test_start_after_stop_resumes_from_the_time_left(teams):
    s = apply(teams, F, c.DealCard(0), 2000.0)  # 60 s: deadline 2060
    s = apply(s, F, c.StopTimer(0), 2041.0)  # 19 s left
    assert s.current_round.deadline is None and s.current_round.timer_left == 19.0
    assert build_views(s, 2050.0).facilitator["timer"]["stopped_left"] == 19.0
    resumed = apply(s, F, c.StartTimer(0), 2100.0)
    assert resumed.current_round.deadline == 2119.0 and resumed.current_round.timer_left is None
    restarted = apply(s, F, c.StartTimer(0, 60), 2100.0)  # a length given: start over
    assert restarted.current_round.deadline == 2160.0 and restarted.current_round.timer_left is None
    extended = apply(s, F, c.ExtendTimer(0, 30), 2100.0)  # more time on top of what was left
    assert extended.current_round.deadline == 2149.0
