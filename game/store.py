"""SQLAlchemy models and load/save: the only module that touches the database.

A workshop's state is loaded whole and saved as the difference between the state a
command started from and the state the rules returned: entities that are the same
object in both are not written. The workshop row carries a version that every save
checks and bumps, so two writers can never both apply a command to the same version.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text as SqlText,
    bindparam,
    create_engine,
    delete,
    event,
    exc,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from .engine import (
    Answer,
    Card,
    Commitment,
    GameError,
    Phase,
    Pick,
    Player,
    Removed,
    Round,
    Score,
    Settings,
    State,
    Team,
    Workshop,
)
from .engine.state import Table, frozen_map

REPO = Path(__file__).resolve().parent.parent
DEFAULT_URL = f"sqlite:///{REPO / 'instance' / 'aandacht.sqlite3'}"


class Base(DeclarativeBase):
    """The declarative base of every table."""


class WorkshopRow(Base):
    """One workshop; ``version`` orders every change to it."""

    __tablename__ = "workshops"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, index=True)
    facilitator_key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    screen_key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(200))
    deck_id: Mapped[str] = mapped_column(String(64))
    cards: Mapped[list] = mapped_column(JSON)
    settings: Mapped[dict] = mapped_column(JSON)
    phase: Mapped[str] = mapped_column(String(16))
    round_index: Mapped[int] = mapped_column(Integer, default=-1)
    leaderboard_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # the base URL phones join by (QR code and link), as the facilitator chose it; NULL: found automatically
    join_base: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # the facilitator who made it (a users id; no foreign key until the accounts' table); NULL: made before accounts
    owner_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    # the generation of its console and screen links (see game.links); 0: made before generations
    link_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the team names it was created with, for "run again"; NULL: made before they were kept
    preset_teams: Mapped[list | None] = mapped_column(JSON, nullable=True)


class CoFacilitatorRow(Base):
    """A facilitator who runs a workshop with its owner, with the same rights on its console."""

    __tablename__ = "co_facilitators"
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    added_at: Mapped[float] = mapped_column(Float)


class ReplacedLinkRow(Base):
    """A console or screen key that a newer generation replaced: it answers "this link was replaced"."""

    __tablename__ = "replaced_links"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    replaced_at: Mapped[float] = mapped_column(Float)


class LinkDeviceRow(Base):
    """A device (browser) on which a console or screen link of a workshop was opened, in one link generation."""

    __tablename__ = "link_devices"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    generation: Mapped[int] = mapped_column(Integer)
    agent: Mapped[str] = mapped_column(String(120))  # a summary of its browser ("Firefox on Linux")
    opened_at: Mapped[float] = mapped_column(Float)
    seen_at: Mapped[float] = mapped_column(Float)


class TeamRow(Base):
    """A team in a workshop."""

    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    captain_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None: the earliest member


class PlayerRow(Base):
    """A participant; the phone proves who it is with a token whose hash is stored here."""

    __tablename__ = "players"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    joined_at: Mapped[float] = mapped_column(Float)
    team_joined_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    device: Mapped[str] = mapped_column(String(64), default="")  # the phone's device id, hashed per workshop


class RoundRow(Base):
    """A dealt card; the deadline is stored so that a restart keeps the countdown right."""

    __tablename__ = "rounds"
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[float] = mapped_column(Float)
    deadline: Mapped[float | None] = mapped_column(Float, nullable=True)
    locked_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    revealed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    scored_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    spotlight: Mapped[str | None] = mapped_column(String(32), nullable=True)
    timer_left: Mapped[float | None] = mapped_column(Float, nullable=True)  # a stopped countdown's time left


class PickRow(Base):
    """A player's current pick in a round."""

    __tablename__ = "picks"
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    player_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    response_id: Mapped[str] = mapped_column(String(8))
    at: Mapped[float] = mapped_column(Float)
    client_id: Mapped[str] = mapped_column(String(64), default="")
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    text: Mapped[str] = mapped_column(SqlText, default="")


class AnswerRow(Base):
    """A team's locked-in answer in a round."""

    __tablename__ = "answers"
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    response_id: Mapped[str] = mapped_column(String(8))
    why: Mapped[str] = mapped_column(SqlText, default="")
    player_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    at: Mapped[float] = mapped_column(Float)
    auto: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(SqlText, default="")


class ScoreRow(Base):
    """A team's points in a round."""

    __tablename__ = "scores"
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    attention: Mapped[int] = mapped_column(Integer)
    ease: Mapped[int] = mapped_column(Integer)
    resolution: Mapped[int] = mapped_column(Integer)
    ownership: Mapped[int] = mapped_column(Integer)
    proportion: Mapped[int] = mapped_column(Integer)
    flag: Mapped[bool] = mapped_column(Boolean, default=False)
    bonus: Mapped[int] = mapped_column(Integer, default=0)


class CommitmentRow(Base):
    """A participant's commitment from the debrief."""

    __tablename__ = "commitments"
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True)
    player_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(SqlText)
    at: Mapped[float] = mapped_column(Float)
    approved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class RemovedRow(Base):
    """A participant the facilitator removed and has not allowed back; ``device`` recognises their phone."""

    __tablename__ = "removed_players"
    workshop_id: Mapped[str] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True)
    player_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[float] = mapped_column(Float)


class DeckRow(Base):
    """A deck a facilitator made, imported or duplicated: its YAML text, valid by ``game.decks.parse_deck``.

    The built-in decks stay in ``scenarios/*.yaml``; ``version`` orders every change to a stored deck.
    """

    __tablename__ = "decks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    yaml: Mapped[str] = mapped_column(SqlText)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # who made, imported or duplicated it (a users id); NULL: made before accounts (see game.rights)
    owner_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class UserRow(Base):
    """A facilitator's account. ``email_key`` is the e-mail in lower case (unique: one account per address, whatever
    its capitals); a removed account keeps its row (the decks and workshops it made point at it) with ``email_key``
    NULL, so the address can be given a new account."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    removed_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class SignInRow(Base):
    """A server-side sign-in session: the browser's cookie holds the random id, this row its SHA-256. Ending it
    (signing out, a password reset, an administrator) signs that browser out on its next request."""

    __tablename__ = "signins"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    seen_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    agent: Mapped[str] = mapped_column(String(120), default="")  # "Firefox on Windows": to tell sessions apart


class SignInFailureRow(Base):
    """One failed sign-in, counted per account (``kind`` "email", ``key`` the lower-case e-mail, known or not) and
    per client address (``kind`` "address"): in the database, so that every process of a cluster counts the same."""

    __tablename__ = "signin_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(254))
    at: Mapped[float] = mapped_column(Float, index=True)


class SetupTokenRow(Base):
    """The one-time set-up link's token (hashed) while no administrator exists; at most one row."""

    __tablename__ = "setup_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)


_BY_CODE = select(WorkshopRow.id).where(WorkshopRow.code == bindparam("code"))
_VERSION = select(WorkshopRow.version).where(WorkshopRow.id == bindparam("wid"))
_TOKEN_OWNER = select(PlayerRow.workshop_id, PlayerRow.id).where(PlayerRow.token_hash == bindparam("token_hash"))
_JOIN_BASE = select(WorkshopRow.join_base).where(WorkshopRow.id == bindparam("wid"))
_BY_TOKEN = select(PlayerRow.id).where(PlayerRow.token_hash == bindparam("token_hash"),
                                      PlayerRow.workshop_id == bindparam("wid"))


class VersionConflict(Exception):
    """Another writer changed the workshop since it was loaded."""


class StorageUnavailable(GameError):
    """The database cannot store a change right now (a full disk, a lost connection, a read-only failover):
    the command was not stored and changed nothing, so the client may simply send it again."""

    def __init__(self):
        super().__init__("storage_unavailable", "The server cannot save right now; nothing was changed. "
                                                "Please try again in a moment.")


# SQLite's primary result codes that mean its storage failed, not the statement: busy, locked, out of memory,
# read-only, I/O error, full, cannot open, locking protocol, no large-file support (https://sqlite.org/rescode.html).
# SQLITE_ERROR (1) is a bad statement or a missing table: a programming error, never retried.
SQLITE_STORAGE_CODES = frozenset({5, 6, 7, 8, 10, 13, 14, 15, 22})
SQLITE_STORAGE_WORDS = ("disk is full", "disk i/o error", "database is locked", "table is locked", "readonly database",
                        "unable to open", "out of memory", "locking protocol")
PG_READ_ONLY = "25006"  # read_only_sql_transaction: a server that became a standby (failover) or was set read-only


def storage_failure(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot store or be reached right now, as opposed to a bad statement or a
    broken rule (integrity and programming errors are bugs: they are never reported as storage trouble).

    PostgreSQL (psycopg2) reports connection loss, a full disk, too many connections, a shutdown, a deadlock or a
    cancelled statement as OperationalError and bad SQL as ProgrammingError; SQLite reports both as OperationalError,
    so there its result code (or, without one, its message) tells them apart."""
    if isinstance(error, (StorageUnavailable, DisconnectionError, exc.TimeoutError, InterfaceError)):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in SQLITE_STORAGE_CODES
        return any(words in str(orig).lower() for words in SQLITE_STORAGE_WORDS)
    if isinstance(error, OperationalError):
        return True
    return getattr(orig, "pgcode", None) == PG_READ_ONLY


def fail_commits_while(engine: Engine, failing: Callable[[], bool]) -> None:
    """FOR TESTS ONLY: while ``failing()`` is true every commit on ``engine`` fails as SQLite's does on a full disk
    (the transaction is rolled back and ``sqlite3.OperationalError: database or disk is full`` is raised, which
    SQLAlchemy wraps as its ``OperationalError``). The server installs it only when the test-only environment
    variable ``AANDACHT_TEST_STORAGE_FAULT`` is set (see ``game.web.create_app``)."""
    commit = engine.dialect.do_commit

    def do_commit(dbapi_connection):
        if failing():
            dbapi_connection.rollback()
            raise sqlite3.OperationalError("database or disk is full")
        commit(dbapi_connection)

    engine.dialect.do_commit = do_commit


def hash_secret(secret: str) -> str:
    """The stored form of a key or token: its SHA-256, so a leaked database grants nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


def database_url() -> str:
    """The database to use: ``DATABASE_URL`` or an SQLite file under ``instance/``."""
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout, PostgreSQL a sized, pre-pinged pool."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            """Turn on what SQLite leaves off by default."""
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    # Every green thread that runs a command holds one connection for its short transaction. Per process at
    # most pool + overflow connections: keep processes x (pool + overflow) below PostgreSQL's max_connections.
    pool = int(os.environ.get("AANDACHT_DB_POOL_SIZE", "20"))
    overflow = int(os.environ.get("AANDACHT_DB_MAX_OVERFLOW", "40"))
    options: dict = {}
    address = make_url(url)
    if address.drivername == "postgresql":
        # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, which is not installed here: psycopg2 is the driver
        # that waits cooperatively under eventlet (pyproject.toml)
        address = address.set(drivername="postgresql+psycopg2")
    if address.drivername == "postgresql+psycopg2":
        # a group of changed rows (one UPDATE executed for each, ``_sync``) goes in pages of 100 per round trip
        # (psycopg2's execute_batch), not one round trip per row
        options["executemany_mode"] = "values_plus_batch"
    return create_engine(address, pool_size=pool, max_overflow=overflow, pool_pre_ping=True, pool_recycle=1800,
                         **options)


class Store:
    """Loads and saves workshops; one short transaction per call."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    # --- creating and finding ------------------------------------------------

    def create_workshop(self, workshop: Workshop, facilitator_key: str, screen_key: str, owner_id: str | None = None,
                        generation: int = 0, preset_teams: list[str] | None = None) -> None:
        """Insert a new workshop (its code must be free), owned by ``owner_id`` (None: nobody yet), with its links of
        ``generation`` and the team names it is created with."""
        with self.transaction() as s:
            s.add(
                WorkshopRow(
                    owner_id=owner_id,
                    link_generation=generation,
                    preset_teams=preset_teams,
                    id=workshop.id,
                    code=workshop.code,
                    facilitator_key_hash=hash_secret(facilitator_key),
                    screen_key_hash=hash_secret(screen_key),
                    title=workshop.title,
                    deck_id=workshop.deck_id,
                    cards=[c.to_dict() for c in workshop.cards],
                    settings=workshop.settings.to_dict(),
                    phase=workshop.phase.value,
                    round_index=workshop.round_index,
                    leaderboard_visible=workshop.leaderboard_visible,
                    created_at=workshop.created_at,
                    finished_at=workshop.finished_at,
                    updated_at=workshop.created_at,
                    version=0,
                )
            )

    def code_in_use(self, code: str) -> bool:
        """Whether a room code is taken."""
        with self.sessions() as s:
            return s.scalar(select(WorkshopRow.id).where(WorkshopRow.code == code)) is not None

    def workshop_id_by_key(self, role: str, key: str) -> str | None:
        """The workshop a facilitator or screen key opens, or None."""
        column = WorkshopRow.facilitator_key_hash if role == "facilitator" else WorkshopRow.screen_key_hash
        with self.sessions() as s:
            return s.scalar(select(WorkshopRow.id).where(column == hash_secret(key)))

    def replaced_link(self, key: str) -> tuple[str, str] | None:
        """The workshop and role (facilitator, screen) of a key that a newer link generation replaced, or None."""
        with self.sessions() as s:
            row = s.execute(select(ReplacedLinkRow.workshop_id, ReplacedLinkRow.role)
                            .where(ReplacedLinkRow.key_hash == hash_secret(key))).first()
        return None if row is None else (row[0], row[1])

    def link_generation(self, workshop_id: str) -> int | None:
        """The generation of a workshop's console and screen links (0: made before generations), or None."""
        with self.sessions() as s:
            return s.scalar(select(WorkshopRow.link_generation).where(WorkshopRow.id == workshop_id))

    def replace_links(self, workshop_id: str, generation: int, facilitator_key: str, screen_key: str,
                      now: float) -> bool:
        """Move a workshop's links from ``generation`` to the next with these new keys: the old keys are kept as
        replaced (they answer "this link was replaced"), the devices that held them are forgotten. False when the
        workshop is gone or another revoke moved the generation on first."""
        with self.transaction() as s:
            table = WorkshopRow.__table__
            old = s.execute(select(table.c.facilitator_key_hash, table.c.screen_key_hash)
                            .where(table.c.id == workshop_id, table.c.link_generation == generation)
                            .with_for_update()).first()
            if old is None:
                return False
            moved = s.execute(update(table).where(table.c.id == workshop_id, table.c.link_generation == generation)
                              .values(link_generation=generation + 1, facilitator_key_hash=hash_secret(facilitator_key),
                                      screen_key_hash=hash_secret(screen_key)))
            if moved.rowcount != 1:
                return False
            s.execute(ReplacedLinkRow.__table__.insert(), [
                {"key_hash": old[0], "workshop_id": workshop_id, "role": "facilitator", "replaced_at": now},
                {"key_hash": old[1], "workshop_id": workshop_id, "role": "screen", "replaced_at": now},
            ])
            s.execute(delete(LinkDeviceRow).where(LinkDeviceRow.workshop_id == workshop_id,
                                                  LinkDeviceRow.generation <= generation))
            return True

    # --- owners, co-facilitators, history ---------------------------------------------

    def workshop_access(self, workshop_id: str) -> tuple[str | None, list[str]] | None:
        """A workshop's owner (None: nobody yet) and its co-facilitators' ids, or None when it is gone."""
        with self.sessions() as s:
            found = s.execute(select(WorkshopRow.owner_id).where(WorkshopRow.id == workshop_id)).first()
            if found is None:
                return None
            co = s.scalars(select(CoFacilitatorRow.user_id).where(CoFacilitatorRow.workshop_id == workshop_id)
                           .order_by(CoFacilitatorRow.added_at, CoFacilitatorRow.user_id))
            return found[0], list(co)

    def preset_teams(self, workshop_id: str) -> list[str] | None:
        """The team names a workshop was created with (None: made before they were kept, or gone)."""
        with self.sessions() as s:
            return s.scalar(select(WorkshopRow.preset_teams).where(WorkshopRow.id == workshop_id))

    def add_co_facilitator(self, workshop_id: str, user_id: str, now: float) -> bool:
        """Add a co-facilitator to a workshop; False when they were one already."""
        try:
            with self.transaction() as s:
                s.add(CoFacilitatorRow(workshop_id=workshop_id, user_id=user_id, added_at=now))
        except IntegrityError:  # the primary key: already one (or the workshop is gone: the foreign key)
            return False
        return True

    def remove_co_facilitator(self, workshop_id: str, user_id: str) -> bool:
        """Remove a co-facilitator from a workshop; False when they were none."""
        with self.transaction() as s:
            return s.execute(delete(CoFacilitatorRow).where(CoFacilitatorRow.workshop_id == workshop_id,
                                                            CoFacilitatorRow.user_id == user_id)).rowcount == 1

    def facilitator_workshops(self, user_id: str, limit: int = 100) -> list[dict]:
        """The workshops ``user_id`` owns or co-runs, newest first: id, title, code, phase, round index, cards,
        created time, settings, players, teams, and ``role`` (owner or co-facilitator). One query."""
        players = (select(func.count()).select_from(PlayerRow).where(PlayerRow.workshop_id == WorkshopRow.id)
                   .correlate(WorkshopRow).scalar_subquery())
        teams = (select(func.count()).select_from(TeamRow).where(TeamRow.workshop_id == WorkshopRow.id)
                 .correlate(WorkshopRow).scalar_subquery())
        co = select(CoFacilitatorRow.workshop_id).where(CoFacilitatorRow.user_id == user_id)
        query = (
            select(WorkshopRow.id, WorkshopRow.title, WorkshopRow.code, WorkshopRow.phase, WorkshopRow.round_index,
                   WorkshopRow.cards, WorkshopRow.created_at, WorkshopRow.settings, WorkshopRow.owner_id,
                   players.label("players"), teams.label("teams"))
            .where((WorkshopRow.owner_id == user_id) | WorkshopRow.id.in_(co))
            .order_by(WorkshopRow.created_at.desc(), WorkshopRow.id)
            .limit(limit)
        )
        with self.sessions() as s:
            rows = s.execute(query).all()
        return [
            {"id": r.id, "title": r.title, "code": r.code, "phase": r.phase, "round_index": r.round_index,
             "cards": len(r.cards), "created_at": r.created_at, "settings": r.settings, "players": r.players,
             "teams": r.teams, "role": "owner" if r.owner_id == user_id else "co-facilitator"}
            for r in rows
        ]

    def adopt_orphans(self, owner_id: str) -> tuple[int, int]:
        """Give every deck and workshop without an owner to ``owner_id``; return how many (decks, workshops)."""
        with self.transaction() as s:
            decks = s.execute(update(DeckRow).where(DeckRow.owner_id.is_(None)).values(owner_id=owner_id)).rowcount
            workshops = s.execute(update(WorkshopRow.__table__).where(WorkshopRow.owner_id.is_(None))
                                  .values(owner_id=owner_id)).rowcount
        return decks, workshops

    # --- the devices that opened a workshop's links --------------------------------------

    def record_link_device(self, device_id: str, workshop_id: str, role: str, generation: int, agent: str,
                           now: float) -> bool:
        """Remember (or see again) a device that opened a workshop's console or screen link of ``generation``;
        False when that generation is no longer the workshop's (the link was replaced meanwhile)."""
        with self.transaction() as s:
            current = s.scalar(select(WorkshopRow.link_generation).where(WorkshopRow.id == workshop_id))
            if current != generation:
                return False
            row = s.get(LinkDeviceRow, device_id)
            if row is None:
                s.add(LinkDeviceRow(id=device_id, workshop_id=workshop_id, role=role, generation=generation,
                                    agent=agent[:120], opened_at=now, seen_at=now))
            elif row.workshop_id == workshop_id and row.generation == generation:
                row.seen_at = now
            else:  # an id is random and per workshop: never another workshop's row
                return False
            return True

    def link_devices(self, workshop_id: str) -> list[LinkDeviceRow]:
        """The devices holding a workshop's current links, first opened first."""
        with self.sessions() as s:
            current = select(WorkshopRow.link_generation).where(WorkshopRow.id == workshop_id).scalar_subquery()
            return list(s.scalars(select(LinkDeviceRow).where(LinkDeviceRow.workshop_id == workshop_id,
                                                              LinkDeviceRow.generation == current)
                                  .order_by(LinkDeviceRow.opened_at, LinkDeviceRow.id)))

    def _scalar(self, statement, **params):
        """One value from a prepared statement on a plain connection: the look-ups every page load, connection
        and command makes skip the ORM session (a third of their cost in the benchmark's profile)."""
        with self.engine.connect() as conn:
            return conn.execute(statement, params).scalar()

    def workshop_id_by_code(self, code: str) -> str | None:
        """The workshop behind a room code, or None."""
        return self._scalar(_BY_CODE, code=code)

    def player_by_token(self, workshop_id: str, token: str) -> str | None:
        """The player a phone's token belongs to in this workshop, or None."""
        return self._scalar(_BY_TOKEN, token_hash=hash_secret(token), wid=workshop_id)

    def token_owner(self, token: str) -> tuple[str, str] | None:
        """The workshop and player a phone's token belongs to, or None (the token alone: no room code is looked up)."""
        with self.engine.connect() as conn:
            row = conn.execute(_TOKEN_OWNER, {"token_hash": hash_secret(token)}).first()
        return None if row is None else (row[0], row[1])

    def version(self, workshop_id: str) -> int | None:
        """The workshop's current version, or None if it does not exist."""
        return self._scalar(_VERSION, wid=workshop_id)

    def join_base(self, workshop_id: str) -> str | None:
        """The join address the facilitator chose for a workshop, or None (found automatically)."""
        return self._scalar(_JOIN_BASE, wid=workshop_id)

    def set_join_base(self, workshop_id: str, base: str | None) -> bool:
        """Keep the join address phones should use (None: find it automatically); False if the workshop is gone.
        Not a change of the game: the version stays, so no page's view is out of date by it."""
        with self.transaction() as s:
            table = WorkshopRow.__table__
            result = s.execute(update(table).where(table.c.id == workshop_id).values(join_base=base))
            return result.rowcount == 1

    def active_deadlines(self) -> list[tuple[str, int, float]]:
        """(workshop, round, deadline) of every running countdown, for the timer after a restart."""
        with self.sessions() as s:
            rows = s.execute(
                select(RoundRow.workshop_id, RoundRow.index, RoundRow.deadline)
                .join(WorkshopRow, WorkshopRow.id == RoundRow.workshop_id)
                .where(
                    WorkshopRow.phase == Phase.COLLECTING.value,
                    RoundRow.index == WorkshopRow.round_index,
                    RoundRow.deadline.is_not(None),
                )
            ).all()
        return [(w, i, d) for w, i, d in rows]

    # --- loading -------------------------------------------------------------

    def claim(self, session: Session, workshop_id: str, now: float | None) -> int | None:
        """Take the workshop's write lock for this transaction and move it to its next version in one statement;
        return the version it had (None if it is gone); ``now`` (if given) is when it changed. The caller's changes
        follow with ``write``; a command that changes nothing rolls the transaction back, so the version moves only
        with a change.

        PostgreSQL locks the workshop's row (other workshops go on in parallel); SQLite takes its database write
        lock by starting with a write. Either way a second writer of the same workshop, in this process or
        another, waits until this transaction ends.
        """
        table = WorkshopRow.__table__
        claimed = session.execute(
            update(table)
            .where(table.c.id == workshop_id)
            .values(version=table.c.version + 1, **({"updated_at": now} if now is not None else {}))
            .returning(table.c.version)
        ).scalar()
        return None if claimed is None else claimed - 1

    def write(self, session: Session, old: State, new: State, tokens: dict[str, str] | None = None) -> None:
        """Write what changed from ``old`` to ``new`` after ``claim`` (which moved the version already)."""
        if old.workshop is not new.workshop:
            w, table = new.workshop, WorkshopRow.__table__
            session.execute(
                update(table)
                .where(table.c.id == w.id)
                .values(phase=w.phase.value, round_index=w.round_index, leaderboard_visible=w.leaderboard_visible,
                        finished_at=w.finished_at, settings=w.settings.to_dict())
            )
        wid = new.workshop.id
        # a table whose mapping is the very same object is unchanged (the rules replace only what they change)
        _sync(session, TeamRow, old.teams, new.teams, wid, ("id",))
        hashes = {pid: {"token_hash": hash_secret(token)} for pid, token in (tokens or {}).items()}
        _sync(session, PlayerRow, old.players, new.players, wid, ("id",), hashes)
        if old.rounds is not new.rounds:
            rounds_before, rounds_after = ({r.index: r for r in st.rounds} for st in (old, new))
            _sync(session, RoundRow, rounds_before, rounds_after, wid, ("index",))
        _sync(session, PickRow, old.picks, new.picks, wid, ("round", "player_id"))
        _sync(session, AnswerRow, old.answers, new.answers, wid, ("round", "team_id"))
        _sync(session, ScoreRow, old.scores, new.scores, wid, ("round", "team_id"))
        _sync(session, CommitmentRow, old.commitments, new.commitments, wid, ("player_id",))
        _sync(session, RemovedRow, old.removed, new.removed, wid, ("player_id",))

    def load(self, workshop_id: str, session: Session | None = None) -> tuple[State, int] | None:
        """Load a workshop's whole state and its version, or None (inside ``session`` when given)."""
        if session is not None:
            return self._load(session, workshop_id)
        with self.sessions() as s:
            if s.get_bind().dialect.name == "postgresql":  # one snapshot for all the reads, not one per statement
                s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            return self._load(s, workshop_id)

    def _load(self, s: Session, workshop_id: str) -> tuple[State, int] | None:
        """Read every row of a workshop."""
        row = s.get(WorkshopRow, workshop_id, populate_existing=True)
        if row is None:
            return None
        workshop = Workshop(
            id=row.id,
            code=row.code,
            title=row.title,
            deck_id=row.deck_id,
            cards=tuple(Card.from_dict(c) for c in row.cards),
            settings=Settings.from_dict(row.settings),
            created_at=row.created_at,
            phase=Phase(row.phase),
            round_index=row.round_index,
            leaderboard_visible=row.leaderboard_visible,
            finished_at=row.finished_at,
        )
        wid = row.id

        def rows(model):
            """Every row of one table for this workshop."""
            return s.scalars(select(model).where(model.workshop_id == wid)).all()

        state = State(
            workshop=workshop,
            teams=frozen_map({r.id: _entity(Team, r) for r in rows(TeamRow)}),
            players=frozen_map({r.id: _entity(Player, r) for r in rows(PlayerRow)}),
            rounds=tuple(sorted((_entity(Round, r) for r in rows(RoundRow)), key=lambda r: r.index)),
            picks=frozen_map({(r.round, r.player_id): _entity(Pick, r) for r in rows(PickRow)}, by_round=True),
            answers=frozen_map({(r.round, r.team_id): _entity(Answer, r) for r in rows(AnswerRow)}, by_round=True),
            scores=frozen_map({(r.round, r.team_id): _entity(Score, r) for r in rows(ScoreRow)}, by_round=True),
            commitments=frozen_map({r.player_id: _entity(Commitment, r) for r in rows(CommitmentRow)}),
            removed=frozen_map({r.player_id: _entity(Removed, r) for r in rows(RemovedRow)}),
        )
        return state, row.version

    # --- saving --------------------------------------------------------------

    def save(
        self,
        session: Session,
        old: State,
        new: State,
        version: int,
        tokens: dict[str, str] | None = None,
        now: float | None = None,
    ) -> int:
        """Write what changed from ``old`` to ``new``; refuse if the stored version moved on (the transaction is then
        rolled back). ``claim`` and ``write`` with a check of the version: for a caller without a lock of its own.

        ``tokens`` gives the secret token of each player this change creates; ``now`` is when it happened.
        """
        if self.claim(session, new.workshop.id, now) != version:
            raise VersionConflict(new.workshop.id)
        self.write(session, old, new, tokens)
        return version + 1

    def expired_workshops(self, before: float) -> list[str]:
        """Workshops that have not changed since ``before``."""
        last_change = func.coalesce(WorkshopRow.updated_at, WorkshopRow.created_at)
        with self.sessions() as s:
            return list(s.scalars(select(WorkshopRow.id).where(last_change < before)))

    def delete_workshop(self, workshop_id: str) -> None:
        """Delete a workshop and everything in it."""
        with self.transaction() as s:
            for model in (RemovedRow, CommitmentRow, ScoreRow, AnswerRow, PickRow, RoundRow, PlayerRow, TeamRow,
                          CoFacilitatorRow, ReplacedLinkRow, LinkDeviceRow):
                s.execute(delete(model).where(model.workshop_id == workshop_id))
            s.execute(delete(WorkshopRow).where(WorkshopRow.id == workshop_id))

    # --- stored decks (see game/library.py) ---------------------------------------

    def deck_versions(self) -> dict[str, tuple[int, float]]:
        """Every stored deck's id with its version and the time it was last saved."""
        with self.sessions() as s:
            rows = s.execute(select(DeckRow.id, DeckRow.version, DeckRow.updated_at))
            return {deck_id: (version, updated_at) for deck_id, version, updated_at in rows}

    def deck_rows(self, deck_ids: list[str] | None = None) -> list[DeckRow]:
        """Stored decks (all, or the given ids) with their YAML text."""
        with self.sessions() as s:
            query = select(DeckRow)
            if deck_ids is not None:
                query = query.where(DeckRow.id.in_(deck_ids))
            return list(s.scalars(query))

    def insert_deck(self, deck_id: str, title: str, text: str, now: float, owner_id: str | None = None) -> bool:
        """Store a new deck, owned by ``owner_id`` (None: nobody yet); False when its id is taken."""
        try:
            with self.transaction() as s:
                s.add(DeckRow(id=deck_id, title=title, yaml=text, created_at=now, updated_at=now, version=1,
                              owner_id=owner_id))
        except IntegrityError:  # the primary key: the id is taken, perhaps by another process a moment ago
            return False
        return True

    def update_deck(self, deck_id: str, title: str, text: str, version: int, now: float) -> bool:
        """Replace a stored deck's text; False when it is gone or changed since ``version``."""
        with self.transaction() as s:
            result = s.execute(
                update(DeckRow)
                .where(DeckRow.id == deck_id, DeckRow.version == version)
                .values(title=title, yaml=text, updated_at=now, version=version + 1)
            )
            return result.rowcount == 1

    def deck_owner(self, deck_id: str) -> str | None:
        """The owner of a stored deck (None: nobody yet, or no such deck)."""
        with self.sessions() as s:
            return s.scalar(select(DeckRow.owner_id).where(DeckRow.id == deck_id))

    def delete_deck(self, deck_id: str) -> bool:
        """Delete a stored deck (workshops keep their own copy of its cards); False when it was gone."""
        with self.transaction() as s:
            return s.execute(delete(DeckRow).where(DeckRow.id == deck_id)).rowcount == 1


def _entity(cls, row):
    """Build an engine entity from a row whose columns carry the entity's field names."""
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


def _sync(session: Session, model, old, new, wid: str, key_columns: tuple[str, ...], extra=None) -> None:
    """Insert, update and delete rows so the table matches ``new`` where it differs from ``old``.

    ``extra`` maps a key to columns that only an insert sets (a new player's token hash). When ``new`` was made from
    ``old`` by the rules (``Table.changed_since``) only the keys they changed are looked at, so a pick in round 16
    is written as cheaply as one in round 1; otherwise the two are compared in full, by identity.
    """
    if old is new:
        return
    get = old.get
    keys = new.changed_since(old) if isinstance(new, Table) else None
    if keys is None:
        changed = [key for key, entity in new.items() if get(key) is not entity]  # the rules keep the unchanged
        # new = old - gone + inserts: count before building the set (a table rarely loses a row)
        inserted = sum(1 for key in changed if key not in old)
        gone = old.keys() - new.keys() if len(old) + inserted != len(new) else ()
    else:
        changed = [key for key in keys if key in new and get(key) is not new[key]]
        gone = [key for key in keys if key not in new and key in old]
    inserts, updates = [], []
    for key in changed:
        entity, before = new[key], get(key)
        row = {"workshop_id": wid, **asdict(entity)}
        if before is None:
            if extra is not None and key not in extra:
                raise ValueError(f"{model.__tablename__}: no insert-only values for {key!r}")
            inserts.append({**row, **(extra or {}).get(key, {})})
        else:
            updates.append(row)
    if inserts:
        session.execute(model.__table__.insert(), inserts)
    table = model.__table__  # Core statements: the ORM's bulk-update bookkeeping costs more than the writes
    if updates:
        # one statement for every changed row, executed for each (executemany), as the inserts are: a statement built
        # and compiled per row made 3,000 changed picks (people changing their mind) cost 1.3-2.0 s of CPU where
        # 3,000 new ones cost 0.5-0.8 s (bench.engine_cost with a burst of changes, 2026-12-06)
        keys = ("workshop_id", *key_columns)
        columns = [k for k in updates[0] if k not in keys]
        statement = (
            update(table)
            .where(*(table.c[k] == bindparam(f"key_{k}") for k in keys))
            .values({k: bindparam(f"new_{k}") for k in columns})
        )
        session.execute(statement, [
            {**{f"key_{k}": row[k] for k in keys}, **{f"new_{k}": row[k] for k in columns}} for row in updates
        ])
    for key in gone:
        parts = key if isinstance(key, tuple) else (key,)
        where = [table.c.workshop_id == wid] + [table.c[k] == v for k, v in zip(key_columns, parts, strict=True)]
        session.execute(delete(table).where(*where))
