"""The benchmark's yardstick: a bare Flask-SocketIO + eventlet server that speaks just enough of Aandacht's
protocol for bench/loadgen.mjs, with none of the game (no rules, no views, no word filter, no rate limits).

    python -m bench.bare_server --port 5001 --code ABCDEF --key SECRET [--database-url URL] [--message-queue URL]

What it does, per event (every command that changes something is one short transaction on the same database
engine settings as the game's, ``game.store.make_engine``: SQLite in WAL mode, or PostgreSQL; commands are applied
one at a time, like the game's lock per workshop, and acknowledged after the commit):

- ``GET /j/<code>``: a fixed HTML page naming the same two assets as the real phone page: the style sheet (the same
  file) and one script (the Socket.IO client and the same three scripts, joined once at start), the icon inline; no
  template, no database.
- ``connect``: checks the room code (phones) or key (console, screen), no database; sends one small ``game_state``.
- ``join_workshop``: INSERT the player; ack ``{ok, token, player}``. Nothing is broadcast.
- ``create_team``: INSERT the team and UPDATE the player; enter the team's room; ack ``{ok, team_id}``.
- ``join_team``: SELECT the team's size, UPDATE the player; enter the team's room; ack. Nothing is broadcast.
- ``deal_card``: INSERT the round; SELECT every team with its members; emit to each team's room a ``game_state``
  shaped like the game's team view (the real card from the deck, responses shuffled per team, the members);
  emit the card to the console's and the screen's rooms; ack.
- ``submit_pick``: upsert the pick, SELECT the team's picks; emit the team's view with its picks to the team's room
  (team-mates see each other's picks live); ack.
- ``lock_round``, ``reveal``, ``publish_scores``: UPDATE the round; ack.

So it does the same fan-out for the card (one emit per team room of a same-sized view) and the same commit before
every acknowledgement, but no per-command re-publication of every role's whole view. Several processes share the
database and, with ``--message-queue``, Flask-SocketIO's Redis queue; a phone stays on one process.
"""

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402 - after monkey-patching, on purpose
import random  # noqa: E402
import secrets  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from flask import Flask, Response, request  # noqa: E402
from flask_socketio import ConnectionRefusedError, SocketIO, join_room  # noqa: E402
from sqlalchemy import text  # noqa: E402

from game.decks import default_scenarios_dir, load_decks  # noqa: E402
from game.server import raise_open_files_limit, serve_eventlet  # noqa: E402
from game.store import REPO, make_engine  # noqa: E402

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bare</title>
<link rel="icon" href="data:," type="image/svg+xml">
<link rel="stylesheet" href="/static/css/app.css"></head>
<body data-code="{code}"><main id="app"></main>
<script src="/bundle.js" defer></script>
</body></html>
"""
SCRIPTS = [REPO / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"] + [
    REPO / "static" / "js" / name for name in ("common.js", "i18n.js", "play.js")
]

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS bench_players (run VARCHAR(32), id VARCHAR(32), name VARCHAR(64), "
    "token VARCHAR(64), team_id VARCHAR(32), PRIMARY KEY (run, id))",
    "CREATE TABLE IF NOT EXISTS bench_teams (run VARCHAR(32), id VARCHAR(32), name VARCHAR(64), "
    "created_at FLOAT, PRIMARY KEY (run, id))",
    "CREATE TABLE IF NOT EXISTS bench_rounds (run VARCHAR(32), idx INTEGER, card_id VARCHAR(64), "
    "phase VARCHAR(16), PRIMARY KEY (run, idx))",
    "CREATE TABLE IF NOT EXISTS bench_picks (run VARCHAR(32), round INTEGER, player_id VARCHAR(32), "
    "team_id VARCHAR(32), response_id VARCHAR(8), pick_id VARCHAR(64), seq BIGINT, answer TEXT,"
    " PRIMARY KEY (run, round, player_id))",
]


def create(args) -> tuple[Flask, SocketIO]:
    """The bare app: the HTTP routes and the socket handlers described above."""
    app = Flask("bare", static_folder=str(REPO / "static"))
    socketio = SocketIO(
        app,
        async_mode="eventlet",
        message_queue=args.message_queue,
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
    )
    engine = make_engine(args.database_url)
    with engine.begin() as db:
        for statement in SCHEMA:
            db.execute(text(statement))
    deck = next(iter(load_decks(default_scenarios_dir()).values()))
    cards = [deck.card(c) for c in args.cards.split(",")] if args.cards else list(deck.cards)  # by round
    run, code, key, team_size = args.code, args.code, args.key, args.team_size
    order = threading.Lock()  # one command at a time, like the game's lock per workshop
    sids: dict[str, dict] = {}  # sid -> {"role", "player_id", "team_id"}

    def write(statement: str, **params):
        """One short transaction; returns the rows of the last statement when it selects."""
        with order, engine.begin() as db:
            result = db.execute(text(statement), {"run": run, **params})
            return result.all() if result.returns_rows else None

    def card_view(index: int, team_id: str) -> dict:
        card = cards[index % len(cards)]
        ids = [r.id for r in card.responses]
        random.Random(f"{run}:{index}:{team_id}").shuffle(ids)
        by_id = {r.id: r for r in card.responses}
        return {
            "id": card.id,
            "title": card.title.en,
            "situation": card.situation.en,
            "question": card.question.en,
            "responses": [{"id": i, "text": by_id[i].text.en} for i in ids],
        }

    def team_view(index: int, team_id: str, name: str, members: list[str], picks: dict) -> dict:
        return {
            "role": "team",
            "workshop": {"code": code, "round": index, "phase": "collecting"},
            "team": {"id": team_id, "name": name, "members": members},
            "card": card_view(index, team_id),
            "picks": picks,
        }

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    @app.get("/j/<room>")
    def page(room: str):
        if room != code:
            return "no such room", 404
        return PAGE.format(code=code)

    bundle = b"\n;\n".join(path.read_bytes() for path in SCRIPTS)

    @app.get("/bundle.js")
    def scripts():
        return Response(bundle, mimetype="text/javascript", headers={"Cache-Control": "max-age=3600"})

    @socketio.on("connect")
    def connect(auth=None):
        auth = auth if isinstance(auth, dict) else {}
        role = auth.get("role")
        if role == "player" and auth.get("code") == code:
            sids[request.sid] = {"role": "player", "player_id": None, "team_id": None}
            join_room("guests")
        elif role in ("facilitator", "screen") and auth.get("key") == key:
            sids[request.sid] = {"role": role}
            join_room(role)
        else:
            raise ConnectionRefusedError("refused", {"code": "bad_key", "message": "refused"})
        socketio.emit(
            "game_state", {"role": role, "workshop": {"code": code, "round": -1, "phase": "lobby"}}, to=request.sid
        )

    @socketio.on("disconnect")
    def disconnect(reason=None):
        sids.pop(request.sid, None)

    @socketio.on("join_workshop")
    def join_workshop(payload):
        conn = sids[request.sid]
        player_id, token = secrets.token_hex(8), secrets.token_urlsafe(24)
        write(
            "INSERT INTO bench_players (run, id, name, token, team_id) VALUES (:run, :id, :name, :token, NULL)",
            id=player_id,
            name=str(payload["name"])[:30],
            token=token,
        )
        conn["player_id"] = player_id
        return {"ok": True, "token": token, "player": {"id": player_id, "name": payload["name"], "team_id": None}}

    def enter_team(conn: dict, team_id: str) -> None:
        join_room(f"team:{team_id}")
        socketio.server.leave_room(request.sid, "guests", namespace="/")
        conn["team_id"] = team_id

    @socketio.on("create_team")
    def create_team(payload):
        conn = sids[request.sid]
        team_id = secrets.token_hex(8)
        with order, engine.begin() as db:
            db.execute(
                text("INSERT INTO bench_teams (run, id, name, created_at) VALUES (:run, :id, :name, :at)"),
                {"run": run, "id": team_id, "name": str(payload["name"])[:30], "at": time.time()},
            )
            db.execute(
                text("UPDATE bench_players SET team_id = :team WHERE run = :run AND id = :id"),
                {"run": run, "team": team_id, "id": conn["player_id"]},
            )
        enter_team(conn, team_id)
        return {"ok": True, "team_id": team_id}

    @socketio.on("join_team")
    def join_team(payload):
        conn = sids[request.sid]
        team_id = str(payload["team_id"])
        with order, engine.begin() as db:
            size = db.execute(
                text("SELECT count(*) FROM bench_players WHERE run = :run AND team_id = :team"),
                {"run": run, "team": team_id},
            ).scalar()
            if size >= team_size:
                return {"ok": False, "error": {"code": "team_full", "message": "full"}}
            db.execute(
                text("UPDATE bench_players SET team_id = :team WHERE run = :run AND id = :id"),
                {"run": run, "team": team_id, "id": conn["player_id"]},
            )
        enter_team(conn, team_id)
        return {"ok": True}

    @socketio.on("deal_card")
    def deal_card(payload):
        index = int(payload["round"])
        card_id = cards[index % len(cards)].id
        with order, engine.begin() as db:
            db.execute(
                text("INSERT INTO bench_rounds (run, idx, card_id, phase) VALUES (:run, :idx, :card, 'collecting')"),
                {"run": run, "idx": index, "card": card_id},
            )
            teams = db.execute(
                text("SELECT id, name FROM bench_teams WHERE run = :run ORDER BY created_at, id"), {"run": run}
            ).all()
            members: dict[str, list[str]] = {}
            for team_id, name in db.execute(
                text("SELECT team_id, name FROM bench_players WHERE run = :run AND team_id IS NOT NULL"), {"run": run}
            ):
                members.setdefault(team_id, []).append(name)
        for team_id, name in teams:
            socketio.emit(
                "game_state", team_view(index, team_id, name, members.get(team_id, []), {}), to=f"team:{team_id}"
            )
        for role in ("facilitator", "screen"):
            socketio.emit(
                "game_state",
                {
                    "role": role,
                    "workshop": {"code": code, "round": index, "phase": "collecting"},
                    "card": card_view(index, ""),
                },
                to=role,
            )
        return {"ok": True}

    @socketio.on("submit_pick")
    def submit_pick(payload):
        conn = sids[request.sid]
        index, team_id = int(payload["round"]), conn["team_id"]
        with order, engine.begin() as db:
            db.execute(
                text(
                    "INSERT INTO bench_picks (run, round, player_id, team_id, response_id, pick_id, seq, answer) "
                    "VALUES (:run, :round, :player, :team, :response, :pick, :seq, :answer) "
                    "ON CONFLICT (run, round, player_id) DO UPDATE SET response_id = excluded.response_id, "
                    "pick_id = excluded.pick_id, seq = excluded.seq, answer = excluded.answer"
                ),
                {
                    "run": run,
                    "round": index,
                    "player": conn["player_id"],
                    "team": team_id,
                    "response": str(payload.get("response_id", "")),  # "" on an open card: its text instead
                    "answer": str(payload.get("text", ""))[:280],
                    "pick": str(payload.get("pick_id", "")),
                    "seq": int(payload.get("seq", 0)),
                },
            )
            picks = dict(
                db.execute(
                    text(
                        "SELECT player_id, CASE WHEN response_id = '' THEN answer ELSE response_id END"
                        " FROM bench_picks"
                        " WHERE run = :run AND round = :round AND team_id = :team"
                    ),
                    {"run": run, "round": index, "team": team_id},
                ).all()
            )
            name = db.execute(
                text("SELECT name FROM bench_teams WHERE run = :run AND id = :team"), {"run": run, "team": team_id}
            ).scalar()
        socketio.emit("game_state", team_view(index, team_id, name, [], picks), to=f"team:{team_id}")
        return {"ok": True}

    def set_phase(phase: str):
        def handler(payload):
            write(
                "UPDATE bench_rounds SET phase = :phase WHERE run = :run AND idx = :idx",
                phase=phase,
                idx=int(payload["round"]),
            )
            return {"ok": True}

        return handler

    socketio.on_event("lock_round", set_phase("locked"))
    socketio.on_event("reveal", set_phase("revealed"))
    socketio.on_event("publish_scores", set_phase("scored"))
    return app, socketio


def main() -> int:
    """Parse the arguments and serve on eventlet's server exactly as ``python -m game serve`` does."""
    parser = argparse.ArgumentParser(prog="python -m bench.bare_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--code", required=True, help="the room code phones connect with (also the run's id)")
    parser.add_argument("--key", required=True, help="the key the console and the screen connect with")
    parser.add_argument("--team-size", type=int, default=5)
    parser.add_argument("--database-url", default=f"sqlite:///{Path('bench-results') / 'bare.sqlite3'}")
    parser.add_argument("--message-queue", default=None)
    parser.add_argument("--max-connections", type=int, default=5000)
    parser.add_argument("--backlog", type=int, default=2048)
    parser.add_argument("--cards", default="", help="the deck's card ids dealt by round, comma-separated "
                        "(default: all, in order)")
    args = parser.parse_args()
    raise_open_files_limit()
    app, _socketio = create(args)
    print(f"bare server on http://{args.host}:{args.port}/", flush=True)
    serve_eventlet(app, args.host, args.port, args.max_connections, args.backlog)  # the game's listener settings
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
