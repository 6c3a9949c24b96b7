"""How long a deck upload holds a phone: the real server (``python -m game serve``, eventlet, SQLite) in a
subprocess, one phone asking over its websocket again and again, and a facilitator uploading deck files one after
the other meanwhile.

    .venv/bin/python -m bench.upload_stall [--kind cards|nested|heavy|valid] [--uploads 5] [--ping light|sync]
                                           [--repo PATH]

Kinds of upload: ``cards`` 10,000 empty cards (70 KB), ``nested`` 1,001 nested ``[``, ``heavy`` the most work a file
within every limit asks (100 cards, about 14,000 values, each card with a problem), ``valid`` the built-in deck
under another id (stored, then replaced). The phone's question is ``light`` by default: a ``sync`` with a field
the server does not know, refused at once (``invalid``) without reading the database, so its round trip is the
event loop's own (under a millisecond at rest); ``sync`` asks for the whole state (tens of milliseconds of database
and views on a busy machine). ``--repo`` runs the server of another checkout (e.g. an older commit
unpacked with ``git archive``) to compare. It prints each upload's answer and time and the phone's round trips
while uploads were in flight (the longest is how long a phone waited). Nothing here is a test: it measures and
reports.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import socketio

REPO = Path(__file__).resolve().parent.parent
WAIT = 120.0  # seconds: a bound on every wait, not a measurement


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deck_file(kind: str) -> str:
    """The text of one upload of ``kind``."""
    if kind == "nested":
        return "[" * 1001
    if kind == "cards":
        return "id: many\ntitle: {nl: a, en: b}\ndescription: {nl: a, en: b}\ncards:\n" + "- {}\n" * 10_000
    sys.path.insert(0, str(REPO))
    from game.decks import default_scenarios_dir, load_deck
    from game.library import deck_to_data, dump_deck

    data = deck_to_data(load_deck(default_scenarios_dir() / "aandacht-basis.yaml"))
    data["id"] = "bench-upload"
    if kind == "valid":
        return dump_deck(data)

    def short(value):
        if isinstance(value, dict):
            return {k: "tekst" if k in ("nl", "en") else short(v) for k, v in value.items()}
        return [short(v) for v in value] if isinstance(value, list) else value

    cards = [short(c) for c in data["cards"]]
    data["cards"] = []
    for i in range(100):
        card = copy.deepcopy(cards[i % len(cards)])
        card.update(id=f"card-{i}", story="not one\nline")  # a story's name is one line
        data["cards"].append(card)
    return dump_deck(data)


def main() -> int:
    """Run the measurement and print it."""
    parser = argparse.ArgumentParser(prog="python -m bench.upload_stall")
    parser.add_argument("--kind", choices=("cards", "nested", "heavy", "valid"), default="cards")
    parser.add_argument("--uploads", type=int, default=5)
    parser.add_argument("--ping", choices=("light", "sync"), default="light")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose server runs")
    args = parser.parse_args()
    text = deck_file(args.kind)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "AANDACHT_ASYNC_MODE": "eventlet",
               "AANDACHT_PUBLIC_URL": url, "SECRET_KEY": "bench", "PYTHONPATH": str(args.repo.resolve())}
        with open(Path(tmp) / "server.log", "wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "game", "serve", "--host", "127.0.0.1", "--port",
                                       str(port)], cwd=args.repo, env=env, stdout=log, stderr=log)
        try:
            return measure(url, text, args)
        finally:
            server.terminate()
            server.wait(10)


def measure(url: str, text: str, args) -> int:
    """Connect a phone, upload ``text`` ``args.uploads`` times while it asks; print what happened."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            if requests.get(url + "/healthz", timeout=2).ok:
                break
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)
    http = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(url + "/", timeout=WAIT).text).group(1)
    made = http.post(url + "/workshops", data={"csrf_token": token, "title": "Bench", "deck_id": "aandacht-basis",
                                               "language": "en", "card": ["spilled-tea"], "timer_seconds": "60",
                                               "team_size": "4", "teams_open": "on", "teams": ""},
                     allow_redirects=False, timeout=WAIT)
    key = made.headers["Location"].rsplit("/f/", 1)[1]
    console = socketio.SimpleClient()
    console.connect(url, auth={"role": "facilitator", "key": key}, transports=["websocket"], wait_timeout=WAIT)
    event, view = console.receive(timeout=WAIT)
    while event != "game_state":
        event, view = console.receive(timeout=WAIT)
    phone = socketio.SimpleClient()
    phone.connect(url, auth={"role": "player", "code": view["workshop"]["code"], "token": None},
                  transports=["websocket"], wait_timeout=WAIT)
    trips: list[tuple[float, float]] = []  # (sent, answered), monotonic seconds
    done = threading.Event()
    question = {"probe": 1} if args.ping == "light" else {}

    def ask() -> None:
        while not done.is_set():
            sent = time.monotonic()
            phone.call("sync", question, timeout=WAIT)
            trips.append((sent, time.monotonic()))
            while True:  # drop the game_state that follows each sync
                try:
                    phone.receive(timeout=0)
                except socketio.exceptions.TimeoutError:
                    break

    asker = threading.Thread(target=ask)
    asker.start()
    time.sleep(1.0)  # the phone's round trips at rest first
    windows = []
    try:
        for n in range(args.uploads):
            started = time.monotonic()
            answer = http.post(url + "/decks/import", data={"csrf_token": token, "replace": "on"},
                               files={"file": (f"upload-{n}.yaml", text)}, timeout=WAIT)
            ended = time.monotonic()
            windows.append((started, ended))
            problems = re.findall(r'<tr class="problem">.*?<td>([^<]*)</td></tr>', answer.text)
            print(f"upload {n + 1}: HTTP {answer.status_code} in {1000 * (ended - started):.0f} ms, "
                  f"{len(answer.content) / 1000:.0f} kB, {problems[:1] or 'no problem listed'}")
        time.sleep(0.5)
    finally:
        done.set()
        asker.join(WAIT)
        phone.disconnect()
        console.disconnect()
    at_rest = [b - a for a, b in trips if b < windows[0][0]]
    during = [b - a for a, b in trips if any(a < end and b > start for start, end in windows)]
    print(f"{args.kind}: {len(text) / 1000:.0f} kB per upload, phone asks {args.ping}")
    for name, trips_ in (("at rest", at_rest), ("overlapping an upload", during)):
        if trips_:
            slow = sum(1 for t in trips_ if t > 0.05)
            print(f"phone round trips {name}: {len(trips_)}, median {1000 * statistics.median(trips_):.1f} ms, "
                  f"longest {1000 * max(trips_):.0f} ms, {slow} over 50 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
