"""The one place that emits: every emit names a room (or one socket).

It also keeps the registry of this process's sockets: which workshop, role and
player each belongs to, and which rooms it must be in. After every command a phone
whose team changed is moved to its new team's room before the views go out.

Every change publishes a ``Snapshot``: the workshop's stored version, every role's view
and each player's team. This process delivers it to its own sockets; with several
processes (``cluster``, see ``game.cluster``) every other process applies the same
command to its own copy of the state and publishes it to its sockets the same way. A
process delivers a workshop's versions in order and drops one older than what it
already delivered, so nobody ends up with an older view than one they were already sent.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .engine import State, Views
from .engine.state import Player, Removed

GAME_STATE = "game_state"
PLAYER_INFO = "player_info"
PRESENCE = "presence"
STORAGE = "storage"
WORKSHOP_DELETED = "workshop_deleted"
JOIN_LINK = "join_link"
LINKS_REPLACED = "links_replaced"
# A paced page that has not acknowledged its last message for this long gets the next one anyway: a page that
# hangs this long is likely gone (its socket closes soon), and a lost acknowledgement must not freeze a console.
PACE_PATIENCE = 30.0


def room(workshop_id: str, name: str) -> str:
    """A room's name: always scoped to one workshop."""
    return f"{workshop_id}:{name}"


def team_room(workshop_id: str, team_id: str) -> str:
    """The room of one team's phones."""
    return room(workshop_id, f"team:{team_id}")


@dataclass
class Connection:
    """One socket: its workshop, its role and, for a phone, its player and current room."""

    sid: str
    workshop_id: str
    role: str  # facilitator | screen | player
    player_id: str | None = None
    rooms: set[str] = field(default_factory=set)
    device: str = ""  # a phone's device id, hashed per workshop ("" when it sent none)
    info: dict | None = None  # the player_info this socket was sent last
    link_device: str = ""  # a console's or screen's device (game.web.links), "" when it has no device cookie
    account: Any = None  # a console let in by its facilitator's sign-in (game.rights.Facilitator), not by its device
    paced: bool = False  # a console or screen that acknowledges each game_state and presence (``Publisher.pace``)
    busy_since: float | None = None  # paced: when the message it has not acknowledged yet was sent
    waiting: dict[str, Any] = field(default_factory=dict)  # paced: event -> the newest payload not sent yet


@dataclass(frozen=True)
class Snapshot:
    """One stored version of a workshop as its pages see it."""

    workshop_id: str
    version: int | None  # None: not ordered (delivered whatever was delivered before)
    views: Views
    members: Mapping[str, Player]  # player id -> the player (id, name, team)
    removed: Mapping[str, Removed] = field(default_factory=dict)  # player id -> removed, not allowed back

    @classmethod
    def of(cls, state: State, views: Views, version: int | None) -> Snapshot:
        return cls(state.workshop.id, version, views, state.players, state.removed)


def _same(before: dict | None, view: dict) -> bool:
    """Whether a room that was sent ``before`` needs ``view`` at all: not when only the countdown's reading of the
    server clock differs (``timer.server_now`` and ``remaining``; the deadline is what a page counts down to)."""
    if before is None:
        return False
    if before is view:
        return True
    if before.keys() != view.keys():
        return False
    for key, value in view.items():
        old = before[key]
        if key == "timer" and isinstance(value, dict) and isinstance(old, dict):
            if old.get("deadline") != value.get("deadline"):
                return False
        elif old is not value and old != value:
            return False
    return True


def member_info(
    members: Mapping[str, Player], player_id: str | None, removed: Mapping[str, Removed] | None = None, device: str = ""
) -> dict:
    """What a phone learns about itself: its player, or none, and then whether the facilitator removed it (this
    player, or a player who joined from the same device) and has not allowed it back."""
    player = members.get(player_id or "")
    if player is not None:
        return {"player": {"id": player.id, "name": player.name, "team_id": player.team_id}}
    if removed and ((player_id or "") in removed or (device and any(r.device == device for r in removed.values()))):
        return {"player": None, "removed": True}
    return {"player": None}


def player_info(state: State, player_id: str | None, device: str = "") -> dict:
    """What a phone learns about itself."""
    return member_info(state.players, player_id, state.removed, device)


class Publisher:
    """Sends views to rooms through a Flask-SocketIO server."""

    def __init__(self, socketio, cluster=None):
        self.socketio = socketio
        self.cluster = cluster  # a game.cluster.Cluster when several processes serve the workshops
        if cluster is not None:
            cluster.publisher = self
        self.connections: dict[str, Connection] = {}
        self.online: dict[str, Counter] = {}  # workshop -> player id -> open sockets in this process
        self.delivered: dict[str, int] = {}  # workshop -> the newest version its sockets here were sent
        self._order: defaultdict[str, threading.RLock] = defaultdict(threading.RLock)
        self._sent: dict[str, dict[str, dict]] = {}  # workshop -> room -> the view last sent to it from here
        self.storage_failing = False  # what the consoles here were last told (``send_storage``)
        self._pages: dict[str, dict[str, Connection]] = {}  # console/screen room -> sid -> its sockets here
        self._pace = threading.Lock()

    def _emit(self, event: str, data, to: str) -> None:
        """Emit to this process's sockets in a room (or one socket here); other processes deliver their own."""
        self.socketio.emit(event, data, to=to, ignore_queue=True)

    # --- the socket registry --------------------------------------------------

    def register(self, conn: Connection) -> None:
        """Remember a new socket (a phone that already joined counts as online)."""
        self.connections[conn.sid] = conn
        if conn.role in ("facilitator", "screen"):
            self._pages.setdefault(room(conn.workshop_id, conn.role), {})[conn.sid] = conn
        if conn.player_id:
            self._count(conn.workshop_id, conn.player_id, +1)

    def identify(self, conn: Connection, state: State, player_id: str) -> None:
        """A phone's socket has just joined as a player: it learns who it is now."""
        conn.player_id = player_id
        self._count(conn.workshop_id, player_id, +1)
        self.inform(conn, player_info(state, player_id, conn.device))

    def inform(self, conn: Connection, info: dict) -> None:
        """Send a phone what it is (``player_info``) and remember it: it hears again only when that changes."""
        conn.info = info
        self._emit(PLAYER_INFO, info, to=conn.sid)

    def forget(self, sid: str) -> None:
        """Forget a socket that disconnected; its player is away unless another socket of theirs is open."""
        conn = self.connections.pop(sid, None)
        if conn is not None and conn.role in ("facilitator", "screen"):
            pages = self._pages.get(room(conn.workshop_id, conn.role), {})
            pages.pop(sid, None)
            if not pages:
                self._pages.pop(room(conn.workshop_id, conn.role), None)
        if conn is not None and conn.player_id:
            self._count(conn.workshop_id, conn.player_id, -1)

    def _count(self, workshop_id: str, player_id: str, delta: int) -> None:
        """Change a player's count of open sockets and tell the facilitator when they arrive or leave."""
        counts = self.online.setdefault(workshop_id, Counter())
        before = counts[player_id] > 0
        counts[player_id] += delta
        if counts[player_id] <= 0:
            del counts[player_id]
        if before != (counts[player_id] > 0):
            if self.cluster is not None:  # every console, on any process, learns it from the shared presence
                self.cluster.mark(workshop_id, player_id, counts[player_id] > 0)
            else:
                self.send_presence(workshop_id)

    def presence(self, workshop_id: str) -> dict:
        """Which players have a phone connected right now (to any process)."""
        if self.cluster is not None:
            return {"online": self.cluster.online(workshop_id)}
        return {"online": sorted(self.online.get(workshop_id, {}))}

    def send_presence(self, workshop_id: str, to: str | None = None, online: list[str] | None = None) -> None:
        """Tell the facilitator (every console device here, or one socket) who is connected."""
        def payload() -> dict:  # made once, and only if a socket gets it now
            if online is not None:
                return {"online": online}
            if "payload" not in made:
                made["payload"] = self.presence(workshop_id)
            return made["payload"]

        made: dict[str, dict] = {}
        self._to_pages(PRESENCE, payload, to or room(workshop_id, "facilitator"))

    def send_storage(self, failing: bool) -> None:
        """Tell every console here that storing changes fails (a banner), or works again: ``storage``
        ``{"failing": bool}``. A console that connects while it fails hears it as it connects (``send_to``)."""
        self.storage_failing = failing
        for workshop_id in self.consoles():
            self._emit(STORAGE, {"failing": failing}, to=room(workshop_id, "facilitator"))

    def consoles(self) -> set[str]:
        """The workshops with a facilitator's console connected to this process."""
        return {c.workshop_id for c in list(self.connections.values()) if c.role == "facilitator"}

    def rooms_for(self, conn: Connection, state: State | Mapping[str, Player]) -> set[str]:
        """The rooms a socket belongs in, given the workshop's state (or its members)."""
        members = state.players if isinstance(state, State) else state
        wid = conn.workshop_id
        if conn.role in ("facilitator", "screen"):
            return {room(wid, conn.role)}
        player = members.get(conn.player_id or "")
        if player is not None and player.team_id is not None:
            return {team_room(wid, player.team_id)}
        return {room(wid, "guests")}

    def place(self, conn: Connection, state: State | Mapping[str, Player]) -> bool:
        """Move a socket into the rooms it belongs in; True if anything changed."""
        wanted = self.rooms_for(conn, state)
        if wanted == conn.rooms:
            return False
        for name in conn.rooms - wanted:
            self.socketio.server.leave_room(conn.sid, name, namespace="/")
        for name in wanted - conn.rooms:
            self.socketio.server.enter_room(conn.sid, name, namespace="/")
        conn.rooms = wanted
        return True

    # --- sending ----------------------------------------------------------------

    def view_for(self, conn: Connection, state: State | Mapping[str, Player], views: Views) -> dict:
        """The view one socket should have."""
        members = state.players if isinstance(state, State) else state
        if conn.role == "facilitator":
            return views.facilitator
        if conn.role == "screen":
            return views.screen
        player = members.get(conn.player_id or "")
        if player is not None and player.team_id is not None:
            return views.teams[player.team_id]
        return views.guests

    def send_to(self, conn: Connection, state: State | Mapping[str, Player], views: Views) -> None:
        """Send one socket its whole state (on connect, on ``sync``, after it moved)."""
        members = state.players if isinstance(state, State) else state
        if conn.role == "player":
            removed = state.removed if isinstance(state, State) else None
            self.inform(conn, member_info(members, conn.player_id, removed, conn.device))
        self._to_pages(GAME_STATE, self.view_for(conn, members, views), conn.sid)
        if conn.role == "facilitator":
            self.send_presence(conn.workshop_id, to=conn.sid)
            if self.storage_failing:
                self._emit(STORAGE, {"failing": True}, to=conn.sid)

    def send_current(self, conn: Connection, state: State, views: Views, version: int | None) -> bool:
        """Put one socket in its rooms and send it its whole state, unless a newer version was already
        delivered here (then False: the caller loads the workshop again). From here on the socket
        receives every newer version through its rooms, so it never ends on an older one.

        A version newer than this process has delivered (another process's snapshot is still on its
        way) is delivered to every socket here first, so a late older snapshot is dropped."""
        with self._order[conn.workshop_id]:
            if version is not None:
                delivered = self.delivered.get(conn.workshop_id, -1)
                if version < delivered:
                    return False
                if version > delivered:
                    self.deliver(Snapshot.of(state, views, version))
            self.place(conn, state)
            self.send_to(conn, state, views)
            return True

    def send_join_link(self, workshop_id: str, link: dict) -> None:
        """The facilitator chose the address phones join by: every console and big screen of the workshop (on every
        process) shows the new link and QR code."""
        if self.cluster is not None:
            self.cluster.publish_join_link(workshop_id, link)
        self.join_link_local(workshop_id, link)

    def join_link_to(self, sid: str, link: dict) -> None:
        """Send one console or big screen the join link in use (when it connects: it may have missed a change)."""
        self._emit(JOIN_LINK, link, to=sid)

    def join_link_local(self, workshop_id: str, link: dict) -> None:
        """Send this process's consoles and big screens of a workshop its new join link."""
        for role in ("facilitator", "screen"):
            self._emit(JOIN_LINK, link, to=room(workshop_id, role))

    def close_workshop(self, workshop_id: str, message: str) -> None:
        """A workshop was deleted: tell every page of it (on every process), then close the sockets."""
        if self.cluster is not None:
            self.cluster.publish_closed(workshop_id, message)
        self.close_local(workshop_id, message)

    def close_local(self, workshop_id: str, message: str) -> None:
        """Tell this process's pages of a deleted workshop, then close their sockets."""
        for conn in [c for c in list(self.connections.values()) if c.workshop_id == workshop_id]:
            self._emit(WORKSHOP_DELETED, {"message": message}, to=conn.sid)
            self.socketio.server.disconnect(conn.sid, namespace="/", ignore_queue=True)
            self.forget(conn.sid)
        self.online.pop(workshop_id, None)
        self.delivered.pop(workshop_id, None)
        self._sent.pop(workshop_id, None)

    def revoke_links(self, workshop_id: str, message: str, keep: str | None = None) -> None:
        """A workshop's console and screen links were renewed: every console and screen socket of it, on every
        process, is told (``links_replaced``) and closed, but ``keep`` (the socket that renewed them)."""
        if self.cluster is not None:
            self.cluster.publish_revoked(workshop_id, message)
        self.revoke_local(workshop_id, message, keep)

    def revoke_local(self, workshop_id: str, message: str, keep: str | None = None) -> None:
        """Tell and close this process's consoles and screens of a workshop whose links were renewed, but ``keep``."""
        for conn in [c for c in list(self.connections.values())
                     if c.workshop_id == workshop_id and c.role in ("facilitator", "screen") and c.sid != keep]:
            self._emit(LINKS_REPLACED, {"message": message}, to=conn.sid)
            self.socketio.server.disconnect(conn.sid, namespace="/", ignore_queue=True)
            self.forget(conn.sid)

    def drop_account(self, workshop_id: str, user_id: str) -> None:
        """A co-facilitator was removed: close this process's consoles of the workshop they opened by their sign-in
        (on another process such a console is refused at its next command, ``game.web.sockets._handle``)."""
        for conn in [c for c in list(self.connections.values())
                     if c.workshop_id == workshop_id and c.account is not None and c.account.id == user_id]:
            self.socketio.server.disconnect(conn.sid, namespace="/", ignore_queue=True)
            self.forget(conn.sid)

    def link_devices_here(self, workshop_id: str) -> set[str]:
        """The devices with a console or screen of the workshop connected to this process now."""
        return {c.link_device for c in list(self.connections.values())
                if c.workshop_id == workshop_id and c.link_device}

    def publish(self, state: State, views: Views, version: int | None = None) -> None:
        """After a change (a command here, or one another process applied, see ``Service.apply_remote``): deliver
        the new version to this process's pages."""
        self.deliver(Snapshot.of(state, views, version))

    def deliver(self, snapshot: Snapshot) -> bool:
        """Move this process's phones whose team changed, then send every room here its view.

        A version not newer than one already delivered here is dropped (False): its views are whole,
        and the newer ones were sent already.
        """
        wid, members, views = snapshot.workshop_id, snapshot.members, snapshot.views
        with self._order[wid]:
            if snapshot.version is not None:
                if snapshot.version <= self.delivered.get(wid, -1):
                    return False
                self.delivered[wid] = snapshot.version
            self._send_views(wid, members, views, snapshot.removed)
            return True

    def _send_views(self, wid: str, members: Mapping[str, Player], views: Views,
                    removed: Mapping[str, Removed] | None = None) -> None:
        """Move the phones whose team changed, tell every phone whose ``player_info`` changed (moved, renamed,
        removed, allowed back), then send each room of the workshop its view if it changed.

        A room whose view is the same as the last one sent to it (apart from the countdown's clock reading,
        see ``_same``) is skipped: when one team picks, only that team's phones, the console and the screen
        hear of it, not the whole room. A socket that enters a room here gets the room's view even so."""
        entered, occupied = set(), set()
        for conn in [c for c in list(self.connections.values()) if c.workshop_id == wid]:
            if conn.role != "player":
                occupied |= conn.rooms
                continue
            if self.place(conn, members):
                entered |= conn.rooms
            occupied |= conn.rooms
            info = member_info(members, conn.player_id, removed, conn.device)
            if info != conn.info:
                self.inform(conn, info)
        sent = self._sent.setdefault(wid, {})
        roles = {room(wid, "facilitator"): views.facilitator, room(wid, "screen"): views.screen,
                 room(wid, "guests"): views.guests}
        teams = {team_room(wid, team_id): team_id for team_id in views.teams}
        for name in [*roles, *teams]:
            if name not in occupied:  # no socket of it here: neither built nor sent (another process serves it)
                sent.pop(name, None)
                continue
            view = roles[name] if name in roles else views.teams[teams[name]]  # a team's is built when asked for
            if name not in entered and _same(sent.get(name), view):
                continue
            sent[name] = view
            self._to_pages(GAME_STATE, view, name)
        if len(sent) > len(roles) + len(teams):  # teams removed: forget their rooms' views
            for name in set(sent) - roles.keys() - teams.keys():
                del sent[name]

    # --- pacing: a console or big screen never gets a new view before it took the last -----------------------

    def _to_pages(self, event: str, payload: dict | Callable[[], dict], to: str) -> None:
        """Send a room (or one socket) ``event``: its paced pages through ``pace``, the rest at once.

        ``payload`` may be a function that makes it: it is then made only when a socket gets it now."""
        pages = self._pages.get(to)
        if pages is None and to in self.connections and self.connections[to].paced:
            pages = {to: self.connections[to]}
        paced = [conn for conn in list((pages or {}).values()) if conn.paced]
        if not paced:
            self._emit(event, payload() if callable(payload) else payload, to=to)
            return
        if len(paced) < len(pages or {}):  # others in the room that do not pace (an older page, a test client)
            data = payload() if callable(payload) else payload
            self.socketio.emit(event, data, to=to, skip_sid=[conn.sid for conn in paced], ignore_queue=True)
            payload = data
        for conn in paced:
            self.pace(conn, event, payload)

    def pace(self, conn: Connection, event: str, payload: dict | Callable[[], dict]) -> None:
        """Send a paced page (``Connection.paced``: the console and the big screen, which acknowledge each
        ``game_state`` and ``presence``) one message at a time.

        While it has not acknowledged the last one, a new message waits, and a newer one of the same event
        takes its place: the views are whole, so only the newest matters. A page on slow venue Wi-Fi, or slow to
        draw 3,000 players, then gets views as fast as it takes them, never a growing queue that its pings wait
        behind (a 3,000-player console view is 300 KB, and a publication can come every 100 ms)."""
        with self._pace:
            if conn.busy_since is not None and time.monotonic() - conn.busy_since < PACE_PATIENCE:
                conn.waiting.pop(event, None)
                conn.waiting[event] = payload
                return
            conn.busy_since = time.monotonic()
        self._send_paced(conn, event, payload)

    def _send_paced(self, conn: Connection, event: str, payload: dict | Callable[[], dict]) -> None:
        def taken(*_answer) -> None:  # the page acknowledged it: send what waited, oldest event first
            with self._pace:
                if self.connections.get(conn.sid) is not conn or not conn.waiting:
                    conn.busy_since = None
                    return
                following = next(iter(conn.waiting))
                data = conn.waiting.pop(following)
                conn.busy_since = time.monotonic()
            self._send_paced(conn, following, data)

        data = payload() if callable(payload) else payload
        # python-socketio's own emit: Flask-SocketIO's would run ``taken`` in the request context of the socket whose
        # event caused this message, and drop it when that socket has gone (a phone that picked, then left): the
        # page would wait for ever
        self.socketio.server.emit(event, data, to=conn.sid, namespace="/", callback=taken, ignore_queue=True)
