"""Socket.IO handlers: thin. Authenticate, check the payload's shape, hand a command to
the service, acknowledge. The service commits before the acknowledgement and
publishes the new views; every emit names a room (see ``game.publish``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_socketio import ConnectionRefusedError

from ..engine import Actor, GameError, Role, State, commands as c
from ..engine.rules import REMOVED_MESSAGE
from ..engine.state import FACILITATOR
from ..publish import Connection, player_info
from ..rights import NOT_YOUR_WORKSHOP, SIGN_IN
from ..service import LINK_REPLACED, Service, new_id, normalise_code
from ..store import StorageUnavailable, storage_failure
from .links import acting_facilitator, browser_summary, device_of
from .pages import choose_join_address, join_link
from .realtime import socketio
from .security import client_address, guard
from .validate import Field, check

log = logging.getLogger(__name__)

ID = Field(str, max_length=64)
ROUND = Field(int)
NAME = Field(str, max_length=200)  # the rules allow 30; a longer name gets their clear message
POINTS = Field(int)


def service() -> Service:
    """The application's service."""
    return current_app.extensions["aandacht"]


def connection() -> Connection | None:
    """The registered connection of the socket sending this event."""
    return service().publisher.connections.get(request.sid)


def actor_of(conn: Connection, state: State) -> Actor | None:
    """Who this socket is, as the rules know roles; None for the screen, which sends no commands."""
    if conn.role == "facilitator":
        return FACILITATOR
    if conn.role == "player":
        if conn.player_id and conn.player_id in state.players:
            return Actor(Role.PLAYER, conn.player_id)
        return Actor(Role.GUEST)
    return None


def ok(**extra) -> dict:
    """A successful acknowledgement."""
    return {"ok": True, **extra}


def refused(error: GameError) -> dict:
    """A refused command's acknowledgement."""
    return {"ok": False, "error": error.to_dict()}


# --- connecting -----------------------------------------------------------------


def _refuse(code: str, message: str):
    """Refuse a connection with a code the page can act on."""
    raise ConnectionRefusedError(message, {"code": code, "message": message})


def _client_sent(reserved: str) -> bool:
    """Whether a "connect"/"disconnect" handler was called by a client event of that name, not by the
    connection itself: only a socket that is fully connected can send events."""
    if socketio.server.manager.is_connected(request.sid, "/"):
        log.warning("ignored a client event named %r", reserved)
        return True
    return False


@socketio.on("connect")
def on_connect(auth=None, *_extra):
    """Any page connects; ``auth`` says who it is (see docs/protocol.md).

    Sends this socket its whole state: ``game_state``, and ``player_info`` for a phone, ``join_link`` for a console
    and a big screen.
    """
    if _client_sent("connect"):
        return None
    svc = service()
    try:
        data = check(
            auth,
            {
                "role": Field(str, max_length=20),
                "key": Field(str, required=False, max_length=100),
                "code": Field(str, required=False, max_length=20),
                "token": Field(str, required=False, nullable=True, max_length=100),
                "device": Field(str, required=False, nullable=True, max_length=100),
                "workshop": Field(str, required=False, max_length=32),
                "acks": Field(bool, required=False),
            },
        )
    except GameError as error:
        _refuse(error.code, error.message)
    role = data["role"]
    player_id, device, link_device, account = None, "", "", None
    if role == "facilitator" and data.get("workshop") and not data.get("key"):
        workshop_id = data["workshop"]  # a console opened by id (/w/<id>): the signed-in facilitator's rights
        account = acting_facilitator()
        if not svc.may_run(workshop_id, account):
            _refuse("bad_key", "This link is not valid. Open the workshop from its own link.")
    elif role in ("facilitator", "screen"):
        key = data.get("key") or ""
        workshop_id = svc.store.workshop_id_by_key(role, key)
        if workshop_id is None:
            if key and svc.store.replaced_link(key) is not None:
                _refuse("link_replaced", LINK_REPLACED)
            _refuse("bad_key", "This link is not valid. Open the workshop from its own link.")
        link_device = _link_device(svc, workshop_id, role)
        if role == "facilitator" and not link_device:  # as the console page: its device, or a facilitator's rights
            account = acting_facilitator()
            if account is None:
                _refuse("sign_in", SIGN_IN)
            if not svc.may_run(workshop_id, account):
                _refuse("not_your_workshop", NOT_YOUR_WORKSHOP)
    elif role == "player":
        workshop_id, player_id = _find_room(svc, normalise_code(data.get("code") or ""), data.get("token"))
        device = device_hash(workshop_id, data.get("device") or "")
    else:
        _refuse("invalid", "Unknown role.")
    conn = Connection(request.sid, workshop_id, role, player_id, device=device, link_device=link_device,
                      account=account, paced=bool(data.get("acks")) and role in ("facilitator", "screen"))
    svc.publisher.register(conn)
    if not _send_state(conn):
        svc.publisher.forget(conn.sid)
        _refuse("no_such_workshop", "This workshop does not exist (any more).")
    state = svc.state(workshop_id, recent=True)  # in the room now: its code is known at this address
    if state is not None:
        guard().limiter.vouch(client_address(), state.workshop.code)
        if role in ("facilitator", "screen"):  # a page that was away may have missed a new join address
            svc.publisher.join_link_to(conn.sid, join_link(workshop_id, state.workshop.code))


def _link_device(svc: Service, workshop_id: str, role: str) -> str:
    """The device (``game.web.links``) this console or screen socket comes from, seen now; "" without one."""
    generation = svc.store.link_generation(workshop_id) or 0
    device = device_of(workshop_id, role, generation)
    if device and svc.store.record_link_device(device, workshop_id, role, generation, browser_summary(),
                                               svc.clock()):
        return device
    return ""


def _find_room(svc: Service, code: str, token: str | None) -> tuple[str, str | None]:
    """The workshop a phone connects to and its player (None: a guest who has not joined yet); refuse otherwise.

    A phone with a valid token for this room is never limited: the token is checked first, and alone (192 random
    bits, not a room code). Without one the room code is looked up, unless this address is limited for it
    (``GuessLimiter``: wrong codes are limited, the room's own code never is): then it is refused unseen."""
    if token:
        owner = svc.store.token_owner(token)
        if owner is not None and svc.workshop_by_code(code) == owner[0]:
            return owner
    limiter, address = guard().limiter, client_address()
    if not limiter.allows(address, code):
        _refuse("rate_limited", "Too many wrong room codes from this network; wait a minute and try again.")
    workshop_id = svc.workshop_by_code(code)
    if workshop_id is None and limiter.knows(address, code):  # its workshop was deleted: no guess, no miss
        _refuse("no_such_workshop", "There is no workshop with this room code.")
    if workshop_id is None:
        limited = limiter.blocked(address)  # a limited address's spare look-up: wrong is refused like the rest
        limiter.miss(address)
        if limited:
            _refuse("rate_limited", "Too many wrong room codes from this network; wait a minute and try again.")
        _refuse("no_such_workshop", "There is no workshop with this room code.")
    return workshop_id, None


def device_hash(workshop_id: str, device: str) -> str:
    """How a workshop knows a phone's device id: hashed with the workshop's id, so the stored value links no phone
    across workshops and the id itself is never stored ("" for none)."""
    if not device:
        return ""
    return hashlib.sha256(f"{workshop_id}:{device}".encode()).hexdigest()[:32]


@socketio.on("disconnect")
def on_disconnect(reason=None, *_extra):
    """A socket went away; nothing is sent."""
    if _client_sent("disconnect"):
        return None
    service().publisher.forget(request.sid)


@socketio.on("sync")
def on_sync(payload=None, *extra):
    """Any page asks for its whole state again (after the phone wakes up, say).

    Ack ``{"ok": true}``; the sender alone then receives ``game_state`` (and ``player_info``).
    """
    return _handle(lambda conn: _sync(conn, _one(payload, extra)))


def _sync(conn: Connection, payload) -> dict:
    """Answer ``sync``: send the socket its state again."""
    check(payload, {})
    if not _send_state(conn, fresh=True):
        raise GameError("no_such_workshop", "This workshop does not exist (any more).")
    return ok()


def _send_state(conn: Connection, fresh: bool = False) -> bool:
    """Put one socket in its rooms and send it its whole state; False if the workshop is gone.

    If a newer version reached this process while the state was loading, load again: a socket
    never ends on an older view than the one its rooms were sent. ``fresh`` (``sync``, and a page
    whose command was refused as out of date): the newest committed state even while a coalesced
    publication is pending; a connecting page may get the last published one, the pending follows.
    """
    svc = service()
    for attempt in range(5):
        found = svc.current(conn.workshop_id, fresh=fresh or attempt > 0)
        if found is None:
            return False
        state, views, version = found
        if svc.publisher.send_current(conn, state, views, None if attempt == 4 else version):
            return True
    return True  # pragma: no cover - the last attempt sends whatever it loaded


# --- commands -------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """A client command: its payload fields and how it becomes a rules command."""

    command: type
    fields: dict[str, Field]
    build: Callable[[dict], c.Command]


def _score(d: dict) -> c.ScoreTeam:
    return c.ScoreTeam(
        d["round"],
        d["team_id"],
        d["attention"],
        d["ease"],
        d["resolution"],
        d["ownership"],
        d["proportion"],
        d.get("flag", False),
        d.get("bonus", 0),
    )


EVENTS: dict[str, Event] = {
    # phones
    "join_team": Event(c.JoinTeam, {"team_id": ID}, lambda d: c.JoinTeam(d["team_id"])),
    "create_team": Event(c.CreateTeam, {"name": NAME}, lambda d: c.CreateTeam(new_id(), d["name"])),
    "submit_pick": Event(
        c.SubmitPick,
        {
            "round": ROUND,
            "response_id": Field(str, required=False, max_length=8),
            "text": Field(str, required=False, max_length=1000),
            "pick_id": Field(str, required=False, max_length=64),
            "seq": Field(int, required=False, high=2**53),
        },
        lambda d: c.SubmitPick(
            d["round"], d.get("response_id") or "", d.get("pick_id") or "", max(0, d.get("seq") or 0),
            d.get("text") or "",
        ),
    ),
    "lock_in": Event(
        c.LockIn,
        {
            "round": ROUND,
            "response_id": Field(str, required=False, max_length=8),
            "text": Field(str, required=False, max_length=1000),
            "why": Field(str, required=False, max_length=500),
        },
        lambda d: c.LockIn(d["round"], d.get("response_id") or "", d.get("why") or "", d.get("text") or ""),
    ),
    # facilitator
    "add_team": Event(c.AddTeam, {"name": NAME}, lambda d: c.AddTeam(new_id(), d["name"])),
    "rename_team": Event(c.RenameTeam, {"team_id": ID, "name": NAME}, lambda d: c.RenameTeam(d["team_id"], d["name"])),
    "rename_player": Event(
        c.RenamePlayer, {"player_id": ID, "name": NAME}, lambda d: c.RenamePlayer(d["player_id"], d["name"])
    ),
    "move_player": Event(
        c.MovePlayer,
        {"player_id": ID, "team_id": Field(str, nullable=True, max_length=64)},
        lambda d: c.MovePlayer(d["player_id"], d["team_id"]),
    ),
    "remove_player": Event(c.RemovePlayer, {"player_id": ID}, lambda d: c.RemovePlayer(d["player_id"])),
    "allow_back": Event(c.AllowBack, {"player_id": ID}, lambda d: c.AllowBack(d["player_id"])),
    "make_captain": Event(c.MakeCaptain, {"player_id": ID}, lambda d: c.MakeCaptain(d["player_id"])),
    "set_team_size": Event(c.SetTeamSize, {"team_size": Field(int)}, lambda d: c.SetTeamSize(d["team_size"])),
    "deal_card": Event(c.DealCard, {"round": ROUND}, lambda d: c.DealCard(d["round"])),
    "start_timer": Event(
        c.StartTimer,
        {"round": ROUND, "seconds": Field(int, required=False, nullable=True)},
        lambda d: c.StartTimer(d["round"], d.get("seconds")),
    ),
    "extend_timer": Event(
        c.ExtendTimer,
        {"round": ROUND, "seconds": Field(int, required=False)},
        lambda d: c.ExtendTimer(d["round"], d.get("seconds", 30)),
    ),
    "stop_timer": Event(c.StopTimer, {"round": ROUND}, lambda d: c.StopTimer(d["round"])),
    "lock_round": Event(c.LockRound, {"round": ROUND}, lambda d: c.LockRound(d["round"])),
    "reveal": Event(c.Reveal, {"round": ROUND}, lambda d: c.Reveal(d["round"])),
    "spotlight": Event(
        c.Spotlight,
        {"round": ROUND, "team_id": Field(str, nullable=True, max_length=64)},
        lambda d: c.Spotlight(d["round"], d["team_id"]),
    ),
    "score_team": Event(
        c.ScoreTeam,
        {
            "round": ROUND,
            "team_id": ID,
            "attention": POINTS,
            "ease": POINTS,
            "resolution": POINTS,
            "ownership": POINTS,
            "proportion": POINTS,
            "flag": Field(bool, required=False),
            "bonus": Field(int, required=False),
        },
        _score,
    ),
    "publish_scores": Event(c.PublishScores, {"round": ROUND}, lambda d: c.PublishScores(d["round"])),
    "set_leaderboard": Event(
        c.SetLeaderboard, {"visible": Field(bool)}, lambda d: c.SetLeaderboard(d["visible"])
    ),
    "end_workshop": Event(c.EndWorkshop, {}, lambda d: c.EndWorkshop()),
    # the debrief
    "leave_commitment": Event(
        c.LeaveCommitment, {"text": Field(str, max_length=500)}, lambda d: c.LeaveCommitment(d["text"])
    ),
    "review_commitment": Event(
        c.ReviewCommitment,
        {"player_id": ID, "approved": Field(bool)},
        lambda d: c.ReviewCommitment(d["player_id"], d["approved"]),
    ),
}


RESYNC = frozenset({"stale", "wrong_phase", "already_locked", "not_joined"})


def _one(payload, extra: tuple):
    """The single payload an event carries; more arguments than one are refused."""
    if extra:
        raise GameError("invalid", "Send one object with named fields, nothing more.")
    return payload


def _handle(work: Callable[[Connection], dict]) -> dict:
    """Run one event for the sending socket; turn every failure into an acknowledgement.

    A command refused because the sender's view was out of date also sends the sender its
    whole state again, so the page shows what is true now. A database that cannot be read or
    written right now is ``storage_unavailable`` (the sender may try again), never a server error.
    """
    conn = None
    try:
        conn = connection()
        if conn is None:
            raise GameError("not_connected", "Connect again first.")
        if conn.account is not None and not service().may_run(conn.workshop_id, conn.account):
            # let in by a sign-in whose rights ended since (a removed co-facilitator): refused from now on
            raise GameError("not_your_workshop", NOT_YOUR_WORKSHOP)
        return work(conn)
    except GameError as error:
        if conn is not None and error.code in RESYNC:
            _send_state(conn, fresh=True)
        return refused(error)
    except Exception as error:  # the sender gets an answer whatever happened; the log gets the rest
        if storage_failure(error):
            log.warning("event failed: the database is unavailable: %s", error)
            return refused(StorageUnavailable())
        log.exception("event failed")
        return refused(GameError("server_error", "Something went wrong on our side; please try again."))


def _command_handler(name: str, event: Event):
    """A handler that checks role and payload, then runs the command."""

    def handler(payload=None, *extra):
        def work(conn: Connection) -> dict:
            svc = service()
            state = svc.state(conn.workshop_id, recent=True)  # execute() reads the stored state again
            if state is None:
                raise GameError("no_such_workshop", "This workshop does not exist (any more).")
            actor = actor_of(conn, state)
            if actor is None or actor.role not in event.command.ROLES:
                if actor is not None and actor.role is Role.GUEST and Role.PLAYER in event.command.ROLES:
                    raise GameError("not_joined", "Join the workshop with a name first.")
                if conn.role == "facilitator":
                    raise GameError("forbidden", "That is for participants.")
                raise GameError("forbidden", "Only the facilitator can do that.")
            data = check(_one(payload, extra), event.fields)
            if "name" in data:
                guard().check_name(data["name"], "name" if event.command is c.RenamePlayer else "team name")
            if data.get("text"):
                guard().check_text(data["text"], "commitment" if event.command is c.LeaveCommitment else "answer")
            command = event.build(data)
            svc.execute(conn.workshop_id, actor, command)
            if isinstance(command, (c.CreateTeam, c.AddTeam)):
                return ok(team_id=command.team_id)
            return ok()

        return _handle(work)

    handler.__name__ = f"on_{name}"
    handler.__doc__ = f"``{name}``: see docs/protocol.md. Ack to the sender; new views to the workshop's rooms."
    return handler


for _name, _event in EVENTS.items():
    socketio.on_event(_name, _command_handler(_name, _event))


@socketio.on("join_workshop")
def on_join_workshop(payload=None, *extra):
    """A phone joins with a display name.

    Ack ``{"ok", "token", "player"}``: the phone keeps the token to come back as the same player.
    The rooms get new views; this socket also receives ``player_info``.
    """

    def work(conn: Connection) -> dict:
        svc = service()
        state = svc.state(conn.workshop_id, recent=True)  # execute() reads the stored state again
        if state is None:
            raise GameError("no_such_workshop", "This workshop does not exist (any more).")
        if conn.role != "player":
            raise GameError("forbidden", "Only phones join a workshop.")
        if conn.player_id and conn.player_id in state.players:
            raise GameError("already_joined", "You have already joined this workshop.")
        if conn.player_id and conn.player_id in state.removed:  # this socket's player was removed (no device id)
            raise GameError("removed", REMOVED_MESSAGE)
        data = check(_one(payload, extra), {"name": NAME})
        guard().check_name(data["name"])
        player_id, token = new_id(), secrets.token_urlsafe(24)
        join = c.JoinWorkshop(player_id, data["name"], conn.device)
        state = svc.execute(conn.workshop_id, Actor(Role.GUEST), join, {player_id: token})
        svc.publisher.identify(conn, state, player_id)
        return ok(token=token, **player_info(state, player_id))

    return _handle(work)


@socketio.on("set_join_address")
def on_set_join_address(payload=None, *extra):
    """The facilitator picks the address phones join by: ``{"url": one of the console's offered addresses, or null
    for automatic}``. Ack ``{"ok", "join_url", "qr_url", "join_loopback", "chosen"}``; every console and big screen
    of the workshop receives ``join_link`` with the same."""

    def work(conn: Connection) -> dict:
        if conn.role != "facilitator":
            raise GameError("forbidden", "Only the facilitator can do that.")
        data = check(_one(payload, extra), {"url": Field(str, nullable=True, max_length=200)})
        state = service().state(conn.workshop_id, recent=True)
        if state is None:
            raise GameError("no_such_workshop", "This workshop does not exist (any more).")
        return ok(**choose_join_address(conn.workshop_id, state.workshop.code, data["url"]))

    return _handle(work)


@socketio.on("revoke_links")
def on_revoke_links(payload=None, *extra):
    """The facilitator renews the workshop's console and screen links: ``{}``. Ack ``{"ok", "console_url",
    "screen_url"}`` (the new secret links; a console opened by id stays at ``/w/<id>``); every other console
    and screen socket of the workshop, on every process, receives ``links_replaced`` and is closed, and the old
    links answer "This link was replaced"."""

    def work(conn: Connection) -> dict:
        if conn.role != "facilitator":
            raise GameError("forbidden", "Only the facilitator can do that.")
        check(_one(payload, extra), {})
        svc = service()
        links = svc.revoke_links(conn.workshop_id, keep=request.sid)
        conn.link_device = ""  # its device held the old links: it opens the new one (the console reloads)
        return ok(console_url=url_for("pages.console", key=links.facilitator_key),
                  screen_url=url_for("pages.screen", key=links.screen_key))

    return _handle(work)


@socketio.on("link_devices")
def on_link_devices(payload=None, *extra):
    """The facilitator asks which devices hold the workshop's console and screen links: ``{}``. Ack ``{"ok",
    "devices": [{"id", "role", "browser", "opened_at", "seen_at", "connected"}]}``, first opened first;
    ``connected``: a console or screen of that device is connected to this server process now."""

    def work(conn: Connection) -> dict:
        if conn.role != "facilitator":
            raise GameError("forbidden", "Only the facilitator can do that.")
        check(_one(payload, extra), {})
        svc = service()
        here = svc.publisher.link_devices_here(conn.workshop_id)
        devices = [
            {"id": d.id, "role": d.role, "browser": d.agent, "opened_at": d.opened_at, "seen_at": d.seen_at,
             "connected": d.id in here}
            for d in svc.store.link_devices(conn.workshop_id)
        ]
        return ok(devices=devices)

    return _handle(work)
