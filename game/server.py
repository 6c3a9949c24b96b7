"""The server entry point. ``python -m game serve`` has already monkey-patched when this runs."""

from __future__ import annotations

import argparse
import logging
import resource


def raise_open_files_limit() -> int:
    """Allow as many open sockets as the system lets this process have."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def serve(argv: list[str], mode: str) -> int:
    """Start the app on eventlet's (or gevent's) own server and print where to open it."""
    parser = argparse.ArgumentParser(prog="python -m game serve")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--max-connections", type=int, default=5000, help="eventlet's max_size")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    raise_open_files_limit()

    from game.net import lan_addresses
    from game.web import create_app
    from game.web.realtime import socketio

    app = create_app({"ASYNC_MODE": mode})
    service = app.extensions["aandacht"]
    retention = app.config["RETENTION_DAYS"] * 86400
    socketio.start_background_task(service.run_ticker, socketio.sleep, 0.25, retention)

    hosts = ["127.0.0.1"] + lan_addresses() if args.host == "0.0.0.0" else [args.host]
    print("Aandacht is running. Facilitator, create a workshop at:", flush=True)
    for host in hosts:
        print(f"  http://{host}:{args.port}/", flush=True)
    print("Phones join at /play with the room code, or by the QR code on the big screen.", flush=True)
    extra = {"max_size": args.max_connections} if mode == "eventlet" else {}
    socketio.run(app, host=args.host, port=args.port, log_output=False, allow_unsafe_werkzeug=True, **extra)
    return 0
