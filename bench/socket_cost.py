"""What one phone's connection costs the game server in memory, before and after it joins, without the rounds:

    .venv/bin/python -m bench.socket_cost --phones 300

It starts one game process (``python -m game serve`` with ``AANDACHT_BENCH=1``, a fresh SQLite file), creates a
workshop as ``bench.run`` does, then connects ``--phones`` python-socketio clients over websockets as phones of it
(no page load), reads ``/bench/memory``, lets each phone join (a player, no team), and reads it again. Per phone it
prints the growth of Python's small-object allocator (bytes in use and blocks), of the C library's heap in use, of
the objects the cycle collector tracks, and of the resident memory, each read after a full collection. It also
lists the object types that grew most per phone. The first connections of a process also pay for what it makes
once (the allocator's first pools, imports on first use), so use a few hundred.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

from .run import Page, create_workshop, say, start_servers


def reading(server) -> dict:
    held = server.memory()
    if held is None or held.get("pymalloc") is None:
        raise RuntimeError("the server gave no /bench/memory reading")
    return {
        "pymalloc_bytes": held["pymalloc"]["bytes_in_use"],
        "blocks": held["allocated_blocks"],
        "malloc_bytes": (held.get("malloc") or {}).get("in_use_kb", 0) * 1024,
        "gc_objects": held["gc_objects"],
        "rss_bytes": held["garbage"]["rss_kb_after"] * 1024,
        "types": dict(held["top_types"]),
    }


def per_phone(before: dict, after: dict, phones: int) -> dict:
    grown = {k: (after[k] - before[k]) / phones for k in ("pymalloc_bytes", "blocks", "malloc_bytes", "gc_objects",
                                                          "rss_bytes")}
    types = Counter({name: (after["types"].get(name, 0) - before["types"].get(name, 0)) / phones
                     for name in after["types"]})
    grown["types"] = [(name, round(n, 1)) for name, n in types.most_common(12) if n > 0]
    return grown


def show(what: str, grown: dict) -> None:
    print(f"{what}: Python objects {grown['pymalloc_bytes'] / 1024:.1f} KB in {grown['blocks']:.0f} blocks, "
          f"C heap {grown['malloc_bytes'] / 1024:.1f} KB, {grown['gc_objects']:.0f} tracked objects, "
          f"resident {grown['rss_bytes'] / 1024:.1f} KB")
    print("    most grown, per phone: " + ", ".join(f"{name} {n:g}" for name, n in grown["types"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.socket_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=300, help="phones to connect (default 300)")
    parser.add_argument("--timeout", type=float, default=60.0, help="bound in seconds on each step")
    args = parser.parse_args(argv)
    import socketio

    with tempfile.TemporaryDirectory(prefix="aandacht-socket-cost-") as tmp:
        directory = Path(tmp)
        options = SimpleNamespace(processes=1, database_url=None, message_queue=None, team_size=5)
        server = start_servers("game", options, directory, "", "")[0]
        clients: list = []
        try:
            key, http = create_workshop(server.url, ["spilled-tea"], 5, args.timeout,
                                        f"sqlite:///{directory / 'game.sqlite3'}")
            console = Page(server.url, {"role": "facilitator", "key": key, "acks": True}, args.timeout, http)
            console.wait(lambda v: True)
            code = console.view["workshop"]["code"]
            empty = reading(server)
            say(f"{args.phones} phones connect")
            for _ in range(args.phones):
                client = socketio.Client()
                client.connect(server.url, transports=["websocket"], auth={"role": "player", "code": code},
                               wait_timeout=args.timeout)
                clients.append(client)
            time.sleep(2.0)
            connected = reading(server)
            say(f"{args.phones} phones join")
            for n, client in enumerate(clients):
                answer = client.call("join_workshop", {"name": f"Phone {n}"}, timeout=args.timeout)
                if not (answer or {}).get("ok"):
                    raise RuntimeError(f"a phone could not join: {answer}")
            time.sleep(2.0)
            joined = reading(server)
            print(f"per phone, {args.phones} phones on one process (`.venv/bin/python -m bench.socket_cost "
                  f"--phones {args.phones}`):")
            show("connected", per_phone(empty, connected, args.phones))
            show("joined, in all", per_phone(empty, joined, args.phones))
            console.close()
        finally:
            for client in clients:
                client.disconnect()
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
