"""Property-based fuzzing of every socket event (docs/protocol.md) through Flask-SocketIO's test client.

One app (the ``app`` fixture: a fresh SQLite file and the fake clock) serves the whole run; every Hypothesis
example opens a fresh workshop, connects a facilitator console, a big screen and a few phones, and then sends
a sequence of events. Each event comes from some sender (facilitator, screen, phone with a team, phone without a
team, phone that has not joined) and is one of:

* a *progress* move: the next valid thing in the current phase (join, form teams, deal, pick, lock in, timer,
  lock, reveal, score, publish, next card, end, commitments), weighted so that most examples play a real game;
* a *usurped* move: such a valid move sent by another page (the screen or a phone dealing, revealing, scoring;
  a team-mate locking in for the captain; the console picking); a *stray* move: any phase's move in the wrong
  phase (a pick after the lock, a reveal in the lobby, a commitment mid-game);
* a *plausible* event: any event name with the right field names and values taken from the state (real team,
  player and response ids, the current round and its neighbours), sometimes with one field dropped, added or
  replaced by garbage;
* a *garbage* event: any event name, or an unknown one, with None, lists, strings of 10,000 characters, nested
  objects, bools where numbers go, huge and negative numbers, NaN, RTL / zero-width / emoji / control characters;
* the clock moving on (and the server's timer locking the round), or a page reconnecting.

After every event:

1. a command gets an acknowledgement ``{"ok": True, ...}`` or ``{"ok": False, "error": {"code", "message"}}``
   (never None, never ``server_error``, never an exception out of the handler); an unknown event gets none;
2. the state loaded by a fresh ``Store`` equals the service's cached state, and its invariants hold;
3. a phone (or the screen) changed nothing that only the facilitator may change; a refused command changed
   nothing at all; phases only move forward;
4. every page received exactly its own role's view of the new state (a phone: its own team's view), and no
   screen or phone view before the reveal holds a secret (``key``, ``feedback``, ``lesson``, ``debrief``,
   ``best``, ``best_id``) or another team's picks.

The server bugs this fuzzing found (a word-filter bypass with invisible characters, lone surrogates and NUL in
ids and auth, a second argument, client events named "connect" and "disconnect") are fixed; each keeps a
reproduction at the end of the file, and the generators send those triggers too.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from game.engine import DIMENSIONS, MAX_POINTS, Phase, Settings, State, build_views
from game.publish import player_info
from game.service import screen_key_from
from game.store import Store
from game.web.realtime import socketio
from game.web.sockets import EVENTS

# --- what the protocol promises ------------------------------------------------------------------------------

PHONE_EVENTS = ("join_workshop", "join_team", "create_team", "submit_pick", "lock_in", "leave_commitment")
FACILITATOR_EVENTS = (
    "add_team",
    "rename_team",
    "rename_player",
    "move_player",
    "remove_player",
    "allow_back",
    "make_captain",
    "deal_card",
    "start_timer",
    "extend_timer",
    "stop_timer",
    "lock_round",
    "reveal",
    "spotlight",
    "score_team",
    "publish_scores",
    "set_leaderboard",
    "set_team_size",
    "end_workshop",
    "review_commitment",
    "set_join_address",
    "link_devices",
    "revoke_links",
)
KNOWN_EVENTS = PHONE_EVENTS + FACILITATOR_EVENTS + ("sync",)
# Names no command has, including the reserved "connect" and "disconnect" (a client event by those names is ignored).
UNKNOWN_EVENTS = (
    "connect",
    "disconnect",
    "",
    "Sync",
    "deal-card",
    "dealCard",
    "join",
    "message",
    "json",
    "game_state",
    "player_info",
    "presence",
    "workshop_deleted",
    "*",
    "__proto__",
    "💥",
    "x" * 300,
)

# Every error code docs/protocol.md names. ``server_error`` is documented too, but it means an exception
# escaped the rules: for the fuzz that is a bug.
DOCUMENTED_CODES = frozenset(
    {
        "invalid",
        "too_long",
        "name_refused",
        "already_joined",
        "finished",
        "removed",
        "no_such_team",
        "team_full",
        "team_fixed",
        "not_joined",
        "teams_closed",
        "name_taken",
        "stale",
        "wrong_phase",
        "no_team",
        "already_locked",
        "no_such_response",
        "not_captain",
        "no_such_player",
        "no_more_cards",
        "no_teams",
        "no_such_commitment",
        "forbidden",
        "busy",
        "text_refused",
        "not_open",
        "no_answer",
        "bad_address",
    }
)

SECRET_KEYS = frozenset({"key", "feedback", "lesson", "debrief", "best", "best_id"})
PRE_REVEAL = frozenset({"lobby", "collecting", "locked"})
FORWARD = {  # the phase changes one event may cause (staying put is always allowed)
    (Phase.LOBBY, Phase.COLLECTING),
    (Phase.COLLECTING, Phase.LOCKED),
    (Phase.LOCKED, Phase.REVEALED),
    (Phase.REVEALED, Phase.SCORED),
    (Phase.REVEALED, Phase.COLLECTING),  # dealing the next card publishes the revealed round first
    (Phase.SCORED, Phase.COLLECTING),
    *((p, Phase.FINISHED) for p in Phase if p is not Phase.FINISHED),
}
NAME_MAX, TEXT_MAX, OPEN_MAX = 30, 140, 280
SENDER_KINDS = ("facilitator", "screen", "phone_team", "phone_no_team", "phone_guest")

COVERAGE: Counter = Counter()  # what the run exercised; checked at the end so a weak generator cannot hide

# --- values ------------------------------------------------------------------------------------------------------

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",  # zero-width joiner
    "\u2060",
    "\ufeff",
    "\u00ad",  # soft hyphen
    "\u200e",
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\u2066",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\u0085",
    "\t",
    "\n",
    "\r\n",
    "\u3000",
]
FUNNY = [
    "👍🏽",
    "👨‍👩‍👧",
    "🏳️‍🌈",
    "עברית",
    "العربية",
    "ß",
    "İ",
    "ﬁ",
    "Å",
    "e\u0301",
    "\u0301",
    "𝕬",
    "Z\u0336\u0337a\u0338",
    "<b>x</b>",
    "' OR 1=1 --",
    "%s%n",
    "{{7*7}}",
    "null",
]
BLOCKED = ["shit", "SHIT", "5h1t", "kut", "Kanker", "fuuuck", "f u c k", "zak hooi"]
HUGE = ["x" * 10_000, "é" * 10_000, "💥" * 10_000, "\u200b" * 10_000, "a\x00" * 5_000]
NUMBERS = [0, 1, -1, 2, 3, 4, 5, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**40, -(2**40), 2**63, 2**64 + 1, 10**30]


texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),  # anything but surrogates, control chars too
    st.lists(st.sampled_from(INVISIBLE + FUNNY + ["a", "Team", " ", "1"]), max_size=12).map("".join),
    st.sampled_from(HUGE),
    st.sampled_from(["", " ", "\u200b", "x" * 30, "x" * 31, "x" * 140, "x" * 141, "x" * 500, "x" * 501, "\ud800"]),
)
numbers = st.one_of(st.sampled_from(NUMBERS), st.integers())
floats = st.one_of(st.sampled_from([0.0, -0.0, 0.5, 1.0, 1e300, math.nan, math.inf, -math.inf]), st.floats())
leaves = st.one_of(st.none(), st.booleans(), numbers, floats, texts, st.just(b"\x00\xff binary"))
keys = st.one_of(st.text(max_size=12), st.sampled_from(["round", "name", "team_id", "__proto__", "constructor", ""]))
garbage = st.recursive(
    leaves, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=8
)
points = st.one_of(st.integers(0, MAX_POINTS), st.integers(0, MAX_POINTS), st.sampled_from([-1, MAX_POINTS + 1, True]))
bonus = st.one_of(st.integers(0, 2), st.sampled_from([-1, 3, False]))
seconds = st.sampled_from([None, 4, 5, 30, 60, 600, 601, 3600, 3601, 0, -5])
own_words = st.one_of(
    st.sampled_from(["Say sorry first, then help", "x" * 280, "x" * 281, "", "   ", "What a load of shit"]), texts
)
pick_ids = st.one_of(st.text(max_size=70), st.sampled_from(["p1", "x" * 64, "x" * 65, "\ud800", "a\x00b"]))


def names_for(state: State):
    """Display and team names: ordinary, boundary lengths, weird unicode, blocked words, clashes with teams."""
    existing = [t.name for t in state.teams_in_order()]
    clash = [st.sampled_from(existing).map(other_case)] if existing else []
    return st.one_of(
        st.sampled_from(["Ann", "Bob", "Red", "Blue", "Team 7", "  Spaced   out  ", "x" * 30, "x" * 31, "x" * 201]),
        st.builds(lambda n: f"Team {n}", st.integers(0, 10**6)),
        texts,
        st.sampled_from(BLOCKED),
        st.lists(st.sampled_from(INVISIBLE + FUNNY + ["Red", "Blue", " "]), min_size=1, max_size=6).map("".join),
        *clash,
    )


def other_case(name: str) -> str:
    """The same name in another case and with extra spaces: the rules must see it as taken."""
    return f"  {name.swapcase()} "


# --- pages -------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Page:
    """One connected page: the console, the screen or a phone (with the player it joined as, if any)."""

    role: str
    client: object
    player_id: str | None = None
    token: str | None = None
    label: str = ""
    last: dict | None = None  # the newest view it received (comparable)

    def __repr__(self) -> str:
        return f"<{self.label}>"


def comparable(view: dict) -> dict:
    """A view as JSON, without the parts that depend on when it was built (the server's clock)."""
    view = json.loads(json.dumps(view))
    timer = view.get("timer")
    if isinstance(timer, dict):
        view = {**view, "timer": {"deadline": timer.get("deadline")}}
    return view


def leaks(value, path="") -> list[str]:
    """Paths of secret keys with a value (a key present with null reveals nothing)."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in SECRET_KEYS and v is not None:
                found.append(f"{path}.{k}")
            found += leaks(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += leaks(v, f"{path}[{i}]")
    return found


def has_control(text: str) -> bool:
    """Whether a stored name or text still holds a control, format, surrogate or unassigned character."""
    return any(unicodedata.category(ch)[0] == "C" for ch in text)


def my_team_before(state: State, player_id: str) -> str | None:
    """A player's team in a state (None: not in a team, or not joined)."""
    player = state.players.get(player_id)
    return player.team_id if player is not None else None


def check_invariants(s: State) -> None:
    """Everything that must hold for any stored workshop."""
    w = s.workshop
    assert isinstance(w.phase, Phase)
    assert w.round_index == len(s.rounds) - 1, (w.round_index, len(s.rounds))
    if w.phase is Phase.LOBBY:
        assert s.rounds == () and w.round_index == -1
    assert isinstance(w.leaderboard_visible, bool)
    assert (w.finished_at is not None) == (w.phase is Phase.FINISHED)
    cards = w.cards
    for i, rnd in enumerate(s.rounds):
        assert rnd.index == i and rnd.card_id == cards[i].id
        assert rnd.locked_by in (None, "teams", "timer", "facilitator")
        assert (rnd.locked_at is None) == (rnd.locked_by is None)
        if rnd.revealed_at is not None:
            assert rnd.locked_at is not None
        if rnd.scored_at is not None:
            assert rnd.revealed_at is not None and rnd.locked_at is not None
        if rnd.locked_at is not None and rnd.deadline is not None:
            assert rnd.deadline <= rnd.locked_at
        if i < w.round_index:  # a card is only dealt after the one before was revealed and published
            assert rnd.scored_at is not None
    current = s.current_round
    if w.phase is Phase.COLLECTING:
        assert current.locked_at is None
    if w.phase is Phase.LOCKED:
        assert current.locked_at is not None and current.revealed_at is None
    if w.phase is Phase.REVEALED:
        assert current.revealed_at is not None and current.scored_at is None
    if w.phase is Phase.SCORED:
        assert current.scored_at is not None

    for tid, team in s.teams.items():
        assert team.id == tid
        if team.captain_id is not None:  # a captain who leaves the team stops being its captain
            assert team.captain_id in s.players and s.players[team.captain_id].team_id == tid, "a captain elsewhere"
        assert 0 < len(team.name) <= NAME_MAX and not has_control(team.name) and team.name == team.name.strip()
    folded = [t.name.casefold() for t in s.teams.values()]
    assert len(folded) == len(set(folded)), "two teams share a name"
    assert 1 <= w.settings.team_size <= 50
    for pid, player in s.players.items():
        assert player.id == pid
        assert player.team_id is None or player.team_id in s.teams, "a player's team does not exist"
        assert 0 < len(player.name) <= NAME_MAX and not has_control(player.name) and player.name == player.name.strip()

    def on_card(round_index: int, response_id: str, text: str, draft: bool) -> bool:
        card = s.card_of(s.rounds[round_index])
        if card.is_open:  # the team's own words, never a response id
            return response_id == "" and (draft or text != "") and len(text) <= OPEN_MAX and not has_control(text)
        return text == "" and card.response(response_id) is not None

    for (r, pid), pick in s.picks.items():
        assert (pick.round, pick.player_id) == (r, pid)
        assert 0 <= r <= w.round_index, "a pick in a round not dealt yet"
        assert on_card(r, pick.response_id, pick.text, draft=True)
        assert pid in s.players and pick.team_id in s.teams
        assert len(pick.client_id) <= 64
        rnd = s.rounds[r]
        assert rnd.opened_at <= pick.at, "a pick before its round"
        assert rnd.locked_at is None or pick.at <= rnd.locked_at, "a pick after its round was locked"
    for (r, tid), answer in s.answers.items():  # the key makes it one answer per (round, team)
        assert (answer.round, answer.team_id) == (r, tid)
        assert 0 <= r <= w.round_index and tid in s.teams
        assert on_card(r, answer.response_id, answer.text, draft=False)
        assert len(answer.why) <= TEXT_MAX and not has_control(answer.why)
        rnd = s.rounds[r]
        assert rnd.locked_at is not None or not answer.auto
        assert rnd.opened_at <= answer.at and (rnd.locked_at is None or answer.at <= rnd.locked_at)
    for rnd in s.rounds:
        if rnd.spotlight is not None:  # only an open card's answer, of a team that gave one, after the reveal
            assert s.card_of(rnd).is_open and (rnd.index, rnd.spotlight) in s.answers and rnd.revealed_at is not None
    for (r, tid), score in s.scores.items():
        assert (score.round, score.team_id) == (r, tid)
        assert 0 <= r <= w.round_index and tid in s.teams
        assert s.rounds[r].revealed_at is not None, "a score for a round that was not revealed"
        for d in DIMENSIONS:
            value = getattr(score, d)
            assert type(value) is int and 0 <= value <= MAX_POINTS, (d, value)
        assert type(score.bonus) is int and 0 <= score.bonus <= 2
        assert type(score.flag) is bool
    for pid, commitment in s.commitments.items():
        assert commitment.player_id == pid and pid in s.players
        assert w.phase is Phase.FINISHED
        assert 0 < len(commitment.text) <= TEXT_MAX and not has_control(commitment.text)
        assert commitment.approved in (None, True, False)


# --- the state machine -------------------------------------------------------------------------------------------

SETUP = st.fixed_dictionaries(
    {
        "team_size": st.sampled_from([1, 2, 3, 4]),
        "teams_open": st.sampled_from([True, True, True, False]),
        "timer": st.sampled_from([0, 60]),
        "cards": st.integers(1, 3),
        "open_card": st.sampled_from([False, True]),  # an open card first: teams write their own answer
        "teams": st.sampled_from([[], ["Red"], ["Red", "Blue"]]),
        "phones": st.integers(3, 5),
        "language": st.sampled_from(["en", "nl"]),
        "warm_up": st.sampled_from([True, True, True, False]),
    }
)
STEP_KINDS = ["progress"] * 9 + ["usurp"] * 3 + ["stray"] * 2 + ["plausible"] * 3 + ["garbage"] * 3
STEP_KINDS += ["tick", "reconnect"]
MOVES = [
    "join",
    "team_up",
    "add_team",
    "rename",
    "rename_player",
    "move",
    "remove",
    "allow_back",
    "captain",
    "deal",
    "pick",
    "lock_in",
    "lock_round",
    "timer",
    "expire",
    "reveal",
    "spotlight",
    "score",
    "publish",
    "end",
    "board",
    "team_size",
    "commit",
    "review",
    "join_address",
    "devices",
    "revoke",
    "sync",
]
MAX_PHONES = 8
# join addresses a facilitator might send: the machine's own, the public one, and what must never be accepted
JOIN_ADDRESSES = ["http://192.168.1.20:5000", "http://aandacht.test", "javascript:alert(1)", "", "http://evil.example"]


class NothingToDo(Exception):
    """A move that nobody can make in this state (no guest to join, no captain to lock in)."""


class WorkshopFuzz(RuleBasedStateMachine):
    """One workshop per example; every step sends one event (or moves the clock) and checks everything."""

    app = None  # set by the test: one app for the whole run
    clock = None

    def __init__(self):
        super().__init__()
        self.svc = self.app.extensions["aandacht"]
        self.pages: list[Page] = []
        self.phones: list[Page] = []
        self.state: State | None = None
        self.impostor: Page | None = None  # while set, sends the next progress move in place of its sender
        self.stray = False

    # --- plumbing -------------------------------------------------------------------------------------------

    def load(self) -> State:
        """The state from the database through a fresh store; it must equal the service's cached state."""
        loaded = Store(self.svc.store.engine).load(self.workshop_id)
        assert loaded is not None
        fresh, _version = loaded
        cached = self.svc.state(self.workshop_id)
        assert cached == fresh, "the service's cached state differs from the database"
        check_invariants(fresh)
        return fresh

    def kind_of(self, page: Page, state: State) -> str:
        if page.role != "player":
            return page.role
        player = state.players.get(page.player_id or "")
        if player is None:
            return "phone_guest"
        return "phone_team" if player.team_id else "phone_no_team"

    def connect(self, role: str, auth, label: str, player_id=None, token=None) -> Page | None:
        """Connect a page and check what it receives; None (and no exception) when it is refused."""
        client = socketio.test_client(self.app, auth=auth)
        if not client.is_connected():
            return None
        page = Page(role, client, player_id, token, label)
        self.pages.append(page)
        if role == "player":
            self.phones.append(page)
        self.check_received(self.state, self.state, must_update=(page,))
        return page

    def drop(self, page: Page) -> None:
        page.client.disconnect()
        self.pages.remove(page)
        if page in self.phones:
            self.phones.remove(page)

    def renewed(self, sender: Page, answer: dict) -> None:
        """The links were renewed by ``sender``: every other console and screen was told and closed; the screen
        opens the new link (and the console reconnects by it from now on)."""
        for page in [p for p in self.pages if p.role in ("facilitator", "screen") and p is not sender]:
            assert not page.client.is_connected(), (page, "kept its old link's socket")
            assert [m["name"] for m in page.client.queue] == ["links_replaced"], (page, page.client.queue)
            self.pages.remove(page)
        assert sender.client.is_connected()
        self.facilitator_key = answer["console_url"].rsplit("/f/", 1)[1]
        assert answer["screen_url"] == f"/s/{screen_key_from(self.facilitator_key)}", answer
        self.screen = self.connect("screen", {"role": "screen", "key": screen_key_from(self.facilitator_key)}, "screen")
        assert self.screen is not None

    def teardown(self):
        for page in list(self.pages):
            self.drop(page)

    def send(self, page: Page, event: str, *args):
        """Send one event, then check the acknowledgement, the stored state and what every page received."""
        if self.impostor is not None:
            page, self.impostor = self.impostor, None
        before = self.state
        kind = self.kind_of(page, before)
        COVERAGE[("sender", kind)] += 1
        COVERAGE[("event", event)] += 1
        COVERAGE[("phase", before.phase.value)] += 1
        COVERAGE["events"] += 1
        answer = page.client.emit(event, *args, callback=True)
        known = event in KNOWN_EVENTS
        if known:
            check_ack(event, answer)
        else:
            # no command handler, so no acknowledgement (an ignored "connect"/"disconnect" acks with nothing)
            assert answer is None or (event in ("connect", "disconnect") and answer == []), (event, answer)
        ok = bool(known and answer["ok"])
        COVERAGE[("ok" if ok else "refused", event)] += 1
        if ok and event == "join_workshop":
            page.player_id, page.token = answer["player"]["id"], answer["token"]
        if ok and event in ("revoke_links", "link_devices"):  # the console's alone
            assert page.role == "facilitator", (page, event, answer)
        if ok and event == "revoke_links":
            self.renewed(page, answer)
        after = self.load()
        if known and not ok:
            assert after == before, ("a refused command changed the state", event, answer)
        self.check_transition(before, after)
        self.check_authority(page, kind, event, answer if ok else None, before, after)
        self.check_received(before, after)
        self.state = after
        return answer

    # --- the checks that compare before and after -------------------------------------------------------

    def check_transition(self, before: State, after: State) -> None:
        """Phases and rounds only move forward; teams never vanish; a finished workshop only takes commitments."""
        b, a = before.workshop, after.workshop
        assert a.phase is b.phase or (b.phase, a.phase) in FORWARD, (b.phase, a.phase)
        assert a.round_index in (b.round_index, b.round_index + 1)
        assert a.cards == b.cards and a.code == b.code
        assert replace(a.settings, team_size=b.settings.team_size) == b.settings, "a setting besides the size changed"
        n = len(before.rounds)
        assert after.rounds[: max(n - 1, 0)] == before.rounds[: max(n - 1, 0)], "a finished round changed"
        assert set(before.teams) <= set(after.teams), "a team vanished"
        for key, score in before.scores.items():
            if key[0] < b.round_index:
                assert after.scores.get(key) == score, "a published score of an earlier round changed"
        if b.phase is Phase.FINISHED:
            assert replace(after, commitments=before.commitments) == before, "a finished workshop changed"

    def check_authority(self, page: Page, kind: str, event: str, ok_answer, before: State, after: State) -> None:
        """A participant cannot change what only the facilitator may; the screen and guests change nothing."""
        if page.role == "facilitator":
            return
        if page.role == "screen" or event not in KNOWN_EVENTS or event == "sync":
            assert after == before, (kind, event)
            return
        if kind == "phone_guest" and event != "join_workshop":
            assert after == before, (kind, event)
            return
        b, a = before.workshop, after.workshop
        me = page.player_id
        lock_in_locked = (
            event == "lock_in"
            and ok_answer is not None
            and b.phase is Phase.COLLECTING
            and a.phase is Phase.LOCKED
            and after.current_round.locked_by == "teams"
        )
        if not lock_in_locked:
            assert a.phase is b.phase, (kind, event, b.phase, a.phase)
            assert after.rounds == before.rounds, (kind, event)
        assert a.round_index == b.round_index and len(after.rounds) == len(before.rounds)
        assert after.rounds[:-1] == before.rounds[:-1]
        assert a.leaderboard_visible == b.leaderboard_visible
        assert after.scores == before.scores, (kind, event)
        assert after.removed == before.removed, (kind, event, "removed or allowed back a participant")
        for tid, team in before.teams.items():
            assert after.teams[tid].name == team.name, (kind, event, "renamed a team")
        new_teams = set(after.teams) - set(before.teams)
        if new_teams:
            assert event == "create_team" and new_teams == {ok_answer["team_id"]}, (kind, event, new_teams)
            assert after.players[me].team_id == ok_answer["team_id"]
        new_players = set(after.players) - set(before.players)
        assert set(before.players) <= set(after.players), (kind, event, "removed a player")
        if new_players:
            assert event == "join_workshop" and new_players == {ok_answer["player"]["id"]} == {me}
        for pid, player in before.players.items():
            if pid != me:
                assert after.players[pid] == player, (kind, event, "changed another player")
        assert a.settings == b.settings, (kind, event, "changed a setting")
        moved_to = after.players[me].team_id if me in after.players else None
        if moved_to is not None and moved_to != my_team_before(before, me) and moved_to in before.teams:
            # a participant joining by themselves respects the team size (only the facilitator's move does not)
            assert len(before.members(moved_to)) < b.settings.team_size, (kind, event, "joined a full team")
        for key, pick in after.picks.items():
            if key[1] != me:
                assert before.picks.get(key) == pick, (kind, event, "changed another player's pick")
        assert {k for k in before.picks if k[1] != me} <= set(after.picks)
        my_team = before.players[me].team_id if me in before.players else None
        for key, answer in after.answers.items():
            if before.answers.get(key) == answer:
                continue
            assert key not in before.answers, (kind, event, "changed a locked answer")
            assert (event == "lock_in" and key[1] == my_team and not answer.auto) or (lock_in_locked and answer.auto)
            if not answer.auto:  # only the team's captain locks in
                assert answer.player_id == me == before.captain(my_team).id, (kind, event, "not the captain")
        assert set(before.answers) <= set(after.answers)
        for pid in set(before.commitments) | set(after.commitments):
            if pid != me:
                assert before.commitments.get(pid) == after.commitments.get(pid), (kind, event)
        if me in after.commitments and before.commitments.get(me) != after.commitments[me]:
            assert event == "leave_commitment" and after.commitments[me].approved is None

    # --- what the pages received --------------------------------------------------------------------------

    def expected_view(self, page: Page, state: State, views) -> dict:
        if page.role == "facilitator":
            return views.facilitator
        if page.role == "screen":
            return views.screen
        player = state.players.get(page.player_id or "")
        if player is not None and player.team_id is not None:
            return views.teams[player.team_id]
        return views.guests

    def check_received(self, before: State, after: State, must_update=()) -> None:
        """Every page got only its own view of the state as it is now, without secrets before the reveal, and
        every page holds its current view: a page whose view did not change may be sent nothing."""
        views = build_views(after, self.clock.now)
        for page in self.pages:
            messages = page.client.get_received()
            states = [m["args"][0] for m in messages if m["name"] == "game_state"]
            if page in must_update:
                assert states, (page, "received no game_state on connecting")
            expected = comparable(self.expected_view(page, after, views))
            for view in states:
                assert comparable(view) == expected, (page, "received a view that is not its own, or is out of date")
                self.check_secrets(page, view, after)
            if states:
                page.last = comparable(states[-1])
            assert page.last == expected, (page, "does not hold its current view")
            for m in messages:
                payload = m["args"][0] if m["args"] else None
                if m["name"] == "player_info":
                    assert page.role == "player"
                    assert payload == json.loads(json.dumps(player_info(after, page.player_id))), (page, payload)
                elif m["name"] == "presence":
                    assert page.role == "facilitator"
                    assert isinstance(payload["online"], list) and all(isinstance(x, str) for x in payload["online"])
                elif m["name"] == "join_link":  # on connect, or a new join address; AANDACHT_PUBLIC_URL wins
                    assert page.role in ("facilitator", "screen"), (page, m["name"])
                    assert payload["join_url"] == f"http://aandacht.test/j/{after.workshop.code}", payload
                else:
                    assert m["name"] == "game_state", (page, m["name"])

    def check_secrets(self, page: Page, view: dict, state: State) -> None:
        if page.role == "facilitator":
            return
        phase = view["workshop"]["phase"]
        if phase in PRE_REVEAL:
            assert not leaks(view), (page, phase, leaks(view))
            if view["role"] in ("screen", "guest"):
                assert not view.get("picks") and not view.get("answer"), (page, "sees picks or answers")
        if view["role"] == "team":
            team_id = view["team"]["id"]
            for pid in [*view["picks"], *view["drafts"]]:
                pick = state.picks.get((state.workshop.round_index, pid))
                assert pick is not None and pick.team_id == team_id, (page, "sees another team's pick")
            answer = state.answers.get((state.workshop.round_index, team_id))
            own = None if answer is None else {
                "response_id": answer.response_id, "text": answer.text, "why": answer.why, "auto": answer.auto
            }
            assert view["answer"] == own, (page, "sees an answer that is not its team's")

    # --- setting up ---------------------------------------------------------------------------------------

    @initialize(setup=SETUP)
    def open_workshop(self, setup):
        deck = next(iter(self.svc.decks.values()))
        created = self.svc.create_workshop(
            "Fuzz",
            deck.id,
            ([c.id for c in deck.cards if c.is_open][:1] if setup["open_card"] else [])
            + [c.id for c in deck.cards if not c.is_open][: setup["cards"]],
            Settings(
                language=setup["language"],
                timer_seconds=setup["timer"],
                team_size=setup["team_size"],
                teams_open=setup["teams_open"],
            ),
            setup["teams"],
        )
        self.workshop_id, self.code = created.workshop.id, created.workshop.code
        self.facilitator_key = created.facilitator_key
        self.state = self.load()
        self.facilitator = self.connect("facilitator", {"role": "facilitator", "key": self.facilitator_key}, "console")
        self.screen = self.connect("screen", {"role": "screen", "key": screen_key_from(self.facilitator_key)}, "screen")
        assert self.facilitator and self.screen
        for _i in range(setup["phones"]):
            self.connect_phone()
        if setup["warm_up"]:  # two players in a team and one without, sent and checked like any other event
            a, b, c = self.phones[:3]
            for phone, name in ((a, "Ann"), (b, "Bob"), (c, "Cas")):
                self.send(phone, "join_workshop", {"name": name})
            if self.state.teams:
                team_id = min(self.state.teams.values(), key=lambda t: t.created_at).id
                self.send(a, "join_team", {"team_id": team_id})
            else:
                self.send(a, "create_team", {"name": "Tea Team"})
            team = self.state.players[a.player_id].team_id
            if team:
                self.send(b, "join_team", {"team_id": team})

    def connect_phone(self, token=None, player_id=None) -> Page:
        n = len(self.phones)
        auth = {"role": "player", "code": self.code, "token": token}
        page = self.connect("player", auth, f"phone{n}", player_id, token)
        assert page is not None
        return page

    # --- helpers over the state ---------------------------------------------------------------------------

    def joined(self, kind=None) -> list[Page]:
        return [p for p in self.phones if self.kind_of(p, self.state) == kind] if kind else [
            p for p in self.phones if self.kind_of(p, self.state) != "phone_guest"
        ]

    def teams(self) -> list:
        return self.state.teams_in_order()

    def players(self) -> list:
        return sorted(self.state.players.values(), key=lambda p: (p.joined_at, p.id))

    def authors(self) -> list[str]:
        """Who left a commitment, oldest first (ids are random: never order by them, or replays differ)."""
        return [x.player_id for x in sorted(self.state.commitments.values(), key=lambda x: (x.at, x.player_id))]

    def round_now(self) -> int:
        return self.state.workshop.round_index

    def response_ids(self) -> list[str]:
        rnd = self.state.current_round
        return [r.id for r in self.state.card_of(rnd).responses] if rnd else ["a", "b"]

    def open_card(self) -> bool:
        rnd = self.state.current_round
        return bool(rnd and self.state.card_of(rnd).is_open)

    def captains(self) -> list[Page]:
        s = self.state
        out = []
        for page in self.joined("phone_team"):
            team_id = s.players[page.player_id].team_id
            captain = s.captain(team_id)
            if captain is not None and captain.id == page.player_id and (self.round_now(), team_id) not in s.answers:
                out.append(page)
        return out

    def rooms_with_space(self) -> list:
        size = self.state.workshop.settings.team_size
        return [t for t in self.teams() if len(self.state.members(t.id)) < size]

    # --- the step -----------------------------------------------------------------------------------------

    @rule(data=st.data())
    def step(self, data):
        kind = data.draw(st.sampled_from(STEP_KINDS), label="step")
        getattr(self, f"do_{kind}")(data)

    def do_progress(self, data):
        """The next sensible move for the current phase, mostly the facilitator's."""
        s = self.state
        phase = s.phase
        cards_left = len(s.rounds) < len(s.workshop.cards)
        options: list[tuple[str, int]] = []
        guests, loners = self.joined("phone_guest"), self.joined("phone_no_team")
        if phase in (Phase.LOBBY, Phase.COLLECTING, Phase.REVEALED, Phase.SCORED):
            options += [("join", 3 if guests and len(s.players) < 3 else int(bool(guests)))]
            options += [("team_up", 3 if loners and phase is Phase.LOBBY else int(bool(loners)))]
        if phase is not Phase.FINISHED:
            options += [("board", 1), ("rename", 1 if s.teams else 0), ("rename_player", 1 if s.players else 0)]
            options += [("team_size", 1)]
            options += [("captain", 1 if any(p.team_id for p in s.players.values()) else 0)]
            options += [("allow_back", 3 if s.removed else 0)]  # the facilitator may allow back at any time
        if phase is Phase.LOBBY:
            options += [("add_team", 1), ("move", 1 if s.players else 0), ("deal", 6 if s.active_teams() else 0)]
            options += [("join_address", 1), ("devices", 1), ("revoke", 1)]
        elif phase is Phase.COLLECTING:
            options += [("pick", 6 if self.joined("phone_team") else 0), ("lock_in", 3 if self.captains() else 0)]
            options += [("lock_round", 1), ("timer", 3), ("expire", 1 if s.current_round.deadline else 0)]
            options += [("move", 1), ("remove", 1 if s.players else 0)]
        elif phase is Phase.LOCKED:
            options += [("reveal", 6), ("sync", 1)]
        elif phase is Phase.REVEALED:
            options += [("score", 3), ("publish", 2), ("deal", 2 if cards_left else 0), ("end", 1)]
            options += [("spotlight", 3 if self.open_card() else 0)]
        elif phase is Phase.SCORED:
            options += [("deal", 5 if cards_left else 0), ("end", 2 if cards_left else 5), ("score", 1)]
            options += [("spotlight", 2 if self.open_card() else 0)]
        else:
            options += [("commit", 3 if self.joined() else 0), ("review", 2 if s.commitments else 0)]
            options += [("join", 1 if guests else 0), ("sync", 1)]
        choices = [name for name, weight in options for _ in range(weight)]
        self.move(data, data.draw(st.sampled_from(choices), label="move"))

    def move(self, data, name: str) -> None:
        """Make one move; when it has nobody to make it (no team, no captain, no players) sync instead."""
        try:
            getattr(self, f"p_{name}")(data)
        except NothingToDo:
            self.p_sync(data)

    def do_stray(self, data):
        """Any phase's move in the wrong phase, as if a page had not seen the game move on: a pick after the
        lock, a deal while collecting, a reveal in the lobby, a non-captain locking in, a commitment mid-game."""
        self.stray = True
        try:
            self.move(data, data.draw(st.sampled_from(MOVES), label="stray move"))
        finally:
            self.stray = False

    def do_usurp(self, data):
        """A progress move, valid for the current state, sent by some other page: the screen or a phone dealing,
        revealing or scoring, a team-mate locking in for the captain, a guest picking, the console picking."""
        self.impostor = data.draw(st.sampled_from(self.pages), label="impostor")
        try:
            self.do_progress(data)
        finally:
            self.impostor = None

    # progress moves ------------------------------------------------------------------------------------------

    def choose(self, data, items: list, label: str):
        if not items:
            raise NothingToDo
        return data.draw(st.sampled_from(items), label=label)

    def p_join(self, data):
        phone = self.choose(data, self.joined("phone_guest"), "phone")
        name = data.draw(st.sampled_from(["Ann", "Bob", "Cas", "Dee", "Eva", "Fien"]), label="name")
        self.send(phone, "join_workshop", {"name": name})

    def p_team_up(self, data):
        phone = self.choose(data, self.joined("phone_no_team"), "phone")
        rooms = self.rooms_with_space()
        if rooms and data.draw(st.booleans(), label="join existing"):
            self.send(phone, "join_team", {"team_id": data.draw(st.sampled_from(rooms)).id})
        else:
            self.send(phone, "create_team", {"name": f"Team {data.draw(st.integers(0, 999))}"})

    def p_add_team(self, data):
        self.send(self.facilitator, "add_team", {"name": f"Preset {data.draw(st.integers(0, 999))}"})

    def p_rename(self, data):
        team = self.choose(data, self.teams(), "team")
        name = data.draw(st.one_of(st.builds(lambda n: f"Renamed {n}", st.integers(0, 999)), names_for(self.state)))
        self.send(self.facilitator, "rename_team", {"team_id": team.id, "name": name})

    def p_move(self, data):
        player = self.choose(data, self.players(), "player")
        team = data.draw(st.sampled_from([None, *self.teams()]), label="to team")
        self.send(self.facilitator, "move_player", {"player_id": player.id, "team_id": team.id if team else None})

    def p_remove(self, data):
        player = self.choose(data, self.players(), "player")
        self.send(self.facilitator, "remove_player", {"player_id": player.id})

    def p_rename_player(self, data):
        player = self.choose(data, self.players(), "player")
        name = data.draw(st.one_of(st.builds(lambda n: f"Renamed {n}", st.integers(0, 999)), names_for(self.state)))
        self.send(self.facilitator, "rename_player", {"player_id": player.id, "name": name})

    def p_allow_back(self, data):
        removed = sorted(self.state.removed.values(), key=lambda r: (r.at, r.player_id))
        player = self.choose(data, removed, "removed player")
        self.send(self.facilitator, "allow_back", {"player_id": player.player_id})

    def p_captain(self, data):
        player = self.choose(data, [p for p in self.players() if p.team_id], "player")
        self.send(self.facilitator, "make_captain", {"player_id": player.id})

    def p_deal(self, data):
        self.send(self.facilitator, "deal_card", {"round": len(self.state.rounds)})

    def p_pick(self, data):
        phone = self.choose(data, self.joined("phone_team"), "phone")
        if self.open_card():
            payload = {"round": self.round_now(), "text": data.draw(own_words, label="text")}
        else:
            response = data.draw(st.sampled_from(self.response_ids()), label="response")
            payload = {"round": self.round_now(), "response_id": response}
        if data.draw(st.booleans(), label="with pick_id"):
            payload["pick_id"] = data.draw(pick_ids, label="pick_id")
        self.send(phone, "submit_pick", payload)

    def p_lock_in(self, data):
        phone = self.choose(data, self.joined("phone_team") if self.stray else self.captains(), "captain")
        why = data.draw(st.one_of(st.just(""), st.sampled_from(["Because", "x" * 140, "x" * 141]), texts), label="why")
        if self.open_card():
            text = data.draw(own_words, label="text")
            self.send(phone, "lock_in", {"round": self.round_now(), "text": text, "why": why})
            return
        response = data.draw(st.sampled_from(self.response_ids()), label="response")
        self.send(phone, "lock_in", {"round": self.round_now(), "response_id": response, "why": why})

    def p_lock_round(self, data):
        self.send(self.facilitator, "lock_round", {"round": self.round_now()})

    def p_timer(self, data):
        event = data.draw(st.sampled_from(["start_timer", "extend_timer", "stop_timer"]), label="timer")
        payload = {"round": self.round_now()}
        if event == "start_timer":
            payload["seconds"] = data.draw(st.sampled_from([None, 5, 30, 60, 3600]))
        elif event == "extend_timer":
            payload["seconds"] = data.draw(st.sampled_from([5, 30, 600]))
        self.send(self.facilitator, event, payload)

    def p_expire(self, data):
        rnd = self.state.current_round
        deadline = rnd.deadline if rnd is not None else None
        if deadline is None:
            raise NothingToDo
        self.tick(max(deadline - self.clock.now + data.draw(st.sampled_from([-1, 0.01, 5])), 0))

    def p_reveal(self, data):
        self.send(self.facilitator, "reveal", {"round": self.round_now()})

    def p_spotlight(self, data):
        answered = [t.id for t in self.teams() if (self.round_now(), t.id) in self.state.answers]
        team = data.draw(st.sampled_from([None, *answered]), label="spotlight team")
        self.send(self.facilitator, "spotlight", {"round": self.round_now(), "team_id": team})

    def p_score(self, data):
        team = self.choose(data, self.teams(), "team")
        payload = {"round": self.round_now(), "team_id": team.id}
        payload.update({d: data.draw(st.integers(0, MAX_POINTS), label=d) for d in DIMENSIONS})
        payload.update(flag=data.draw(st.booleans(), label="flag"), bonus=data.draw(st.integers(0, 2), label="bonus"))
        self.send(self.facilitator, "score_team", payload)

    def p_publish(self, data):
        self.send(self.facilitator, "publish_scores", {"round": self.round_now()})

    def p_end(self, data):
        self.send(self.facilitator, "end_workshop", {})

    def p_team_size(self, data):
        size = data.draw(st.sampled_from([0, 1, 2, 3, 4, 6, 50, 51]), label="team size")
        self.send(self.facilitator, "set_team_size", {"team_size": size})

    def p_board(self, data):
        self.send(self.facilitator, "set_leaderboard", {"visible": data.draw(st.booleans(), label="visible")})

    def p_commit(self, data):
        phone = self.choose(data, self.joined(), "phone")
        text = data.draw(st.one_of(st.sampled_from(["Listen first", "x" * 140, "x" * 141]), texts), label="text")
        self.send(phone, "leave_commitment", {"text": text})

    def p_review(self, data):
        player_id = self.choose(data, self.authors(), "author")
        self.send(self.facilitator, "review_commitment", {"player_id": player_id, "approved": data.draw(st.booleans())})

    def p_join_address(self, data):
        # the app has AANDACHT_PUBLIC_URL: nothing is offered, so only "automatic" (null) is accepted
        url = data.draw(st.one_of(st.none(), st.sampled_from(JOIN_ADDRESSES)), label="url")
        self.send(self.facilitator, "set_join_address", {"url": url})

    def p_devices(self, data):
        self.send(self.facilitator, "link_devices", {})

    def p_revoke(self, data):
        self.send(self.facilitator, "revoke_links", {})

    def p_sync(self, data):
        page = data.draw(st.sampled_from(self.pages), label="page")
        self.send(page, "sync", {})

    # plausible and garbage events --------------------------------------------------------------------------

    def field_values(self, data, event: str) -> dict:
        """The event's own fields with values that could be right (or off by one)."""
        s = self.state
        cur = self.round_now()
        rounds = st.sampled_from(sorted({cur - 1, cur, cur + 1, len(s.rounds), 0}))
        team_ids = st.sampled_from([t.id for t in self.teams()] + ["nope", ""])
        removed_ids = [r.player_id for r in sorted(s.removed.values(), key=lambda r: (r.at, r.player_id))]
        player_ids = st.sampled_from([p.id for p in self.players()] + self.authors() + removed_ids + ["nope"])
        responses = st.sampled_from([*self.response_ids(), "z", "A", "", "ab"])
        names = names_for(s)
        spec = {
            "join_workshop": {"name": names},
            "join_team": {"team_id": team_ids},
            "create_team": {"name": names},
            "submit_pick": {"round": rounds, "response_id?": responses, "text?": own_words, "pick_id?": pick_ids},
            "lock_in": {"round": rounds, "response_id?": responses, "text?": own_words, "why?": texts},
            "spotlight": {"round": rounds, "team_id": st.one_of(st.none(), team_ids)},
            "leave_commitment": {"text": texts},
            "add_team": {"name": names},
            "rename_team": {"team_id": team_ids, "name": names},
            "move_player": {"player_id": player_ids, "team_id": st.one_of(st.none(), team_ids)},
            "remove_player": {"player_id": player_ids},
            "rename_player": {"player_id": player_ids, "name": names},
            "allow_back": {"player_id": player_ids},
            "make_captain": {"player_id": player_ids},
            "deal_card": {"round": rounds},
            "start_timer": {"round": rounds, "seconds?": seconds},
            "extend_timer": {"round": rounds, "seconds?": seconds},
            "stop_timer": {"round": rounds},
            "lock_round": {"round": rounds},
            "reveal": {"round": rounds},
            "score_team": {
                "round": rounds,
                "team_id": team_ids,
                **dict.fromkeys(DIMENSIONS, points),
                "flag?": st.booleans(),
                "bonus?": bonus,
            },
            "publish_scores": {"round": rounds},
            "set_leaderboard": {"visible": st.booleans()},
            "set_team_size": {"team_size": st.integers(-1, 52)},
            "end_workshop": {},
            "review_commitment": {"player_id": player_ids, "approved": st.booleans()},
            "set_join_address": {"url": st.one_of(st.none(), st.sampled_from(JOIN_ADDRESSES))},
            "link_devices": {},
            "revoke_links": {},
            "sync": {},
        }.get(event, {"name": names})
        payload = {}
        for field, strategy in spec.items():
            if field.endswith("?"):
                if not data.draw(st.booleans(), label=f"send {field}"):
                    continue
                field = field[:-1]
            payload[field] = data.draw(strategy, label=field)
        return payload

    def emit_payload(self, data, page: Page, event: str, payload) -> None:
        """Send with one payload, or (as some clients do) with none at all."""
        if data.draw(st.integers(0, 9), label="no payload") == 0:
            self.send(page, event)
        else:
            self.send(page, event, payload)

    def do_plausible(self, data):
        page = data.draw(st.sampled_from(self.pages), label="sender")
        event = data.draw(st.sampled_from(KNOWN_EVENTS), label="event")
        payload = self.field_values(data, event)
        mutation = data.draw(st.sampled_from(["none"] * 5 + ["extra", "drop", "garbage"]), label="mutation")
        if mutation == "extra":
            payload[data.draw(keys, label="extra field")] = data.draw(garbage, label="extra value")
        elif mutation == "drop" and payload:
            payload.pop(data.draw(st.sampled_from(sorted(payload)), label="dropped"))
        elif mutation == "garbage" and payload:
            payload[data.draw(st.sampled_from(sorted(payload)), label="field")] = data.draw(garbage, label="value")
        self.emit_payload(data, page, event, payload)

    def do_garbage(self, data):
        page = data.draw(st.sampled_from(self.pages), label="sender")
        event = data.draw(st.one_of(st.sampled_from(KNOWN_EVENTS), st.sampled_from(UNKNOWN_EVENTS)), label="event")
        fields = sorted(EVENTS[event].fields) if event in EVENTS else ["name", "round"]
        payload = data.draw(
            st.one_of(garbage, st.dictionaries(st.sampled_from(fields or ["x"]), garbage, max_size=len(fields) + 1)),
            label="payload",
        )
        self.emit_payload(data, page, event, payload)

    def tick(self, seconds: float) -> None:
        """Move the clock on and let the server's timer lock what is due; only that may change."""
        before = self.state
        self.clock.advance(seconds)
        self.svc.expire_due()
        after = self.load()
        self.check_transition(before, after)
        if after != before:
            assert (before.phase, after.phase) == (Phase.COLLECTING, Phase.LOCKED)
            assert after.current_round.locked_by == "timer"
            assert after.current_round.locked_at >= before.current_round.deadline
            assert after.players == before.players and after.teams == before.teams and after.scores == before.scores
            COVERAGE["timer locked"] += 1
        self.check_received(before, after)
        self.state = after

    def do_tick(self, data):
        self.tick(data.draw(st.sampled_from([0.5, 5, 30, 61, 130, 700, 3700]), label="seconds"))

    def do_reconnect(self, data):
        """A phone reloads (same token, or one the server does not know), a new phone arrives, a bad link is tried."""
        how = data.draw(st.sampled_from(["reload", "reload", "bad_token", "new_phone", "refused", "console"]))
        if how in ("reload", "bad_token") and self.phones:
            phone = data.draw(st.sampled_from(self.phones), label="phone")
            self.drop(phone)
            if how == "reload" and phone.token:
                known = phone.player_id in self.state.players
                self.connect_phone(phone.token, phone.player_id if known else None)
            else:
                token = data.draw(st.one_of(st.none(), st.text(max_size=100)), label="token")
                if token is not None and "\x00" in token:
                    # an auth field no real token looks like is refused outright (validate.check), the page stays out
                    auth = {"role": "player", "code": self.code, "token": token}
                    assert self.connect("player", auth, "refused") is None, token
                    self.check_received(self.state, self.state)
                else:
                    self.connect_phone(token)
        elif how == "new_phone" and len(self.phones) < MAX_PHONES:
            self.connect_phone()
        elif how == "console":
            self.drop(self.facilitator)
            auth = {"role": "facilitator", "key": self.facilitator_key}
            self.facilitator = self.connect("facilitator", auth, "console")
        else:
            # never a wrong room code: that would count towards the per-address guessing limit of the whole run
            auth = data.draw(
                st.sampled_from(
                    [
                        {"role": "facilitator", "key": "wrong"},
                        {"role": "facilitator", "key": self.facilitator_key + "x"},
                        {"role": "screen", "key": self.facilitator_key},
                        {"role": "facilitator", "key": "x" * 101},
                        {"role": "player", "code": self.code, "token": 5},
                        {"role": "player", "code": self.code, "extra": True},
                        {"role": "facilitator"},
                        {"role": "boss"},
                        {"role": ["facilitator"]},
                        "facilitator",
                        [self.facilitator_key],
                        42,
                    ]
                ),
                label="auth",
            )
            assert self.connect("facilitator", auth, "refused") is None, auth
            self.check_received(self.state, self.state)
        assert self.facilitator is not None


def check_ack(event: str, answer) -> None:
    """An acknowledgement is ``{"ok": True, ...}`` or ``{"ok": False, "error": {"code", "message"}}``."""
    assert isinstance(answer, dict), (event, answer)
    assert answer.get("ok") in (True, False), (event, answer)
    if answer["ok"]:
        if event == "join_workshop":
            assert isinstance(answer["token"], str) and len(answer["token"]) >= 32
            assert set(answer["player"]) == {"id", "name", "team_id"} and answer["player"]["team_id"] is None
        if event in ("create_team", "add_team"):
            assert isinstance(answer["team_id"], str) and answer["team_id"]
        return
    assert set(answer) == {"ok", "error"}, (event, answer)
    error = answer["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message"}, (event, answer)
    assert isinstance(error["code"], str) and error["code"], (event, answer)
    assert isinstance(error["message"], str) and error["message"].strip(), (event, answer)
    assert error["code"] != "server_error", (event, "an exception escaped the rules", answer)
    assert error["code"] in DOCUMENTED_CODES, (event, "an error code docs/protocol.md does not name", answer)


# --- the tests ----------------------------------------------------------------------------------------------------

EXAMPLES = 100
STEPS = 50


def test_fuzz_every_event_from_every_sender(app, clock):
    COVERAGE.clear()
    WorkshopFuzz.app, WorkshopFuzz.clock = app, clock
    run_state_machine_as_test(
        WorkshopFuzz,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            # the same examples on every run (for one version of Hypothesis): the coverage asserted below depends on
            # which moves were drawn, and a random run missed an accepted extend_timer about one time in four
            # (2026-12-06, at this commit and before it), which turned CI red for no change in the game
            derandomize=True,
            suppress_health_check=[
                HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
                HealthCheck.large_base_example,
            ],
        ),
    )
    # the run really went everywhere: every phase, every kind of sender, every event, accepted and refused
    missing = [("phase", p.value) for p in Phase if not COVERAGE[("phase", p.value)]]
    missing += [("sender", k) for k in SENDER_KINDS if not COVERAGE[("sender", k)]]
    missing += [("event", e) for e in KNOWN_EVENTS if not COVERAGE[("event", e)]]
    missing += [("ok", e) for e in KNOWN_EVENTS if not COVERAGE[("ok", e)]]
    assert not missing, missing
    assert COVERAGE["timer locked"] and COVERAGE["events"] >= 2000, COVERAGE["events"]


def test_the_fuzz_knows_every_event_of_the_protocol():
    """If docs/protocol.md or the handlers gain an event, the fuzz must send it too."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = doc.split("## Client → server", 1)[1]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M))
    assert documented == set(KNOWN_EVENTS)
    handlers = {"join_workshop", "sync", "set_join_address", "revoke_links", "link_devices"}
    assert set(EVENTS) | handlers == set(KNOWN_EVENTS)


# --- reproductions of the server bugs the fuzzing found -------------------------------------------------------------


class Room:
    """A workshop with a console and connected phones, for the short reproductions below."""

    def __init__(self, app, team_size=4):
        self.app = app
        svc = app.extensions["aandacht"]
        deck = next(iter(svc.decks.values()))
        created = svc.create_workshop(
            "Repro", deck.id, [c.id for c in deck.cards[:2]], Settings(language="en", team_size=team_size), []
        )
        self.svc, self.workshop_id, self.code = svc, created.workshop.id, created.workshop.code
        self.key = created.facilitator_key
        self.facilitator = socketio.test_client(app, auth={"role": "facilitator", "key": self.key})

    def phone(self, name=None):
        phone = socketio.test_client(self.app, auth={"role": "player", "code": self.code, "token": None})
        if name:
            assert phone.emit("join_workshop", {"name": name}, callback=True)["ok"]
        return phone

    def state(self):
        return self.svc.state(self.workshop_id)


def test_regression_invisible_characters_do_not_hide_a_blocked_word(app):
    room = Room(app)
    ann = room.phone("Ann")
    answer = ann.emit("create_team", {"name": "f\u200buck"}, callback=True)
    stored = [t.name for t in room.state().teams.values()]
    assert answer["ok"] is False and answer["error"]["code"] == "name_refused", (answer, stored)


def test_regression_a_lone_surrogate_in_pick_id_is_refused_as_invalid(app):
    room = Room(app)
    ann = room.phone("Ann")
    assert ann.emit("create_team", {"name": "Red"}, callback=True)["ok"]
    assert room.facilitator.emit("deal_card", {"round": 0}, callback=True)["ok"]
    response_id = room.state().workshop.cards[0].responses[0].id
    answer = ann.emit("submit_pick", {"round": 0, "response_id": response_id, "pick_id": "\ud800"}, callback=True)
    assert answer["ok"] or answer["error"]["code"] == "invalid", answer


def test_regression_an_extra_argument_is_refused_with_an_acknowledgement(app):
    room = Room(app)
    check_ack("sync", room.facilitator.emit("sync", {}, {}, callback=True))


def test_regression_junk_characters_in_auth_refuse_the_connection_cleanly(app):
    room = Room(app)
    for auth in (
        {"role": "player", "code": room.code, "token": "\ud800"},
        {"role": "player", "code": "\ud800"},
        {"role": "facilitator", "key": "a\ud800"},
        {"role": "player", "code": "AB\x00CD"},
    ):
        page = socketio.test_client(app, auth=auth)  # refused cleanly: no exception escapes the handler
        assert not page.is_connected()


def test_regression_a_client_event_named_disconnect_is_ignored(app):
    room = Room(app)
    ann = room.phone("Ann")
    ann.emit("disconnect", None, callback=True)
    answer = ann.emit("create_team", {"name": "Red"}, callback=True)
    assert answer["ok"], answer


def test_regression_a_client_event_named_connect_is_ignored(app):
    room = Room(app)
    ann, bob = room.phone("Ann"), room.phone("Bob")
    red = ann.emit("create_team", {"name": "Red"}, callback=True)["team_id"]
    blue = bob.emit("create_team", {"name": "Blue"}, callback=True)["team_id"]
    ann.emit("connect", None, {"role": "player", "code": room.code, "token": None}, callback=True)
    # the event is ignored: the socket is still Ann, in Red, and hears only Red
    assert ann.emit("join_workshop", {"name": "Ann again"}, callback=True)["error"]["code"] == "already_joined"
    ann.get_received()
    assert room.facilitator.emit("rename_team", {"team_id": blue, "name": "Navy"}, callback=True)["ok"]
    teams_seen = {m["args"][0]["team"]["id"] for m in ann.get_received() if m["name"] == "game_state"}
    assert teams_seen == {red}, "a socket hears its own team only"


def test_regression_a_client_event_named_connect_without_auth_is_ignored(app):
    room = Room(app)
    ann = room.phone("Ann")
    answer = ann.emit("connect", callback=True)
    assert answer in (None, [])  # ignored, and nothing escaped
    assert ann.emit("sync", {}, callback=True)["ok"]


def test_regression_a_nul_in_pick_id_is_refused_on_postgresql(pg_url, clock):
    from game.web import create_app

    app = create_app(
        {"TESTING": True, "DATABASE_URL": pg_url, "ASYNC_MODE": "threading", "SECRET_KEY": "t", "CLOCK": clock}
    )
    try:
        room = Room(app)
        ann = room.phone("Ann")
        assert ann.emit("create_team", {"name": "Red"}, callback=True)["ok"]
        assert room.facilitator.emit("deal_card", {"round": 0}, callback=True)["ok"]
        response_id = room.state().workshop.cards[0].responses[0].id
        answer = ann.emit("submit_pick", {"round": 0, "response_id": response_id, "pick_id": "a\x00b"}, callback=True)
        assert answer["ok"] or answer["error"]["code"] == "invalid", answer
    finally:
        app.extensions["aandacht"].store.engine.dispose()
