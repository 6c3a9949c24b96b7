"""What one round's picks cost, round after round, without the network: does a command's cost grow with history?

    .venv/bin/python -m bench.engine_cost --players 3000 --teams 600 --rounds 16

It builds a workshop of ``--players`` players in ``--teams`` teams through the real ``Service`` on SQLite (a
temporary file) and a publisher that sends nothing, then plays ``--rounds`` rounds of the built-in deck: the
facilitator deals, every player picks (``--senders`` threads at once, so the service commits them in groups as under
a burst; with ``--senders 1`` each pick is its own transaction, as when people tap one by one), and the facilitator
locks, reveals and publishes. Views are published coalesced every ``--interval`` seconds, as the server does.

Per round it prints counts (the same on every machine) and CPU seconds of this process:

- ``rows/pick`` and ``stmts/pick``: rows written and SQL statements per pick;
- ``views``: publications built during the picks, and the mean CPU milliseconds of one build;
- ``pick cpu``: CPU seconds of the whole round of picks (claim, rules, store, views);
- ``facil cpu``: CPU seconds of the facilitator's deal, lock, reveal and publish;
- with ``--changes``, ``change cpu`` and ``stmts/change``: every player then changes its pick once (people change
  their mind), its CPU seconds and SQL statements per change;
- with ``--count-hashes``, ``hash/pick`` and ``hash/view``: player and team ids hashed per pick outside the views
  and per view build (the ids then hash in Python, which makes every figure in seconds slower): a mapping keyed by
  ids that is copied or scanned, in Python or in C, hashes each of its keys, so these grow with the rounds played
  when a command copies or scans the picks of every round.

The last line compares the last round with the first. Nothing here is a test: it measures and reports
(tests/test_history_cost.py asserts the flatness by operation counts).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event

import game.service as service_module
from game import db
from game.decks import default_scenarios_dir, load_decks
from game.engine import Actor, Role, Settings, commands as c
from game.engine.state import FACILITATOR, GUEST
from game.service import Service
from game.store import Store, make_engine

DECK = "aandacht-basis"
HASHES = Counter()
_BUILDING = threading.local()


class Id(str):
    """A player or team id that counts its hashing (``--count-hashes``, see the module's docstring)."""

    __slots__ = ()

    def __hash__(self):
        HASHES["views" if getattr(_BUILDING, "on", False) else "commands"] += 1
        return str.__hash__(self)


class Quiet:
    """A publisher that sends nothing and counts the publications."""

    cluster = None

    def __init__(self):
        self.delivered: dict[str, int] = {}
        self.published = 0

    def publish(self, state, views, version=None):
        self.published += 1

    def close_workshop(self, workshop_id, message):
        pass


class Builds:
    """Counts and times ``build_views`` as the service calls it."""

    def __init__(self):
        self.seconds: list[float] = []
        self._build = service_module.build_views
        service_module.build_views = self

    def __call__(self, state, now):
        started = time.thread_time()
        _BUILDING.on = True
        try:
            return self._build(state, now)
        finally:
            _BUILDING.on = False
            self.seconds.append(time.thread_time() - started)


def in_parallel(senders: int, jobs: list) -> None:
    """Run ``jobs`` (callables) on ``senders`` threads at once, each taking the next job when done."""
    queue = list(reversed(jobs))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work():
        while True:
            with lock:
                if not queue or errors:
                    return
                job = queue.pop()
            try:
                job()
            except BaseException as error:  # reported after the round
                errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(max(1, senders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def sends(service, wid: str, players: list[str], card, index: int, change: int) -> list:
    """A sender per player: its pick in round ``index`` (``change`` 0), or a change of it (another response, or
    another text, with a client id of its own)."""
    out = []
    for n, pid in enumerate(players):
        client = f"c{n}-{change}" if change else ""
        if card.is_open:
            command = c.SubmitPick(index, text=f"We listen first ({n % 3})" + ", then act" * change, client_id=client)
        else:
            response = card.responses[(n + index + change) % len(card.responses)].id
            command = c.SubmitPick(index, response, client_id=client)
        out.append(lambda p=pid, cmd=command: service.execute(wid, Actor(Role.PLAYER, p), cmd))
    return out


def run(args) -> list[dict]:
    """Play the workshop and return one row of figures per round."""
    directory = Path(tempfile.mkdtemp(prefix="aandacht-engine-cost-"))
    engine = make_engine(f"sqlite:///{directory / 'cost.sqlite3'}")
    db.upgrade(engine)
    sql = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, parameters, _context, executemany):
        """Rows written and statements, per kind."""
        kind = statement.split(None, 1)[0].upper()
        sql[kind] += 1
        if kind in ("INSERT", "UPDATE", "DELETE"):
            sql["rows"] += len(parameters) if executemany else 1

    decks = load_decks(default_scenarios_dir())
    deck = decks[DECK]
    rounds = min(args.rounds, len(deck.cards))
    service = Service(Store(engine), Quiet(), decks)
    service.publish_every(args.interval, lambda fn, *a: threading.Thread(target=fn, args=a, daemon=True).start(),
                          time.sleep)
    builds = Builds()
    size = -(-args.players // args.teams)
    created = service.create_workshop("Engine cost", DECK, [card.id for card in deck.cards[:rounds]],
                                      Settings(language="en", timer_seconds=0, team_size=size), [])
    wid = created.workshop.id
    make_id = Id if args.count_hashes else str
    teams = [make_id(f"team{t:04d}") for t in range(args.teams)]
    players = [make_id(f"p{n:05d}") for n in range(args.players)]
    for t in teams:
        service.execute(wid, FACILITATOR, c.AddTeam(t, f"Team {t}"))

    def join(pid: str, team: str):
        service.execute(wid, GUEST, c.JoinWorkshop(pid, f"P {pid}"), {pid: f"token-{pid}"})
        service.execute(wid, Actor(Role.PLAYER, pid), c.JoinTeam(team))

    started = time.monotonic()
    in_parallel(args.senders, [lambda p=p, n=n: join(p, teams[n % args.teams]) for n, p in enumerate(players)])
    print(f"{args.players} players joined {args.teams} teams in {time.monotonic() - started:.1f} s", file=sys.stderr)

    out = []
    for index in range(rounds):
        card = deck.cards[index]
        facil = time.process_time()
        service.execute(wid, FACILITATOR, c.DealCard(index))
        facil = time.process_time() - facil
        picks = sends(service, wid, players, card, index, 0)
        time.sleep(args.interval * 2)  # the deal's publication is out of the way
        HASHES.clear()
        sql.clear()
        builds.seconds.clear()
        cpu, wall = time.process_time(), time.monotonic()
        in_parallel(args.senders, picks)
        time.sleep(args.interval * 2)  # the last coalesced publication of the picks
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall - args.interval * 2
        rows, statements = sql["rows"], sum(v for k, v in sql.items() if k != "rows")
        views = list(builds.seconds)
        hashes = HASHES["commands"] / args.players if args.count_hashes else None
        view_hashes = HASHES["views"] / len(views) if args.count_hashes and views else None
        change_cpu = change_statements = None
        if args.changes:  # then every player changes its pick (another response, or another text), as people do
            changes = sends(service, wid, players, card, index, 1)
            sql.clear()
            change_cpu = time.process_time()
            in_parallel(args.senders, changes)
            time.sleep(args.interval * 2)
            change_cpu = time.process_time() - change_cpu
            change_statements = sum(v for k, v in sql.items() if k != "rows") / args.players
        state = service.state(wid)
        assert sum(1 for key in state.picks if key[0] == index) == args.players, "a pick was lost"
        started = time.process_time()
        for command in (c.LockRound(index), c.Reveal(index), c.PublishScores(index)):
            service.execute(wid, FACILITATOR, command)
        facil += time.process_time() - started
        row = {
            "round": index + 1,
            "hash_per_pick": hashes,
            "hash_per_view": view_hashes,
            "rows_per_pick": rows / args.players,
            "statements_per_pick": statements / args.players,
            "views": len(views),
            "view_ms": 1000 * statistics.mean(views) if views else 0.0,
            "pick_cpu_s": cpu,
            "pick_wall_s": wall,
            "facilitator_cpu_s": facil,
            "change_cpu_s": change_cpu,
            "change_statements_per_pick": change_statements,
        }
        out.append(row)
        counted = (f"hash/pick {hashes:8.1f}  hash/view {view_hashes or 0:8.0f}  " if args.count_hashes else "")
        print(f"round {row['round']:2d}: {counted}rows/pick {row['rows_per_pick']:4.2f}"
              f"  stmts/pick {row['statements_per_pick']:5.2f}  views {row['views']:3d} x {row['view_ms']:6.1f} ms"
              f"  pick cpu {cpu:6.2f} s  facil cpu {facil:5.2f} s"
              + (f"  change cpu {change_cpu:5.2f} s  stmts/change {change_statements:5.2f}" if args.changes else ""),
              flush=True)
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=3000, help="players (default 3000)")
    parser.add_argument("--teams", type=int, default=600, help="teams (default 600)")
    parser.add_argument("--rounds", type=int, default=16, help="rounds, at most the deck's 16 cards (default 16)")
    parser.add_argument("--senders", type=int, default=32, help="threads sending picks at once (default 32)")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between publications (default 0.1)")
    parser.add_argument("--count-hashes", action="store_true", help="count the ids hashed (slows every figure down)")
    parser.add_argument("--changes", action="store_true",
                        help="after the picks every player changes its pick once: the CPU and statements of that")
    args = parser.parse_args(argv)
    rows = run(args)
    first, last = rows[0], rows[-1]
    counted = (f"hash/pick {first['hash_per_pick']:.1f} -> {last['hash_per_pick']:.1f}, "
               if args.count_hashes else "")
    print(f"first -> last round: {counted}rows/pick {first['rows_per_pick']:.2f} -> {last['rows_per_pick']:.2f}, "
          f"view build {first['view_ms']:.1f} -> {last['view_ms']:.1f} ms, "
          f"pick CPU {first['pick_cpu_s']:.2f} -> {last['pick_cpu_s']:.2f} s "
          f"({last['pick_cpu_s'] / first['pick_cpu_s']:.2f}x), "
          f"facilitator CPU {first['facilitator_cpu_s']:.2f} -> {last['facilitator_cpu_s']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
