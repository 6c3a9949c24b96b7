"""Resilience over the real transport: the real server (``python -m game serve``, eventlet, SQLite) in a
subprocess, driven by python-socketio clients, one client per page (every reconnect is a new client, so a new
``sid``, exactly like a phone that wakes up).

"Aandacht must be the one that never loses a player, a pick or a score, and never lets anyone act where
they don't belong":

1. phones come back (sleep, a long absence, a late join);
2. a SIGKILL of the server loses nothing that was acknowledged, keeps the deadline, and honours a deadline
   that passed while it was down;
3. races are settled once (concurrent picks, double taps, two facilitator devices, lock-in against the
   timer, stale rounds);
4. roles hold (phones cannot run the round or act for another team, wrong keys are refused);
5. the phone page (Chromium at 390x844) keeps a pick made offline and sends it when the network returns,
   even when the tab was killed meanwhile.
6. storage trouble (the server's test-only storage fault, a full disk's error on every commit): the console
   shows a banner while storing fails, and a countdown that ran out meanwhile locks once storing works again.

Two tests pin bugs these tests found and that are fixed: an old pick re-sent late must not undo a newer one
(picks carry an increasing ``seq``), and a pick or lock-in after the deadline is refused even before the timer
task has locked the round.

Every wait is bounded and generous (30 s for an expected message): a slow machine makes these tests slower,
never red. Nothing here asserts on speed.
"""

from __future__ import annotations

import copy
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import socketio

from game.service import screen_key_from

from .conftest import LiveServer, create_live_workshop, release, signed_in_context

pytestmark = [pytest.mark.server]

WAIT = 30.0  # seconds to wait for a message we expect: a bound, not a speed check
CARDS = ["spilled-tea", "crowded-train", "unreachable-insurer", "no-jargon", "call-script", "late-arrival"]
DIMENSIONS = ("attention", "ease", "resolution", "ownership", "proportion")


# --- helpers ----------------------------------------------------------------------------------------------


def create_workshop(base: str, *, timer: int = 600, team_size: int = 4, cards=CARDS, title: str = "Resilience") -> str:
    """Create a workshop over HTTP like the home page's form does; return the facilitator key."""
    return create_live_workshop(base, timeout=WAIT, title=title, card=list(cards), timer_seconds=str(timer),
                                team_size=str(team_size))


def in_order(client: socketio.Client) -> None:
    """Handle a client's messages one by one in the order they arrived.

    python-engineio's client starts a new thread for every message it receives, so two views sent in
    order can be recorded the other way round, and "the newest view" would be a lie. The server sends
    in order over one websocket; this makes the client read them in that order.
    """
    eio = client.eio
    trigger = eio._trigger_event

    def ordered(event, *args, **kwargs):
        if event == "message":
            kwargs["run_async"] = False
        return trigger(event, *args, **kwargs)

    eio._trigger_event = ordered


class Peer:
    """One page (console, screen or phone) as a python-socketio client that records what it receives."""

    def __init__(self, url: str, auth: dict, name: str = "peer", transports=("websocket",), http_session=None):
        self.name = name
        self.auth = auth
        self.cond = threading.Condition()
        self.states: list[dict] = []
        self.infos: list[dict] = []
        self.presence: list[dict] = []
        if http_session is None and auth.get("role") == "facilitator" and auth.get("key"):
            # a console by key: from a browser signed in as the server's facilitator (an administrator), as the
            # console page's own socket carries the device cookie or the sign-in
            import requests

            from .conftest import live_sign_in

            http_session = requests.Session()
            live_sign_in(http_session, url, timeout=WAIT)
        self.client = socketio.Client(reconnection=False, **({"http_session": http_session} if http_session else {}))
        in_order(self.client)
        self.client.on("game_state", lambda view: self._record(self.states, view))
        self.client.on("player_info", lambda info: self._record(self.infos, info))
        self.client.on("presence", lambda p: self._record(self.presence, p))
        try:
            # the sign-in is bound to its browser: the socket's handshake says the same User-Agent
            agent = {"headers": {"User-Agent": http_session.headers["User-Agent"]}} if http_session else {}
            self.client.connect(url, auth=auth, transports=list(transports), wait_timeout=WAIT, **agent)
        except Exception:
            self.close()
            raise

    def _record(self, into: list, payload) -> None:
        with self.cond:
            into.append(payload)
            self.cond.notify_all()

    # waiting ------------------------------------------------------------------------------------------

    def _wait(self, source: list, predicate, what: str):
        deadline = time.monotonic() + WAIT
        with self.cond:
            while True:
                if source and predicate(source[-1]):
                    return source[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    last = source[-1] if source else None
                    raise AssertionError(
                        f"{self.name}: no {what} matching the condition within {WAIT} s; last: {last!r}"
                    )
                self.cond.wait(left)

    def state(self, predicate=lambda v: True) -> dict:
        """Wait until the newest game_state matches; return it."""
        return self._wait(self.states, predicate, "game_state")

    def info(self, predicate=lambda i: True) -> dict:
        """Wait until the newest player_info matches; return it."""
        return self._wait(self.infos, predicate, "player_info")

    def online(self, predicate) -> dict:
        """Wait until the newest presence matches."""
        return self._wait(self.presence, predicate, "presence")

    def fresh_state(self) -> dict:
        """Ask for the whole state again and return it (the newest game_state after the sync's ack)."""
        with self.cond:
            seen = len(self.states)
        assert self.call("sync")["ok"]
        return self._wait(self.states, lambda v: len(self.states) > seen, "game_state after sync")

    # commands -----------------------------------------------------------------------------------------

    def call(self, event: str, payload: dict | None = None) -> dict:
        """Emit and return the acknowledgement."""
        return self.client.call(event, payload if payload is not None else {}, timeout=WAIT)

    def call_unless_gone(self, event: str, payload: dict) -> dict | None:
        """Emit and return the acknowledgement, or None as soon as the connection is gone without one."""
        done, box = threading.Event(), []

        def answered(*args):
            box.append(args[0] if args else None)
            done.set()

        try:
            self.client.emit(event, payload, callback=answered)
        except Exception:  # not connected (any more)
            return None
        give_up = time.monotonic() + WAIT
        while not done.wait(0.05):
            if not self.client.connected or time.monotonic() > give_up:
                return box[0] if done.is_set() else None  # messages are handled in order: an ack comes first
        return box[0]

    def ok(self, event: str, payload: dict | None = None) -> dict:
        """Emit and assert the command was accepted."""
        answer = self.call(event, payload)
        assert answer.get("ok"), (self.name, event, payload, answer)
        return answer

    def refused(self, event: str, payload: dict | None = None) -> str:
        """Emit and return the refusal's error code (fails if it was accepted)."""
        answer = self.call(event, payload)
        assert answer.get("ok") is False, (self.name, event, payload, answer)
        assert answer["error"]["message"]
        return answer["error"]["code"]

    def vanish(self) -> None:
        """Go away without saying goodbye, like a phone that falls asleep: the transport is just dropped."""
        try:
            self.client.eio.disconnect(abort=True)
        finally:
            self.close()

    def close(self) -> None:
        release(self.client)


class Game:
    """A workshop on a live server: the facilitator's console and any number of phones."""

    def __init__(self, server: LiveServer, *, timer: int = 600, team_size: int = 4, cards=CARDS):
        self.server = server
        self.key = create_workshop(server.url, timer=timer, team_size=team_size, cards=cards)
        self.peers: list[Peer] = []
        self.facilitator = self.console()
        self.code = self.facilitator.state()["workshop"]["code"]
        self.tokens: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def connect(self, auth: dict, name: str) -> Peer:
        peer = Peer(self.server.url, auth, name)
        self.peers.append(peer)
        return peer

    def console(self, name: str = "console") -> Peer:
        return self.connect({"role": "facilitator", "key": self.key}, name)

    def screen(self) -> Peer:
        return self.connect({"role": "screen", "key": screen_key_from(self.key)}, "screen")

    def phone(self, name: str, token: str | None = None) -> Peer:
        """Connect a phone; without a token it joins with ``name`` and its token is kept."""
        peer = self.connect({"role": "player", "code": self.code, "token": token}, name)
        if token is None:
            peer.info()
            answer = peer.ok("join_workshop", {"name": name})
            self.tokens[name] = answer["token"]
            self.ids[name] = answer["player"]["id"]
        return peer

    def team(self, team: str, *names: str) -> tuple[list[Peer], str]:
        """Phones for ``names``: the first creates ``team``, the others join it; returns them and the team id."""
        phones = [self.phone(name) for name in names]
        team_id = phones[0].ok("create_team", {"name": team})["team_id"]
        for phone in phones[1:]:
            phone.ok("join_team", {"team_id": team_id})
        return phones, team_id

    def back(self, name: str) -> Peer:
        """The phone of ``name`` connects again with its token (a new socket, a new sid)."""
        return self.phone(name, token=self.tokens[name])

    def reconnect_all(self) -> None:
        """After a restart: the console connects again."""
        self.facilitator = self.console("console again")

    def close(self) -> None:
        for peer in self.peers:
            peer.close()


def team_of(view: dict, name: str) -> dict:
    """A team in the facilitator's view by name."""
    return next(t for t in view["teams"] if t["name"] == name)


def responses(view: dict) -> list[str]:
    """The response ids of the current card in a team's (shuffled) order."""
    return [r["id"] for r in view["card"]["responses"]]


def stable(view: dict) -> dict:
    """A view without what changes with the clock alone (the server's now and the seconds left)."""
    view = copy.deepcopy(view)
    view["timer"].pop("server_now", None)
    view["timer"].pop("remaining", None)
    return view


def in_round(index: int, phase: str = "collecting"):
    return lambda v: v["workshop"]["round"] == index and v["workshop"]["phase"] == phase


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture
def own_server(tmp_path):
    """A server of this test's own, which the test may kill and start again; always stopped afterwards."""
    server = LiveServer(tmp_path)
    try:
        yield server
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.kill()
        if server.proc is not None:
            server.proc.wait(30)


@pytest.fixture
def game(live_server):
    """A fresh workshop on the module's live server (no timer pressure: 10 minutes)."""
    g = Game(live_server)
    yield g
    g.close()


def stored_pick_id(server: LiveServer, player_id: str, round_index: int) -> str:
    """The pick id the database holds for a player's pick (read straight from the SQLite file)."""
    import sqlite3
    from contextlib import closing

    path = server.env["DATABASE_URL"].split("///", 1)[1]
    with closing(sqlite3.connect(path)) as db:
        row = db.execute(
            "SELECT client_id FROM picks WHERE player_id = ? AND round = ?", (player_id, round_index)
        ).fetchone()
    assert row is not None, "the pick is not in the database"
    return row[0]


def kill(server: LiveServer) -> None:
    """SIGKILL: like a crash, the process gets no chance to clean up or finish anything."""
    server.proc.kill()
    server.proc.wait(30)


# --- 1. phones come back -----------------------------------------------------------------------------------


def test_a_sleeping_phone_comes_back_as_the_same_player_with_the_round_as_it_is_now(game):
    f = game.facilitator
    (ann, bob), red = game.team("Red", "Ann", "Bob")
    f.ok("deal_card", {"round": 0})
    ids = responses(ann.state(in_round(0)))
    ann.ok("submit_pick", {"round": 0, "response_id": ids[0], "pick_id": "ann-1"})
    before = team_of(f.state(lambda v: team_of(v, "Red")["picks"]), "Red")
    f.online(lambda p: game.ids["Ann"] in p["online"])

    ann.vanish()  # the phone falls asleep: the socket is just gone
    f.online(lambda p: game.ids["Ann"] not in p["online"])  # the console sees it go

    # the round goes on without her
    bob.ok("submit_pick", {"round": 0, "response_id": ids[1], "pick_id": "bob-1"})
    deadline = f.state()["timer"]["deadline"]
    f.ok("extend_timer", {"round": 0, "seconds": 60})
    extended = f.state(lambda v: v["timer"]["deadline"] != deadline)["timer"]["deadline"]

    # she wakes up: a new socket with the same token
    again = game.back("Ann")
    info = again.info()["player"]
    assert info == {"id": game.ids["Ann"], "name": "Ann", "team_id": red}
    view = again.state()
    assert view["role"] == "team" and view["team"]["id"] == red
    assert view["workshop"]["round"] == 0 and view["workshop"]["phase"] == "collecting"
    assert view["picks"] == {game.ids["Ann"]: ids[0], game.ids["Bob"]: ids[1]}  # her own pick and her mate's
    assert view["timer"]["deadline"] == extended
    assert responses(view) == ids  # the same shuffled order as before she slept
    f.online(lambda p: game.ids["Ann"] in p["online"])

    # no duplicate: the same two members, and the workshop still has two players
    now = f.fresh_state()
    assert team_of(now, "Red")["members"] == before["members"]
    assert now["players_total"] == 2 and now["unassigned"] == []
    assert again.refused("join_workshop", {"name": "Ann"}) == "already_joined"
    # and she plays on
    again.ok("submit_pick", {"round": 0, "response_id": ids[2], "pick_id": "ann-2"})
    assert team_of(f.state(lambda v: team_of(v, "Red")["picks"].get(game.ids["Ann"]) == ids[2]), "Red")


def test_nothing_on_the_server_expires_a_phone_that_stays_away(game):
    """A phone away "for ten minutes" while the workshop moves on lands in the card being played now.

    Nothing on the server depends on how long a phone was away (no session, no expiry on a player):
    the console plays a whole round and deals the next card meanwhile, then the phone comes back."""
    f = game.facilitator
    ann = game.phone("Ann")
    red = ann.ok("create_team", {"name": "Red"})["team_id"]
    cas = game.phone("Cas")
    cas.ok("create_team", {"name": "Blue"})
    f.ok("deal_card", {"round": 0})
    ids = responses(ann.state(in_round(0)))
    ann.ok("submit_pick", {"round": 0, "response_id": ids[0], "pick_id": "a"})
    ann.vanish()

    cas_ids = responses(cas.state(in_round(0)))
    cas.ok("lock_in", {"round": 0, "response_id": cas_ids[0], "why": "quick"})
    f.ok("lock_round", {"round": 0})
    f.ok("reveal", {"round": 0})
    f.ok("publish_scores", {"round": 0})
    f.ok("deal_card", {"round": 1})
    f.state(in_round(1))

    again = game.back("Ann")
    assert again.info()["player"] == {"id": game.ids["Ann"], "name": "Ann", "team_id": red}
    view = again.state()
    assert view["workshop"]["round"] == 1 and view["workshop"]["phase"] == "collecting"
    assert view["card"]["id"] == "crowded-train" and view["picks"] == {} and view["answer"] is None
    assert view["team"]["members"][0]["id"] == game.ids["Ann"] and view["team"]["members"][0]["captain"]
    # her round-0 pick was locked in for her team by the facilitator
    assert again.refused("submit_pick", {"round": 0, "response_id": ids[1]}) == "stale"
    new_ids = responses(again.state(in_round(1)))
    again.ok("lock_in", {"round": 1, "response_id": new_ids[0], "why": "back in time"})
    fac = f.state(lambda v: team_of(v, "Red")["answer"] is not None)
    assert team_of(fac, "Red")["answer"] == {
        "response_id": new_ids[0],
        "text": "",
        "why": "back in time",
        "auto": False,
    }
    assert fac["players_total"] == 2


def test_a_late_joiner_joins_a_team_and_picks_in_the_running_round(game):
    f = game.facilitator
    ann = game.phone("Ann")
    red = ann.ok("create_team", {"name": "Red"})["team_id"]
    f.ok("deal_card", {"round": 0})
    ids = responses(ann.state(in_round(0)))
    ann.ok("submit_pick", {"round": 0, "response_id": ids[0], "pick_id": "a"})

    dee = game.phone("Dee")  # the round is running when she arrives
    guest = dee.state()
    assert guest["role"] == "guest" and guest["workshop"]["phase"] == "collecting"
    assert [t["id"] for t in guest["teams"]] == [red]
    dee.ok("join_team", {"team_id": red})
    assert dee.info(lambda i: i["player"]["team_id"] == red)
    view = dee.state(lambda v: v["role"] == "team")
    assert view["workshop"]["round"] == 0 and responses(view) == ids
    assert view["picks"] == {game.ids["Ann"]: ids[0]}  # she sees her team's picks so far
    dee.ok("submit_pick", {"round": 0, "response_id": ids[3], "pick_id": "d"})
    fac = f.state(lambda v: game.ids["Dee"] in team_of(v, "Red")["picks"])
    assert team_of(fac, "Red")["picks"] == {game.ids["Ann"]: ids[0], game.ids["Dee"]: ids[3]}
    assert [m["id"] for m in team_of(fac, "Red")["members"]] == [game.ids["Ann"], game.ids["Dee"]]
    assert ann.state(lambda v: len(v["picks"]) == 2)["picks"][game.ids["Dee"]] == ids[3]


# --- 2. restarts lose nothing ----------------------------------------------------------------------------


def test_a_killed_server_comes_back_with_every_acknowledged_pick_lock_and_score(own_server):
    game = Game(own_server, timer=600)
    try:
        f = game.facilitator
        ann = game.phone("Ann")
        red = ann.ok("create_team", {"name": "Red"})["team_id"]
        bob = game.phone("Bob")
        bob.ok("join_team", {"team_id": red})
        cas = game.phone("Cas")
        blue = cas.ok("create_team", {"name": "Blue"})["team_id"]

        # round 0 to published scores
        f.ok("deal_card", {"round": 0})
        red_ids, blue_ids = responses(ann.state(in_round(0))), responses(cas.state(in_round(0)))
        ann.ok("lock_in", {"round": 0, "response_id": red_ids[0], "why": "first"})
        cas.ok("lock_in", {"round": 0, "response_id": blue_ids[1], "why": ""})
        f.state(in_round(0, "locked"))
        f.ok("reveal", {"round": 0})
        drafted = f.state(in_round(0, "revealed"))
        f.ok("score_team", {"round": 0, "team_id": red, **dict.fromkeys(DIMENSIONS, 2), "flag": False, "bonus": 2})
        f.ok("publish_scores", {"round": 0})
        scored = f.state(in_round(0, "scored"))
        assert next(r for r in scored["leaderboard"] if r["team_id"] == red)["points"] == 5 * 2 + 2
        blue_points = team_of(drafted, "Blue")["score"]["total"]  # drafted from the key, published as is
        assert next(r for r in scored["leaderboard"] if r["team_id"] == blue)["points"] == blue_points

        # round 1 in the middle: picks made, Blue locked in with a why, the timer extended
        f.ok("deal_card", {"round": 1})
        red_ids, blue_ids = responses(ann.state(in_round(1))), responses(cas.state(in_round(1)))
        ann.ok("submit_pick", {"round": 1, "response_id": red_ids[2], "pick_id": "a1"})
        bob.ok("submit_pick", {"round": 1, "response_id": red_ids[3], "pick_id": "b1"})
        cas.ok("lock_in", {"round": 1, "response_id": blue_ids[0], "why": "because they waited"})
        f.ok("extend_timer", {"round": 1, "seconds": 120})
        before = f.fresh_state()
        assert before["workshop"]["phase"] == "collecting" and before["timer"]["deadline"] is not None
        assert team_of(before, "Blue")["answer"]["why"] == "because they waited"
        assert len(team_of(before, "Red")["picks"]) == 2
        assert before["leaderboard"] == scored["leaderboard"]

        # Bob keeps changing his mind while the server dies: no acknowledged pick may be lost
        acked, stop = [], threading.Event()

        def keep_picking():
            n = 0
            while not stop.is_set():
                n += 1
                payload = {"round": 1, "response_id": red_ids[n % 2], "pick_id": f"bob-{n}"}
                answer = bob.call_unless_gone("submit_pick", payload)
                if answer is None:
                    return  # the server is gone
                assert answer == {"ok": True}, answer
                acked.append(n)

        picker = threading.Thread(target=keep_picking)
        picker.start()
        waited = time.monotonic() + WAIT
        while len(acked) < 5 and time.monotonic() < waited:
            time.sleep(0.02)
        kill(own_server)
        stop.set()
        picker.join(WAIT)
        assert len(acked) >= 5, acked
        game.close()
        # the stored pick is the last acknowledged one or one Bob sent after it, never an older one
        stored = stored_pick_id(own_server, game.ids["Bob"], 1)
        assert stored.startswith("bob-") and int(stored[4:]) >= acked[-1], (stored, acked[-1])
        bob_pick = red_ids[int(stored[4:]) % 2]

        own_server.start()  # the same database, the same port
        game.reconnect_all()
        after = game.facilitator.state()
        team_of(before, "Red")["picks"][game.ids["Bob"]] = bob_pick
        # everything else is exactly as it was: picks, the lock with its why, the scores, the phase, the deadline
        assert stable(after) == stable(before)
        assert after["timer"]["deadline"] == before["timer"]["deadline"]  # the same absolute time

        # the phones come back as the same players and the round goes on
        ann2 = game.back("Ann")
        assert ann2.info()["player"] == {"id": game.ids["Ann"], "name": "Ann", "team_id": red}
        view = ann2.state()
        assert view["picks"][game.ids["Ann"]] == red_ids[2] and view["workshop"]["round"] == 1
        assert view["timer"]["deadline"] == before["timer"]["deadline"]
        ann2.ok("lock_in", {"round": 1, "response_id": red_ids[2], "why": "after the crash"})
        done = game.facilitator.state(in_round(1, "locked"))
        assert done["workshop"]["locked_by"] == "teams"
        assert team_of(done, "Red")["answer"] == {
            "response_id": red_ids[2],
            "text": "",
            "why": "after the crash",
            "auto": False,
        }
        assert team_of(done, "Blue")["answer"] == {
            "response_id": blue_ids[0],
            "text": "",
            "why": "because they waited",
            "auto": False,
        }
    finally:
        game.close()


def test_a_deadline_that_passes_while_the_server_is_down_is_honoured_after_the_restart(own_server):
    game = Game(own_server, timer=0)  # no timer until the facilitator starts one
    try:
        f = game.facilitator
        ann = game.phone("Ann")
        red = ann.ok("create_team", {"name": "Red"})["team_id"]
        bob = game.phone("Bob")
        bob.ok("join_team", {"team_id": red})
        f.ok("deal_card", {"round": 0})
        ids = responses(ann.state(in_round(0)))
        ann.ok("submit_pick", {"round": 0, "response_id": ids[0], "pick_id": "a"})  # the captain's pick
        bob.ok("submit_pick", {"round": 0, "response_id": ids[1], "pick_id": "b"})  # the last pick
        f.ok("start_timer", {"round": 0, "seconds": 5})
        deadline = f.state(lambda v: v["timer"]["deadline"] is not None)["timer"]["deadline"]
        kill(own_server)
        game.close()
        time.sleep(max(0.0, deadline - time.time()) + 1.0)  # the deadline passes while nobody is serving

        own_server.start()
        game.reconnect_all()
        locked = game.facilitator.state(in_round(0, "locked"))  # the round gets locked shortly after start-up
        assert locked["workshop"]["locked_by"] == "timer"
        assert team_of(locked, "Red")["answer"] == {"response_id": ids[0], "text": "", "why": "", "auto": True}
        bob2 = game.back("Bob")
        assert bob2.state(in_round(0, "locked"))["answer"]["response_id"] == ids[0]
    finally:
        game.close()


# --- 3. races are settled once ---------------------------------------------------------------------------


def test_team_mates_picking_at_the_same_moment_each_keep_exactly_their_own_last_pick(game):
    f = game.facilitator
    (ann, bob), _red = game.team("Red", "Ann", "Bob")
    f.ok("deal_card", {"round": 0})
    ids = responses(ann.state(in_round(0)))
    rounds = 25
    barrier = threading.Barrier(2)
    sent = {"Ann": [], "Bob": []}
    answers = {"Ann": [], "Bob": []}

    def member(name: str, peer: Peer, offset: int):
        for n in range(rounds):
            choice = ids[(n + offset) % len(ids)]
            barrier.wait(WAIT)  # both tap at the same moment
            sent[name].append(choice)
            answers[name].append(
                peer.call("submit_pick", {"round": 0, "response_id": choice, "pick_id": f"{name}-{n}"})
            )

    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(member, "Ann", ann, 0), pool.submit(member, "Bob", bob, 1)]
        for job in jobs:
            job.result(timeout=10 * WAIT)
    for name in ("Ann", "Bob"):
        assert all(a == {"ok": True} for a in answers[name]), answers[name]
    final = team_of(f.fresh_state(), "Red")["picks"]
    assert final == {game.ids["Ann"]: sent["Ann"][-1], game.ids["Bob"]: sent["Bob"][-1]}
    assert ann.fresh_state()["picks"] == final == bob.fresh_state()["picks"]

    # a burst of different picks from one phone without waiting in between: exactly one survives
    burst = [ids[n % len(ids)] for n in range(12)]
    with ThreadPoolExecutor(12) as pool:
        acks = list(
            pool.map(
                lambda pair: ann.call(
                    "submit_pick", {"round": 0, "response_id": pair[1], "pick_id": f"burst-{pair[0]}"}
                ),
                enumerate(burst),
            )
        )
    assert all(a["ok"] for a in acks), acks
    final = team_of(f.fresh_state(), "Red")["picks"]
    assert set(final) == {game.ids["Ann"], game.ids["Bob"]} and final[game.ids["Ann"]] in burst


def test_a_double_tap_is_one_pick(game):
    f = game.facilitator
    ann = game.phone("Ann")
    ann.ok("create_team", {"name": "Red"})
    f.ok("deal_card", {"round": 0})
    ids = responses(ann.state(in_round(0)))
    before = len(f.states)
    payload = {"round": 0, "response_id": ids[2], "pick_id": "tap-tap"}
    with ThreadPoolExecutor(5) as pool:
        acks = list(pool.map(lambda _: ann.call("submit_pick", payload), range(5)))
    assert acks == [{"ok": True}] * 5
    view = f.fresh_state()
    assert team_of(view, "Red")["picks"] == {game.ids["Ann"]: ids[2]}
    # the repeats changed nothing: the console got one new state for the pick (plus the one it asked for)
    changed = [v for v in f.states[before:] if team_of(v, "Red")["picks"]]
    assert len(f.states[before:]) == 2 and len(changed) == 2


def test_a_late_repeat_of_an_older_pick_does_not_undo_a_newer_one(game):
    f = game.facilitator
    ann = game.phone("Ann")
    ann.ok("create_team", {"name": "Red"})
    f.ok("deal_card", {"round": 0})
    ids = responses(ann.state(in_round(0)))
    ann.ok("submit_pick", {"round": 0, "response_id": ids[0], "pick_id": "first", "seq": 1})
    ann.ok("submit_pick", {"round": 0, "response_id": ids[1], "pick_id": "second", "seq": 2})
    ann.ok(
        "submit_pick", {"round": 0, "response_id": ids[0], "pick_id": "first", "seq": 1}
    )  # the first, delivered twice
    assert team_of(f.fresh_state(), "Red")["picks"] == {game.ids["Ann"]: ids[1]}


def test_two_facilitator_devices_dealing_at_once_deal_one_card(game):
    laptop, tablet = game.facilitator, game.console("tablet")
    ann = game.phone("Ann")
    ann.ok("create_team", {"name": "Red"})
    cards_left = laptop.state()["workshop"]["cards_left"]
    for index in (0, 1):  # from the lobby, and again from a scored round
        barrier = threading.Barrier(10)

        def press(device: Peer, barrier=barrier, index=index):
            barrier.wait(WAIT)
            return device.call("deal_card", {"round": index})

        with ThreadPoolExecutor(10) as pool:
            acks = list(pool.map(press, [laptop, tablet] * 5))
        accepted = [a for a in acks if a["ok"]]
        assert len(accepted) == 1, acks
        assert {a["error"]["code"] for a in acks if not a["ok"]} <= {"stale", "wrong_phase"}
        for device in (laptop, tablet):
            view = device.fresh_state()
            assert view["workshop"]["round"] == index and view["workshop"]["phase"] == "collecting"
            assert view["workshop"]["cards_left"] == cards_left - index - 1  # exactly one new round
        if index == 0:
            laptop.ok("lock_round", {"round": 0})
            laptop.ok("reveal", {"round": 0})
            laptop.ok("publish_scores", {"round": 0})
    assert ann.state(in_round(1))["card"]["id"] == CARDS[1]


def test_a_lock_in_racing_the_timer_ends_with_exactly_one_answer(live_server):
    """The captain presses lock-in around the moment the countdown runs out, over several rounds: either
    the lock-in wins (ok; the answer is the captain's with the why) or the timer wins (a clear refusal; the
    answer is the automatic one from the captain's pick, not the team's last one). Never both, never none."""
    game = Game(live_server, timer=0, cards=CARDS[:4])
    try:
        f = game.facilitator
        ann = game.phone("Ann")
        red = ann.ok("create_team", {"name": "Red"})["team_id"]
        bob = game.phone("Bob")
        bob.ok("join_team", {"team_id": red})
        cas = game.phone("Cas")
        cas.ok("create_team", {"name": "Blue"})  # never locks in: the timer closes the round for it
        offsets = [-0.15, 0.0, 0.1, 0.3]  # when the captain presses, relative to the deadline
        outcomes = []
        for index, offset in enumerate(offsets):
            f.ok("deal_card", {"round": index})
            ids = responses(ann.state(in_round(index)))
            ann.ok("submit_pick", {"round": index, "response_id": ids[0], "pick_id": f"a{index}"})
            bob.ok("submit_pick", {"round": index, "response_id": ids[1], "pick_id": f"b{index}"})  # the last pick
            f.ok("start_timer", {"round": index, "seconds": 5})
            timer = f.state(lambda v: v["timer"]["deadline"] is not None)["timer"]
            # aim at the deadline on the server's clock, as the phone's countdown does
            target = time.monotonic() + (timer["deadline"] - timer["server_now"]) + offset
            time.sleep(max(0.0, target - time.monotonic()))
            answer = ann.call("lock_in", {"round": index, "response_id": ids[0], "why": f"captain {index}"})
            view = f.state(in_round(index, "locked"))
            red_answer = team_of(view, "Red")["answer"]
            if answer["ok"]:
                assert red_answer == {"response_id": ids[0], "text": "", "why": f"captain {index}", "auto": False}
            else:
                assert answer["error"]["code"] in ("time_up", "wrong_phase", "already_locked"), answer
                assert red_answer == {"response_id": ids[0], "text": "", "why": "", "auto": True}
            assert view["workshop"]["locked_by"] == "timer"
            assert team_of(view, "Blue")["answer"] is None  # no pick, no answer
            assert ann.fresh_state()["answer"] == red_answer  # the phone agrees with the console
            outcomes.append((offset, answer["ok"] or answer["error"]["code"]))
            f.ok("reveal", {"round": index})
            f.ok("publish_scores", {"round": index})
    finally:
        game.close()


def test_a_pick_or_lock_in_after_the_deadline_is_refused_even_before_the_ticker_runs(state):
    """Deterministic, at the rules: the real server accepted lock-ins sent 30-90 ms after the deadline
    (its ticker locks the round up to 250 ms late), so "time is up" depends on the ticker's phase."""
    from game.engine import GameError, apply, commands as c
    from game.engine.state import FACILITATOR, GUEST, Actor, Role

    ann, bob = Actor(Role.PLAYER, "ann"), Actor(Role.PLAYER, "bob")
    s = state
    for actor, command in [
        (GUEST, c.JoinWorkshop("ann", "Ann")),
        (GUEST, c.JoinWorkshop("bob", "Bob")),
        (ann, c.CreateTeam("red", "Red")),
        (bob, c.JoinTeam("red")),
        (FACILITATOR, c.DealCard(0)),
    ]:
        s = apply(s, actor, command, 2000.0)
    deadline = s.current_round.deadline
    s = apply(s, bob, c.SubmitPick(0, "a"), deadline - 1)
    late = deadline + 0.05  # time is up; the ticker has not locked the round yet
    with pytest.raises(GameError):
        apply(s, bob, c.SubmitPick(0, "c"), late)
    with pytest.raises(GameError):
        apply(s, ann, c.LockIn(0, "b", "too late"), late)


def test_a_command_for_the_previous_round_is_stale(game):
    f = game.facilitator
    ann = game.phone("Ann")
    ann.ok("create_team", {"name": "Red"})
    f.ok("deal_card", {"round": 0})
    old = responses(ann.state(in_round(0)))
    f.ok("lock_round", {"round": 0})
    f.ok("reveal", {"round": 0})
    f.ok("deal_card", {"round": 1})  # publishes round 0 and deals the next card
    ann.state(in_round(1))
    seen = len(ann.states)
    assert ann.refused("submit_pick", {"round": 0, "response_id": old[0], "pick_id": "late"}) == "stale"
    assert ann.refused("lock_in", {"round": 0, "response_id": old[0], "why": "late"}) == "stale"
    assert (
        ann.state(lambda v: len(ann.states) > seen)["workshop"]["round"] == 1
    )  # the stale phone is brought up to date
    for event, payload in [
        ("lock_round", {"round": 0}),
        ("reveal", {"round": 0}),
        ("extend_timer", {"round": 0, "seconds": 30}),
        ("deal_card", {"round": 1}),
    ]:
        assert f.refused(event, payload) == "stale", event
    view = f.fresh_state()
    assert team_of(view, "Red")["picks"] == {} and view["workshop"]["phase"] == "collecting"


# --- 4. roles hold over the real transport --------------------------------------------------------------


FACILITATOR_EVENTS = {
    "add_team": {"name": "Hijack"},
    "rename_team": {"team_id": "TEAM", "name": "Hijacked"},
    "move_player": {"player_id": "PLAYER", "team_id": None},
    "remove_player": {"player_id": "PLAYER"},
    "make_captain": {"player_id": "PLAYER"},
    "deal_card": {"round": 1},
    "start_timer": {"round": 0, "seconds": 5},
    "extend_timer": {"round": 0, "seconds": 600},
    "stop_timer": {"round": 0},
    "lock_round": {"round": 0},
    "reveal": {"round": 0},
    "score_team": {"round": 0, "team_id": "TEAM", **dict.fromkeys(DIMENSIONS, 3), "flag": False, "bonus": 2},
    "publish_scores": {"round": 0},
    "set_leaderboard": {"visible": False},
    "end_workshop": {},
}


def test_a_phone_cannot_run_the_round(game):
    f = game.facilitator
    ann = game.phone("Ann")
    red = ann.ok("create_team", {"name": "Red"})["team_id"]
    bob = game.phone("Bob")
    bob.ok("create_team", {"name": "Blue"})
    f.ok("deal_card", {"round": 0})
    ann.state(in_round(0))
    before = stable(f.fresh_state())
    screen = game.screen()
    screen.state()
    stranger = game.connect({"role": "player", "code": game.code, "token": None}, "stranger")  # has not joined
    stranger.state()
    # a player in a team, the big screen, a phone without a team, a phone that has not joined
    for peer in (ann, screen, game.phone("Guest"), stranger):
        for event, payload in FACILITATOR_EVENTS.items():
            payload = {k: (red if v == "TEAM" else game.ids["Bob"] if v == "PLAYER" else v) for k, v in payload.items()}
            assert peer.refused(event, payload) == "forbidden", (peer.name, event)
    after = stable(f.fresh_state())
    after["players_total"] -= 1  # the guest phone joined, nothing else changed
    after["unassigned"] = [p for p in after["unassigned"] if p["name"] != "Guest"]
    assert after == before


def test_a_phone_only_ever_touches_its_own_teams_picks(game):
    f = game.facilitator
    ann = game.phone("Ann")
    ann.ok("create_team", {"name": "Red"})["team_id"]
    bob = game.phone("Bob")
    blue = bob.ok("create_team", {"name": "Blue"})["team_id"]
    f.ok("deal_card", {"round": 0})
    ids = responses(ann.state(in_round(0)))
    bob.ok("submit_pick", {"round": 0, "response_id": ids[0], "pick_id": "b"})
    # no payload can name another team or player: extra fields are refused outright
    for extra in ({"team_id": blue}, {"player_id": game.ids["Bob"]}):
        assert ann.refused("submit_pick", {"round": 0, "response_id": ids[1], "pick_id": "x", **extra}) == "invalid"
        assert ann.refused("lock_in", {"round": 0, "response_id": ids[1], "why": "", **extra}) == "invalid"
    assert ann.refused("join_team", {"team_id": blue}) == "team_fixed"  # no switching sides mid-game
    # what she can do lands in her own team only
    ann.ok("submit_pick", {"round": 0, "response_id": ids[1], "pick_id": "a"})
    ann.ok("lock_in", {"round": 0, "response_id": ids[1], "why": "ours"})
    view = f.fresh_state()
    assert team_of(view, "Red")["picks"] == {game.ids["Ann"]: ids[1]}
    assert team_of(view, "Red")["answer"]["why"] == "ours"
    assert team_of(view, "Blue")["picks"] == {game.ids["Bob"]: ids[0]} and team_of(view, "Blue")["answer"] is None
    blue_view = bob.fresh_state()
    assert blue_view["picks"] == {game.ids["Bob"]: ids[0]} and blue_view["answer"] is None
    assert game.ids["Ann"] not in repr(blue_view) and "ours" not in repr(blue_view)  # nothing of Red's pick or why
    # a token only opens its own workshop
    other = Game(game.server)
    try:
        stranger = other.phone("Ann", token=game.tokens["Ann"])
        assert stranger.info() == {"player": None} and stranger.state()["role"] == "guest"
    finally:
        other.close()


def test_a_moved_or_removed_player_acts_only_where_they_are_now(game):
    f = game.facilitator
    (ann, bob), _red = game.team("Red", "Ann", "Bob")
    cas = game.phone("Cas")
    blue = cas.ok("create_team", {"name": "Blue"})["team_id"]
    f.ok("deal_card", {"round": 0})
    ids = responses(bob.state(in_round(0)))
    bob.ok("submit_pick", {"round": 0, "response_id": ids[0], "pick_id": "b1"})

    # moved: the open socket follows him to Blue at once, and his next pick is Blue's
    f.ok("move_player", {"player_id": game.ids["Bob"], "team_id": blue})
    assert bob.info(lambda i: i["player"]["team_id"] == blue)["player"]["id"] == game.ids["Bob"]
    assert bob.state(lambda v: v["role"] == "team" and v["team"]["id"] == blue)["picks"] == {}
    bob.ok("submit_pick", {"round": 0, "response_id": ids[1], "pick_id": "b2"})
    fac = f.state(lambda v: team_of(v, "Blue")["picks"].get(game.ids["Bob"]) == ids[1])
    assert [m["id"] for m in team_of(fac, "Blue")["members"]] == [game.ids["Cas"], game.ids["Bob"]]
    assert cas.state(lambda v: game.ids["Bob"] in v["picks"])["picks"] == {game.ids["Bob"]: ids[1]}
    assert game.ids["Bob"] not in ann.fresh_state()["picks"]  # Red sees nothing of his new pick
    assert bob.refused("lock_in", {"round": 0, "response_id": ids[1], "why": ""}) == "not_captain"  # Cas is

    # removed: the open socket can do nothing more, and the token no longer opens the workshop
    f.ok("remove_player", {"player_id": game.ids["Bob"]})
    assert bob.info(lambda i: i["player"] is None)
    assert bob.state(lambda v: v["role"] == "guest")
    assert bob.refused("submit_pick", {"round": 0, "response_id": ids[2], "pick_id": "b3"}) == "not_joined"
    assert bob.refused("join_team", {"team_id": blue}) == "not_joined"
    back = game.back("Bob")
    assert back.info() == {"player": None} and back.state()["role"] == "guest"
    view = f.fresh_state()
    assert view["players_total"] == 2 and team_of(view, "Blue")["picks"] == {}
    assert all(game.ids["Bob"] not in team_of(view, t)["picks"] for t in ("Red", "Blue"))


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param("wrong", id="wrong facilitator key"),
        pytest.param("screen", id="screen key as facilitator"),
        pytest.param("facilitator-as-screen", id="facilitator key as screen"),
        pytest.param("other", id="another workshop's key, tampered"),
    ],
)
def test_a_socket_with_the_wrong_key_is_refused(live_server, auth):
    key = create_workshop(live_server.url)
    payload = {
        "wrong": {"role": "facilitator", "key": "not-the-key"},
        "screen": {"role": "facilitator", "key": screen_key_from(key)},
        "facilitator-as-screen": {"role": "screen", "key": key},
        "other": {"role": "facilitator", "key": key[:-1] + ("A" if key[-1] != "A" else "B")},
    }[auth]
    assert refused_connection(live_server.url, payload)["code"] == "bad_key"


def refused_connection(url: str, auth: dict) -> dict:
    """Connect with ``auth``, expecting a refusal; return the refusal's data (what the page's connect_error gets)."""
    errors = []
    client = socketio.Client(reconnection=False)
    in_order(client)
    client.on("connect_error", errors.append)
    got_in = []
    client.on("game_state", got_in.append)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT)
    finally:
        release(client)
    assert got_in == [], "a refused socket was sent a view"
    assert len(errors) == 1 and isinstance(errors[0], dict), errors
    assert errors[0]["message"]
    return errors[0]["data"]  # the browser client's err.data


# --- the phone page: a pick made offline is not lost --------------------------------------------------


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.mark.browser
def test_a_pick_made_offline_arrives_even_if_the_tab_dies_before_the_network_returns(live_server, browser):
    game = Game(live_server)
    context = browser.new_context(**PHONE)
    errors: list[str] = []
    try:
        f = game.facilitator
        page = context.new_page()
        page.set_default_timeout(WAIT * 1000)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live_server.url}/j/{game.code}")
        # Chromium counts a machine whose only network interface is loopback (a bare network namespace) as offline
        # from the start; going offline then changes nothing the server could see
        assert page.evaluate("navigator.onLine"), (
            "Chromium sees no network here (only loopback is up): this test needs one other interface up, e.g. in a "
            "namespace: ip link add v0 type veth peer name v1; ip addr add 10.99.0.1/24 dev v0; ip link set v0 up"
        )
        page.fill("#name-input", "Ann")
        page.click("#join-btn")
        page.fill("#new-team-name", "Phones")
        page.click("#create-team-btn")
        page.wait_for_selector("#team-lobby")
        ann = team_of(f.state(lambda v: v["teams"] and team_of(v, "Phones")["members"]), "Phones")["members"][0]["id"]
        f.online(lambda p: ann in p["online"])
        f.ok("deal_card", {"round": 0})
        page.wait_for_selector("body[data-phase='collecting'] .response-btn")
        ids = page.eval_on_selector_all(".response-btn", "bs => bs.map(b => b.dataset.responseId)")

        # 1. offline (the server sees the phone go), a tap, back online: the pick arrives
        context.set_offline(True)
        f.online(lambda p: ann not in p["online"])
        page.click(f".response-btn[data-response-id='{ids[1]}']")
        page.wait_for_selector(f".response-btn.is-pending[data-response-id='{ids[1]}'][aria-pressed='true']")
        assert team_of(f.fresh_state(), "Phones")["picks"] == {}  # nothing got out
        context.set_offline(False)
        f.state(lambda v: team_of(v, "Phones")["picks"] == {ann: ids[1]})
        page.wait_for_selector(f".response-btn.is-mine:not(.is-pending)[data-response-id='{ids[1]}']")

        # 2. offline, a tap, and the phone's OS kills the tab before the network returns
        context.set_offline(True)
        f.online(lambda p: ann not in p["online"])
        page.click(f".response-btn[data-response-id='{ids[2]}']")
        page.wait_for_selector(f".response-btn.is-pending[data-response-id='{ids[2]}']")
        page.close()
        context.set_offline(False)
        assert team_of(f.fresh_state(), "Phones")["picks"] == {ann: ids[1]}
        again = context.new_page()  # the player opens the page again: same storage, same token
        again.set_default_timeout(WAIT * 1000)
        again.on("pageerror", lambda e: errors.append(str(e)))
        again.goto(f"{live_server.url}/j/{game.code}")
        f.state(lambda v: team_of(v, "Phones")["picks"] == {ann: ids[2]})  # the kept pick was sent again
        again.wait_for_selector(f".response-btn.is-mine:not(.is-pending)[data-response-id='{ids[2]}']")
        assert again.evaluate(f"localStorage.getItem('aandacht:{game.code}:pick')") is None
        assert team_of(f.fresh_state(), "Phones")["members"] == [{"id": ann, "name": "Ann", "captain": True}]
        assert errors == []
    finally:
        context.close()
        game.close()


def test_every_open_page_reconnects_by_itself_after_the_server_is_killed(own_server, browser):
    """Console, screen and phone stay open in Chromium while the server is SIGKILLed and started again:
    each reconnects on its own, shows the right state, and live updates flow again."""
    game = Game(own_server)
    contexts, errors = [], []

    def open_page(url: str, signed_in: bool = False, **options):
        # the console on a device that never opened its link: signed in with rights
        context = signed_in_context(browser, own_server.url, **options) if signed_in else browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT * 1000)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        return page

    try:
        console = open_page(f"{own_server.url}/f/{game.key}", signed_in=True, viewport={"width": 1280, "height": 900})
        screen = open_page(f"{own_server.url}/s/{screen_key_from(game.key)}", viewport={"width": 1920, "height": 1080})
        phone = open_page(f"{own_server.url}/j/{game.code}", **PHONE)
        phone.fill("#name-input", "Ann")
        phone.click("#join-btn")
        phone.fill("#new-team-name", "Restart")
        phone.click("#create-team-btn")
        phone.wait_for_selector("#team-lobby")
        console.click("#deal-btn")
        for page in (console, screen, phone):
            page.wait_for_selector("body[data-phase='collecting'][data-connection='online']", state="attached")
        first = phone.locator(".response-btn").first.get_attribute("data-response-id")
        phone.click(f".response-btn[data-response-id='{first}']")
        phone.wait_for_selector(f".response-btn.is-mine:not(.is-pending)[data-response-id='{first}']")

        kill(own_server)
        for page in (console, screen, phone):
            page.wait_for_selector("body:not([data-connection='online'])", state="attached")
        own_server.start()
        for page in (console, screen, phone):
            page.wait_for_selector("body[data-phase='collecting'][data-connection='online']", state="attached")
        phone.wait_for_selector(f".response-btn.is-mine[data-response-id='{first}']")  # the pick survived

        console.click("#lock-btn")  # live again: the facilitator's click reaches the other pages
        for page in (console, screen, phone):
            page.wait_for_selector("body[data-phase='locked']", state="attached")
        assert errors == []
    finally:
        for context in contexts:
            context.close()
        game.close()


# --- 6. storage trouble ----------------------------------------------------------------------------------


def stored_round(server: LiveServer, round_index: int) -> tuple:
    """(locked_at, locked_by) of a round as the database holds it (read straight from the SQLite file)."""
    import sqlite3
    from contextlib import closing

    path = server.env["DATABASE_URL"].split("///", 1)[1]
    with closing(sqlite3.connect(path)) as db:
        return db.execute('SELECT locked_at, locked_by FROM rounds WHERE "index" = ?', (round_index,)).fetchone()


@pytest.mark.browser
def test_the_console_shows_a_banner_while_storing_fails_and_the_lapsed_round_locks_once_it_works(tmp_path, browser):
    """The real server with its test-only storage fault (``AANDACHT_TEST_STORAGE_FAULT``: while the file exists every
    commit fails as SQLite's does on a full disk). A console command is refused with words in the console's language
    and the banner (role=alert) shows on every console device, in English and Dutch; it goes when a change is stored
    again. Then the countdown runs out while storing fails: the round stays open and the banner shows (the server
    pushes it: no page sent anything), and once storing works the round locks by the timer and the banner goes."""
    from .conftest import ARTIFACTS
    from .test_a11y_browser import Audit

    ARTIFACTS.mkdir(exist_ok=True)
    audit = Audit()
    fault = tmp_path / "storage-fault"
    server = LiveServer(tmp_path, env={"AANDACHT_TEST_STORAGE_FAULT": str(fault)})
    game = Game(server, timer=0)
    errors: list[str] = []
    try:
        f = game.facilitator
        ann = game.phone("Ann")
        ann.ok("create_team", {"name": "Red"})
        f.ok("deal_card", {"round": 0})
        ann.ok("submit_pick", {"round": 0, "response_id": responses(ann.state(in_round(0)))[0], "pick_id": "p1"})
        pages = {}
        for lang in ("en", "nl"):
            page = signed_in_context(browser, server.url, viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(WAIT * 1000)
            page.on("pageerror", lambda e, lang=lang: errors.append(f"[{lang}] {e}"))
            page.goto(f"{server.url}/f/{game.key}?lang={lang}")
            page.wait_for_selector("body[data-phase='collecting']", state="attached")
            pages[lang] = page
        en, nl = pages["en"], pages["nl"]
        banner = {
            "en": "The server cannot save right now (is its disk full, or its database unreachable?)",
            "nl": "De server kan nu niets opslaan (is de schijf vol, of de database onbereikbaar?)",
        }
        for page in (en, nl):
            assert page.get_attribute("#storage-banner", "role") == "alert"
            assert not page.locator("#storage-banner").is_visible()

        # a command that cannot be stored: refused in the console's words, and the banner on every console
        fault.touch()
        nl.fill("#add-team-name", "Blauw")
        nl.click("#add-team-btn")
        nl.wait_for_selector("[data-testid=alert] >> text=De server kan nu niets opslaan; er is niets veranderd.")
        for lang, page in pages.items():
            page.wait_for_selector(f"#storage-banner >> text={banner[lang]}")
            assert page.locator("#storage-banner").is_visible()
            audit(page, f"console with the storage banner ({lang})")  # axe-core: WCAG AA, the banner's contrast too
        audit.assert_clean("storage-banner")
        fault.unlink()
        nl.click("#add-team-btn")  # the same command again
        for page in pages.values():
            page.wait_for_selector("#storage-banner", state="hidden")
            page.wait_for_selector("#teams-list >> text=Blauw", state="attached")

        # the countdown runs out while storing fails: the server itself shows the banner, the round stays open
        f.ok("start_timer", {"round": 0, "seconds": 5})
        fault.touch()
        for lang, page in pages.items():
            page.wait_for_selector(f"#storage-banner >> text={banner[lang]}")  # after the deadline: the lock failed
        assert stored_round(server, 0) == (None, None)
        assert en.get_attribute("body", "data-phase") == "collecting"
        fault.unlink()
        for page in pages.values():
            page.wait_for_selector("body[data-phase='locked']", state="attached")
            page.wait_for_selector("#storage-banner", state="hidden")
        locked_at, locked_by = stored_round(server, 0)
        assert locked_by == "timer" and locked_at is not None
        assert team_of(f.state(in_round(0, "locked")), "Red")["answer"]["auto"] is True
        assert errors == []
    finally:
        game.close()
        server.stop()
