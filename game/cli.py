"""The commands besides ``serve``: validate decks, upgrade the database."""

from __future__ import annotations

import argparse


def run(argv: list[str]) -> int:
    """Parse the command line and run one command."""
    if argv[:1] == ["cluster"]:
        from .launch import run as cluster

        return cluster(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m game", description="Aandacht, the live CX workshop game.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the server (see --help of 'serve')")
    sub.add_parser("cluster", help="several server processes behind nginx (see --help of 'cluster')")
    validate = sub.add_parser("validate-deck", help="check deck files; exit 1 if any problem")
    validate.add_argument("paths", nargs="*", help="deck files or folders (default: scenarios/)")
    sub.add_parser("db-upgrade", help="create or upgrade the database schema (DATABASE_URL)")
    purge = sub.add_parser("purge", help="delete workshops unchanged for the retention period")
    purge.add_argument("--days", type=float, help="retention in days (default: AANDACHT_RETENTION_DAYS or 30)")
    args = parser.parse_args(argv)
    if args.command == "validate-deck":
        from .decks import validate_main

        return validate_main(args.paths)
    if args.command == "db-upgrade":
        from . import db
        from .store import database_url, make_engine

        engine = make_engine(database_url())
        db.upgrade(engine)
        print(f"database is at the newest schema: {engine.url.render_as_string(hide_password=True)}")
        return 0
    if args.command == "purge":
        from .web import create_app

        app = create_app()
        days = args.days if args.days is not None else app.config["RETENTION_DAYS"]
        deleted = app.extensions["aandacht"].purge_expired(days * 86400)
        print(f"deleted {len(deleted)} workshop(s) unchanged for {days:g} days")
        return 0
    return 2  # pragma: no cover - argparse refuses unknown commands
