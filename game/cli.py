"""The commands besides ``serve``: validate decks, upgrade the database, purge, and facilitator accounts."""

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
    _user_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "user":
        return user_command(args)
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


def _user_parser(sub) -> None:
    """``python -m game user ...``: facilitator accounts (an offline laptop has no e-mail: passwords are set here)."""
    user = sub.add_parser("user", help="facilitator accounts: add, list, remove, password, admin, sessions, sign-out, "
                                       "setup-link")
    cmd = user.add_subparsers(dest="user_command", required=True)
    add = cmd.add_parser("add", help="add a facilitator (the password is asked for)")
    add.add_argument("email")
    add.add_argument("--name", required=True, help="the name shown to the facilitators")
    add.add_argument("--admin", action="store_true", help="an administrator: adds and removes facilitators")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    cmd.add_parser("list", help="every facilitator")
    remove = cmd.add_parser("remove", help="remove a facilitator and end their sessions")
    remove.add_argument("email")
    password = cmd.add_parser("password", help="set a new password (a reset); ends the facilitator's sessions")
    password.add_argument("email")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    admin = cmd.add_parser("admin", help="make a facilitator an administrator (--revoke: no longer)")
    admin.add_argument("email")
    admin.add_argument("--revoke", action="store_true", help="no longer an administrator")
    sessions = cmd.add_parser("sessions", help="where a facilitator is signed in")
    sessions.add_argument("email")
    signout = cmd.add_parser("sign-out", help="end every session of a facilitator")
    signout.add_argument("email")
    link = cmd.add_parser("setup-link", help="print a fresh one-time set-up link while no administrator exists")
    link.add_argument("--base", default=None,
                      help="the server's address (default: AANDACHT_PUBLIC_URL or http://127.0.0.1:5000)")


def _fail(message: str, code: int = 1) -> int:
    """An error for the person at the terminal."""
    import sys

    print(f"user: {message}", file=sys.stderr)
    return code


def _read_password(from_stdin: bool) -> str | None:
    """The new password: one line of standard input, or asked twice without echo. None if the two differ."""
    import getpass
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("The same password again: ") != first:
        return None
    return first


def _when(moment: float) -> str:
    """A moment in the server's time zone."""
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))


def user_command(args) -> int:
    """Run one ``user`` command on the database of DATABASE_URL; 0 on success, 1 for bad input."""
    import os

    from . import db
    from .accounts import AccountError, Accounts, check_password
    from .store import database_url, make_engine

    engine = make_engine(database_url())
    try:
        db.upgrade(engine)
        accounts = Accounts(engine)
        command = args.user_command
        if command == "setup-link":
            from .web.auth import setup_link_lines

            base = args.base or os.environ.get("AANDACHT_PUBLIC_URL") or "http://127.0.0.1:5000"
            lines = setup_link_lines(accounts, base)
            if not lines:
                return _fail("an administrator exists already: no set-up link is needed (sign in, or add one with "
                             "'python -m game user add EMAIL --name NAME --admin')")
            print("\n".join(lines))
            return 0
        if command == "list":
            users = accounts.users()
            if not users:
                print("no facilitators yet")
            for u in users:
                role = "administrator" if u.is_admin else "facilitator"
                print(f"{u.email}\t{u.name}\t{role}\tsince {_when(u.created_at)}")
            return 0
        if command == "add":
            password = _read_password(args.password_stdin)
            if password is None:
                return _fail("the two passwords are not the same; nothing was changed")
            first_admin = args.admin and not accounts.admin_exists()
            try:
                user = accounts.create_user(args.email, args.name, password, is_admin=args.admin)
            except AccountError as error:
                return _fail(f"{error.message} Nothing was changed.")
            if first_admin:  # as the set-up link does: what was made before accounts goes to the first administrator
                accounts.store.adopt_orphans(user.id)
            print(f"added {'administrator' if user.is_admin else 'facilitator'} {user.name} <{user.email}>")
            return 0
        user = accounts.user_by_email(args.email)
        if user is None:
            return _fail(f"there is no facilitator with the e-mail address {args.email!r} "
                         "(see 'python -m game user list')")
        if command == "remove":
            try:
                accounts.remove_user(user.id)
            except AccountError as error:
                return _fail(f"{error.message} Nothing was changed.")
            print(f"removed {user.name} <{user.email}>; their sessions have ended")
            return 0
        if command == "password":
            password = _read_password(args.password_stdin)
            if password is None:
                return _fail("the two passwords are not the same; nothing was changed")
            try:
                check_password(password)
                ended = accounts.set_password(user.id, password)
            except AccountError as error:
                return _fail(f"{error.message} Nothing was changed.")
            print(f"new password set for {user.email}; {ended} session(s) ended")
            return 0
        if command == "admin":
            try:
                accounts.set_admin(user.id, not args.revoke)
            except AccountError as error:
                return _fail(f"{error.message} Nothing was changed.")
            print(f"{user.email} is {'no longer ' if args.revoke else ''}an administrator")
            return 0
        if command == "sessions":
            rows = accounts.sessions(user.id)
            if not rows:
                print(f"{user.email} is not signed in anywhere")
            for s in rows:
                print(f"{s.agent}\tsigned in {_when(s.created_at)}\tlast seen {_when(s.seen_at)}")
            return 0
        if command == "sign-out":
            ended = accounts.end_sessions(user.id)
            print(f"{user.email} is signed out everywhere ({ended} session(s) ended)")
            return 0
        return 2  # pragma: no cover - argparse refuses unknown commands
    finally:
        engine.dispose()
