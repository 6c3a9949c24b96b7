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
    parser.add_argument("--backlog", type=int, default=2048, help="pending connections the listening socket queues")
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
    cluster = service.publisher.cluster
    reload = 2.0 if cluster is not None else None  # several processes: pick up countdowns started elsewhere
    socketio.start_background_task(service.run_ticker, socketio.sleep, 0.25, retention, reload)
    if cluster is not None:
        cluster.start(socketio.start_background_task, socketio.sleep)

    hosts = ["127.0.0.1"] + lan_addresses() if args.host == "0.0.0.0" else [args.host]
    print("Aandacht is running. Facilitator, create a workshop at:", flush=True)
    for host in hosts:
        print(f"  http://{host}:{args.port}/", flush=True)
    print("Phones join at /play with the room code, or by the QR code on the big screen.", flush=True)
    if mode == "eventlet":
        serve_eventlet(app, args.host, args.port, args.max_connections, args.backlog)
    else:
        socketio.run(app, host=args.host, port=args.port, log_output=False, allow_unsafe_werkzeug=True)
    return 0


def serve_eventlet(app, host: str, port: int, max_size: int, backlog: int) -> None:
    """What ``socketio.run()`` does for eventlet, with a listen backlog sized for a room of phones.

    eventlet's default backlog of 50 pending connections drops the rest of a burst (a room scanning the
    QR code at once): their connections are retried by the kernel after 1, 3, 7 seconds, or fail.
    """
    import eventlet
    import eventlet.wsgi
    from eventlet.green import socket

    family, _type, _proto, _name, address = socket.getaddrinfo(host, port)[0]
    listener = eventlet.listen(address, family, backlog=backlog)
    eventlet.wsgi.server(listener, app, log_output=False, max_size=max_size)
