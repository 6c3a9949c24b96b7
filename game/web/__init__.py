"""The web layer: ``create_app`` only wires the parts together."""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask

from .. import db
from ..decks import default_scenarios_dir, load_decks
from ..publish import Publisher
from ..service import Service
from ..store import REPO, Store, database_url, make_engine
from ..wordfilter import WordFilter
from . import sockets  # noqa: F401 - registers the handlers before any init_app, so every app gets them
from .pages import bp
from .realtime import socketio
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


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app, its database, its decks and its Socket.IO server."""
    app = Flask(
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
    )
    app.config.update(config or {})
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=app.config["RETENTION_DAYS"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))

    engine = make_engine(app.config["DATABASE_URL"])
    if app.config["AUTO_MIGRATE"]:
        db.upgrade(engine)
    store = Store(engine)
    decks = load_decks(app.config["SCENARIOS"])

    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"],
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
    )
    app.extensions["aandacht"] = Service(store, Publisher(socketio), decks, app.config["CLOCK"])
    app.extensions["aandacht.guard"] = Guard(
        WordFilter.from_file(app.config["BLOCKED_WORDS"]), GuessLimiter(limit=app.config["CODE_GUESS_LIMIT"])
    )
    add_security_headers(app)

    app.register_blueprint(bp)
    return app
