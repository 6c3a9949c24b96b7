"""Facilitator accounts: users, passwords, server-side sign-in sessions, sign-in limits and the set-up token.

Plain logic on the database (no Flask here): the web layer (``game.web.auth``) and the command line
(``python -m game user ...``) both use it. Passwords are hashed with argon2id through argon2-cffi's
``PasswordHasher`` (its defaults follow RFC 9106; a hash made with older parameters is replaced at the next
sign-in). Sign-in sessions are random ids kept in the browser's signed cookie and stored here only as their
SHA-256, so a leaked database opens no session; ending the row signs that browser out on its next request.

Failed sign-ins are counted in the database, not in memory (nor with Flask-Limiter's in-memory storage), so every
process of a cluster agrees on them without a Redis that a single laptop does not have.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .rights import Facilitator
from .store import SetupTokenRow, SignInFailureRow, SignInRow, Store, UserRow, hash_secret

PASSWORD_MIN = 10
PASSWORD_MAX = 1000  # argon2 takes any length; a megabyte "password" would only cost the server time
NAME_MAX = 100
EMAIL_MAX = 254
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")  # something@somewhere: the address is a sign-in name, never mailed

ACCOUNT_LIMIT = 5  # failed sign-ins for one e-mail address ...
ADDRESS_LIMIT = 20  # ... or from one client address ...
WINDOW = 15 * 60.0  # ... within this many seconds: then that one waits until the oldest failure is this old
SEEN_EVERY = 60.0  # a session's "last seen" is written at most this often (not on every request)
IDLE = 30 * 86400.0  # a session not seen for this long has ended (the cookie may live on in a forgotten browser)
AGENT_MAX = 120


def password_hasher() -> PasswordHasher:
    """argon2-cffi's hasher with its recommended parameters. TESTS ONLY: ``AANDACHT_TEST_CHEAP_HASHES=1`` makes it
    cheap (one pass over 1 MB instead of three over 64 MB), since the tests create and sign in hundreds of users."""
    if os.environ.get("AANDACHT_TEST_CHEAP_HASHES") == "1":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


class AccountError(ValueError):
    """Bad input for an account: ``code`` says which (the CLI and the pages put it in their own words)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class User:
    """An account as the rest of the program sees it (never its password hash)."""

    id: str
    email: str
    name: str
    is_admin: bool
    created_at: float
    removed_at: float | None = None


@dataclass(frozen=True)
class SignIn:
    """A sign-in session as its owner sees it (its id is never shown, only whether it is the one in use)."""

    key: str  # the stored hash: names the session in "end this one" without revealing the cookie's id
    user_id: str
    created_at: float
    seen_at: float
    ended_at: float | None
    agent: str


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is not tried now: the account or the address failed too often; ``wait`` seconds to go."""

    reason: str  # "account" or "address"
    wait: float


def email_key(email: str) -> str:
    """The form an e-mail address is compared by: trimmed, lower case."""
    return email.strip().lower()


def check_password(password: str) -> None:
    """Refuse an empty, short or absurdly long password."""
    if not password or not password.strip():
        raise AccountError("password_empty", "The password is empty.")
    if len(password) < PASSWORD_MIN:
        raise AccountError("password_short", f"The password must be at least {PASSWORD_MIN} characters long.")
    if len(password) > PASSWORD_MAX:
        raise AccountError("password_long", f"The password can be at most {PASSWORD_MAX} characters long.")


def _user(row: UserRow) -> User:
    return User(row.id, row.email, row.name, bool(row.is_admin), row.created_at, row.removed_at)


def summarise_agent(agent: str) -> str:
    """A short "browser on system" from a User-Agent header, to tell one's sessions apart; the raw header is not
    kept (it says more than needed)."""
    agent = agent or ""
    browser = next((name for token, name in (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                                             ("Chrome/", "Chrome"), ("Chromium/", "Chromium"),
                                             ("Safari/", "Safari")) if token in agent), "")
    system = next((name for token, name in (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
                                            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
                                            ("Linux", "Linux")) if token in agent), "")
    if browser and system:
        return f"{browser} / {system}"[:AGENT_MAX]
    return (browser or system or agent[:40] or "?")[:AGENT_MAX]


class Accounts:
    """Users, sessions, sign-in limits and the set-up token on one database."""

    def __init__(self, engine_or_store: Engine | Store, clock: Callable[[], float] = time.time,
                 hasher: PasswordHasher | None = None):
        self.store = engine_or_store if isinstance(engine_or_store, Store) else Store(engine_or_store)
        self.clock = clock
        self.hasher = hasher or password_hasher()
        self._dummy = None  # a hash to verify against when the e-mail is unknown: the same work, the same time

    # --- users ---------------------------------------------------------------------------------------------

    def create_user(self, email: str, name: str, password: str, is_admin: bool = False) -> User:
        """A new account; AccountError for a bad e-mail, name or password, or an e-mail already in use."""
        email, name = email.strip(), " ".join(name.split())
        if not EMAIL_RE.match(email) or len(email) > EMAIL_MAX:
            raise AccountError("email_invalid", "That is not an e-mail address.")
        if not name:
            raise AccountError("name_empty", "The name is empty.")
        if len(name) > NAME_MAX:
            raise AccountError("name_long", f"The name can be at most {NAME_MAX} characters long.")
        check_password(password)
        row = UserRow(id=secrets.token_hex(16), email=email, email_key=email_key(email), name=name,
                      password_hash=self.hasher.hash(password), is_admin=is_admin, created_at=self.clock())
        try:
            with self.store.transaction() as s:
                s.add(row)
        except IntegrityError:
            raise AccountError("email_taken", "There is already an account with this e-mail address.") from None
        return _user(row)

    def user(self, user_id: str) -> User | None:
        """The account with this id (removed or not), or None."""
        with self.store.sessions() as s:
            row = s.get(UserRow, user_id)
            return _user(row) if row else None

    def user_by_email(self, email: str) -> User | None:
        """The current account with this e-mail address (any capitals), or None."""
        with self.store.sessions() as s:
            row = s.scalar(select(UserRow).where(UserRow.email_key == email_key(email)))
            return _user(row) if row else None

    def by_email(self, email: str) -> Facilitator | None:
        """The current facilitator with this e-mail address, as the rights see them (``game.rights.UserDirectory``:
        adding a co-facilitator looks them up here), or None."""
        user = self.user_by_email(email.strip()) if len(email) <= EMAIL_MAX else None
        return Facilitator(user.id, user.email, user.name, user.is_admin) if user is not None else None

    def users(self) -> list[User]:
        """Every current account, administrators first, then by name."""
        with self.store.sessions() as s:
            rows = s.scalars(select(UserRow).where(UserRow.removed_at.is_(None))).all()
        return sorted((_user(r) for r in rows), key=lambda u: (not u.is_admin, u.name.lower(), u.email.lower()))

    def admin_exists(self) -> bool:
        """Whether the server has been set up: a current administrator exists."""
        with self.store.sessions() as s:
            return s.scalar(select(UserRow.id).where(UserRow.is_admin.is_(True), UserRow.removed_at.is_(None))
                            .limit(1)) is not None

    def remove_user(self, user_id: str) -> bool:
        """Remove an account and end its sessions; the row stays (what it made points at it), its e-mail is free
        again. False if there is no such current account. The last administrator cannot be removed."""
        now = self.clock()
        with self.store.transaction() as s:
            row = s.get(UserRow, user_id)
            if row is None or row.removed_at is not None:
                return False
            if row.is_admin and self._admins(s) <= 1:
                raise AccountError("last_admin", "This is the only administrator; make someone else an "
                                                 "administrator first.")
            row.removed_at, row.email_key = now, None
            self._end_sessions(s, user_id, now)
        return True

    def set_admin(self, user_id: str, is_admin: bool) -> bool:
        """Make an account an administrator, or not (the last administrator stays one)."""
        with self.store.transaction() as s:
            row = s.get(UserRow, user_id)
            if row is None or row.removed_at is not None:
                return False
            if row.is_admin and not is_admin and self._admins(s) <= 1:
                raise AccountError("last_admin", "This is the only administrator; make someone else an "
                                                 "administrator first.")
            row.is_admin = is_admin
        return True

    @staticmethod
    def _admins(s) -> int:
        return s.scalar(select(func.count()).select_from(UserRow)
                        .where(UserRow.is_admin.is_(True), UserRow.removed_at.is_(None)))

    def set_password(self, user_id: str, password: str) -> int:
        """A new password (a reset): every session of the account ends. Returns how many were ended."""
        check_password(password)
        hashed, now = self.hasher.hash(password), self.clock()
        with self.store.transaction() as s:
            row = s.get(UserRow, user_id)
            if row is None or row.removed_at is not None:
                raise AccountError("no_user", "There is no such account.")
            row.password_hash = hashed
            return self._end_sessions(s, user_id, now)

    # --- signing in ----------------------------------------------------------------------------------------

    def refusal(self, email: str, address: str) -> Refusal | None:
        """Whether a sign-in for this e-mail from this address must wait (too many failures lately), and how long.
        The same for an e-mail that has no account: a refusal tells nothing about who has one."""
        now = self.clock()
        since = now - WINDOW
        with self.store.sessions() as s:
            for reason, kind, key, limit in (("account", "email", email_key(email), ACCOUNT_LIMIT),
                                             ("address", "address", address, ADDRESS_LIMIT)):
                times = s.scalars(select(SignInFailureRow.at).where(
                    SignInFailureRow.kind == kind, SignInFailureRow.key == key[:EMAIL_MAX],
                    SignInFailureRow.at > since).order_by(SignInFailureRow.at.desc()).limit(limit)).all()
                if len(times) >= limit:
                    return Refusal(reason, max(1.0, times[-1] + WINDOW - now))
        return None

    def verify(self, email: str, password: str, address: str) -> User | None:
        """The account these credentials open, or None (a failure is counted for the e-mail and the address).
        Call ``refusal`` first. An unknown e-mail costs the same hashing as a wrong password. A hash made with
        older parameters is replaced now that the password is at hand."""
        with self.store.sessions() as s:
            row = s.scalar(select(UserRow).where(UserRow.email_key == email_key(email)))
        ok = False
        if row is not None:
            try:
                ok = self.hasher.verify(row.password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
        else:
            if self._dummy is None:
                self._dummy = self.hasher.hash(secrets.token_hex(16))
            try:
                self.hasher.verify(self._dummy, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                pass
        if not ok:
            self.record_failure(email, address)
            return None
        if self.hasher.check_needs_rehash(row.password_hash):
            with self.store.transaction() as s:
                s.execute(update(UserRow).where(UserRow.id == row.id)
                          .values(password_hash=self.hasher.hash(password)))
        with self.store.transaction() as s:  # a right password clears the account's count (not the address's)
            s.execute(delete(SignInFailureRow).where(SignInFailureRow.kind == "email",
                                                     SignInFailureRow.key == email_key(email)[:EMAIL_MAX]))
        return _user(row)

    def record_failure(self, email: str, address: str) -> None:
        """Count a failed sign-in for the e-mail and the address; forget failures older than the window."""
        now = self.clock()
        with self.store.transaction() as s:
            s.add(SignInFailureRow(kind="email", key=email_key(email)[:EMAIL_MAX], at=now))
            s.add(SignInFailureRow(kind="address", key=address[:EMAIL_MAX], at=now))
            s.execute(delete(SignInFailureRow).where(SignInFailureRow.at <= now - WINDOW))

    # --- sessions ------------------------------------------------------------------------------------------

    def start_session(self, user_id: str, agent: str = "") -> str:
        """A new sign-in session; returns its random id (for the browser's cookie only)."""
        session_id, now = secrets.token_urlsafe(32), self.clock()
        with self.store.transaction() as s:
            s.add(SignInRow(id_hash=hash_secret(session_id), user_id=user_id, created_at=now, seen_at=now,
                            agent=summarise_agent(agent)))
        return session_id

    def session_user(self, session_id: str) -> User | None:
        """The current account of a session that has not ended, or None; notes when it was last seen."""
        if not isinstance(session_id, str) or not session_id or len(session_id) > 100:
            return None
        key, now = hash_secret(session_id), self.clock()
        with self.store.sessions() as s:
            found = s.execute(select(SignInRow, UserRow).join(UserRow, UserRow.id == SignInRow.user_id)
                              .where(SignInRow.id_hash == key)).first()
        if found is None:
            return None
        signin, row = found
        if signin.ended_at is not None or row.removed_at is not None or now - signin.seen_at > IDLE:
            return None
        if now - signin.seen_at >= SEEN_EVERY:
            with self.store.transaction() as s:
                s.execute(update(SignInRow).where(SignInRow.id_hash == key).values(seen_at=now))
        return _user(row)

    def end_session(self, session_id: str) -> None:
        """End one session by its id (signing out)."""
        self.end_session_by_key(hash_secret(session_id))

    def end_session_by_key(self, key: str, user_id: str | None = None) -> bool:
        """End one session by its stored key (of ``user_id``'s, when given); False if there was none to end."""
        with self.store.transaction() as s:
            query = update(SignInRow).where(SignInRow.id_hash == key, SignInRow.ended_at.is_(None))
            if user_id is not None:
                query = query.where(SignInRow.user_id == user_id)
            return s.execute(query.values(ended_at=self.clock())).rowcount > 0

    def end_sessions(self, user_id: str, keep: str | None = None) -> int:
        """End every session of an account (but the one with id ``keep``); returns how many were ended."""
        with self.store.transaction() as s:
            return self._end_sessions(s, user_id, self.clock(), hash_secret(keep) if keep else None)

    @staticmethod
    def _end_sessions(s, user_id: str, now: float, keep_key: str | None = None) -> int:
        query = update(SignInRow).where(SignInRow.user_id == user_id, SignInRow.ended_at.is_(None))
        if keep_key is not None:
            query = query.where(SignInRow.id_hash != keep_key)
        return s.execute(query.values(ended_at=now)).rowcount

    def sessions(self, user_id: str, include_ended: bool = False) -> list[SignIn]:
        """An account's sessions, most recently seen first."""
        with self.store.sessions() as s:
            query = select(SignInRow).where(SignInRow.user_id == user_id)
            if not include_ended:
                query = query.where(SignInRow.ended_at.is_(None))
            rows = s.scalars(query.order_by(SignInRow.seen_at.desc())).all()
        return [SignIn(r.id_hash, r.user_id, r.created_at, r.seen_at, r.ended_at, r.agent) for r in rows]

    # --- the set-up token ----------------------------------------------------------------------------------

    def new_setup_token(self) -> str | None:
        """A fresh one-time set-up token while no administrator exists (it replaces any earlier one), else None."""
        if self.admin_exists():
            return None
        token = secrets.token_urlsafe(24)
        with self.store.transaction() as s:
            s.execute(delete(SetupTokenRow))
            s.add(SetupTokenRow(id=1, token_hash=hash_secret(token), created_at=self.clock()))
        return token

    def setup_token_valid(self, token: str) -> bool:
        """Whether this is the current set-up token (and no administrator exists yet)."""
        if not isinstance(token, str) or not token or len(token) > 100:
            return False
        with self.store.sessions() as s:
            stored = s.scalar(select(SetupTokenRow.token_hash).where(SetupTokenRow.id == 1))
        return stored is not None and secrets.compare_digest(stored, hash_secret(token)) and not self.admin_exists()

    def set_up(self, token: str, email: str, name: str, password: str) -> User:
        """Use the set-up token up: the first account, an administrator. AccountError("setup_used") if the token
        is not (or no longer) the current one."""
        if not self.setup_token_valid(token):
            raise AccountError("setup_used", "This set-up link was used already or replaced.")
        with self.store.transaction() as s:  # used up first: of two forms sent at once only one gets an account
            if s.execute(delete(SetupTokenRow).where(SetupTokenRow.token_hash == hash_secret(token))).rowcount != 1:
                raise AccountError("setup_used", "This set-up link was used already or replaced.")
        try:
            return self.create_user(email, name, password, is_admin=True)
        except AccountError:
            with self.store.transaction() as s:  # bad input loses nothing: the same link works again
                s.execute(delete(SetupTokenRow))
                s.add(SetupTokenRow(id=1, token_hash=hash_secret(token), created_at=self.clock()))
            raise
