"""The web layer: ``create_app`` only wires the parts together."""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

from flask import Flask
from flask.ctx import RequestContext
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import benchcount, db
from ..accounts import Accounts
from ..cluster import Cluster
from ..decks import default_scenarios_dir
from ..library import DeckLibrary
from ..publish import Publisher
from ..service import Service
from ..store import REPO, Store, database_url, fail_commits_while, make_engine
from ..wordfilter import WordFilter
from . import (
    assets,
    auth,
    i18n,
    sockets,  # noqa: F401 - registers the handlers before any init_app, so every app gets them
)
from .decks import bp as decks_bp
from .pages import SOCKET_IO_CLIENT, bp
from .realtime import JsonPacket, socketio, without_websocket_compression
from .security import Guard, GuessLimiter, add_security_headers


def _secret_key(instance: Path) -> str:
    """A stable secret for signing cookies: SECRET_KEY, or one made once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class _RequestContext(RequestContext):
    """A request context that lets go of the frames its URL matching failed in.

    Flask-SocketIO runs every socket event in a request context for the Socket.IO path, which matches no page, so
    Flask keeps a NotFound on the request. Its traceback (and that of werkzeug's NoMatch, its context) holds the
    frames of the event's whole call, and so the request itself: a cycle that only a full collection frees, with
    everything the handler's frames held. The server makes full collections only in quiet moments
    (``game.server.QuietCollector``); at 300 phones a process, 16 rounds of picks left some 100,000 such objects
    for it (``bench.run --phones 900 --processes 3``, 2026-12-06). Flask raises the same NotFound again for a page
    request that matched nothing (``raise_routing_exception``), with a traceback of its own; nothing reads the old
    one.
    Flask documents ``match_request`` as the hook for this; the same cycle in Flask's own error handling is
    pallets/flask#5709.
    """

    def match_request(self) -> None:
        super().match_request()
        error = self.request.routing_exception
        if error is not None:
            error.__traceback__ = error.__context__ = error.__cause__ = None


class _Flask(Flask):
    """Flask with ``_RequestContext``."""

    def request_context(self, environ: dict) -> RequestContext:
        return _RequestContext(self, environ)


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app, its database, its decks and its Socket.IO server."""
    app = _Flask(
        "game",
        root_path=str(REPO),
        template_folder=str(REPO / "templates"),
        static_folder=str(REPO / "static"),
        instance_path=str(REPO / "instance"),
    )
    app.config.from_mapping(
        DATABASE_URL=database_url(),
        ASYNC_MODE=os.environ.get("AANDACHT_ASYNC_MODE", "threading"),
        MESSAGE_QUEUE=os.environ.get("AANDACHT_MESSAGE_QUEUE") or None,
        CHANNEL=os.environ.get("AANDACHT_CHANNEL") or "aandacht",  # one per cluster sharing a Redis
        PING_INTERVAL=float(os.environ.get("AANDACHT_PING_INTERVAL", "20")),  # seconds between pings to each page
        PRESENCE_TTL=float(os.environ.get("AANDACHT_PRESENCE_TTL", "15")),  # a dead process's phones show away after
        PROXIES=int(os.environ.get("AANDACHT_PROXIES", "0")),  # trusted proxies in front (nginx: 1) for X-Forwarded-*
        PUBLIC_URL=os.environ.get("AANDACHT_PUBLIC_URL") or None,
        SCENARIOS=str(default_scenarios_dir()),
        AUTO_MIGRATE=True,
        CLOCK=time.time,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=256 * 1024,
        BLOCKED_WORDS=os.environ.get("AANDACHT_BLOCKED_WORDS") or None,
        CODE_GUESS_LIMIT=int(os.environ.get("AANDACHT_CODE_GUESS_LIMIT", "30")),  # failed codes per minute per address
        SESSION_COOKIE_SECURE=os.environ.get("AANDACHT_HTTPS") == "1",
        RETENTION_DAYS=float(os.environ.get("AANDACHT_RETENTION_DAYS", "30")),
        PUBLISH_INTERVAL=os.environ.get("AANDACHT_PUBLISH_INTERVAL"),  # None: 0.1 s on eventlet/gevent, else 0
        WEBSOCKET_COMPRESSION=os.environ.get("AANDACHT_WEBSOCKET_COMPRESSION") == "1",  # ~256 KB per phone
        MINIFY_ASSETS=os.environ.get("AANDACHT_MINIFY", "1") != "0",
    )
    app.config.update(config or {})
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=app.config["RETENTION_DAYS"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))

    engine = make_engine(app.config["DATABASE_URL"])
    if app.config["AUTO_MIGRATE"]:
        db.upgrade(engine)
    fault = os.environ.get("AANDACHT_TEST_STORAGE_FAULT")  # TESTS ONLY: a file path; while it exists, commits fail
    if fault:
        fail_commits_while(engine, partial(os.path.exists, fault))
    store = Store(engine)
    decks = DeckLibrary(app.config["SCENARIOS"], store, app.config["CLOCK"])  # built-in and stored decks

    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"],
        channel=app.config["CHANNEL"],
        ping_interval=app.config["PING_INTERVAL"],
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
        serializer=JsonPacket,
    )
    if not app.config["WEBSOCKET_COMPRESSION"]:
        app.wsgi_app = without_websocket_compression(app.wsgi_app)
    if app.config["PROXIES"]:  # behind nginx: the phone's address (room-code limiter), scheme and host (origin check)
        n = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    cluster = None
    if app.config["MESSAGE_QUEUE"]:  # several processes: views, closures and presence shared through Redis
        cluster = Cluster(app.config["MESSAGE_QUEUE"], app.config["CHANNEL"], app.config["PRESENCE_TTL"])
    app.extensions["aandacht"] = Service(store, Publisher(socketio, cluster), decks, app.config["CLOCK"],
                                         link_secret=app.config["SECRET_KEY"])  # every process derives the same keys
    if cluster is not None:
        cluster.on_resubscribe = app.extensions["aandacht"].resync
        cluster.on_command = app.extensions["aandacht"].apply_remote
    interval = app.config["PUBLISH_INTERVAL"]
    if interval in (None, ""):
        interval = 0.1 if app.config["ASYNC_MODE"] != "threading" else 0.0
    interval = float(interval)
    if interval > 0:  # under a burst of commands a workshop's views go out at most once per interval
        app.extensions["aandacht"].publish_every(interval, socketio.start_background_task, socketio.sleep)
    app.extensions["aandacht.guard"] = Guard(
        WordFilter.from_file(app.config["BLOCKED_WORDS"]), GuessLimiter(limit=app.config["CODE_GUESS_LIMIT"])
    )
    catalogs = i18n.init_app(app)  # Flask-Babel, the language of each page, the catalog scripts
    # light pages for phones: static files prepared once, each page's scripts one bundle (the Socket.IO client, ours,
    # the page's catalog, in the order they run), the phone's pages (which hold no secret) gzipped; registered
    # before the security headers, so its hook runs after theirs and sees their no-store
    static_js = Path(app.static_folder) / "js"
    bundles = {
        page: [SOCKET_IO_CLIENT, *(static_js / name for name in shared), partial(catalogs.get, page), static_js / own]
        for page, (*shared, own) in i18n.PAGE_SCRIPTS.items()
    }
    assets.init_app(app, bundles=bundles, pages=frozenset({"pages.play", "pages.room"}))
    add_security_headers(app)

    auth.init_app(app, Accounts(store, app.config["CLOCK"]))  # sign-in, the set-up link and the gate
    # the rights (game.web.links.acting_facilitator) act as the signed-in facilitator
    app.config.setdefault("FACILITATOR_LOOKUP", auth.current_facilitator)
    app.register_blueprint(bp)
    app.register_blueprint(decks_bp)
    if benchcount.ENABLED:  # AANDACHT_BENCH=1: the benchmark's view counters at /bench/counters
        benchcount.install(app)
    return app
