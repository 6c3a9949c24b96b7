"""The one place that emits: every emit names a room (or one socket).

It also keeps the registry of this process's sockets: which workshop, role and
player each belongs to, and which rooms it must be in. After every command a phone
whose team changed is moved to its new team's room before the views go out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .engine import State, Views

GAME_STATE = "game_state"
PLAYER_INFO = "player_info"
PRESENCE = "presence"
WORKSHOP_DELETED = "workshop_deleted"


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


def player_info(state: State, player_id: str | None) -> dict:
    """What a phone learns about itself."""
    player = state.players.get(player_id or "")
    if player is None:
        return {"player": None}
    return {"player": {"id": player.id, "name": player.name, "team_id": player.team_id}}


class Publisher:
    """Sends views to rooms through a Flask-SocketIO server."""

    def __init__(self, socketio):
        self.socketio = socketio
        self.connections: dict[str, Connection] = {}
        self.online: dict[str, Counter] = {}  # workshop -> player id -> open sockets in this process

    # --- the socket registry --------------------------------------------------

    def register(self, conn: Connection) -> None:
        """Remember a new socket (a phone that already joined counts as online)."""
        self.connections[conn.sid] = conn
        if conn.player_id:
            self._count(conn.workshop_id, conn.player_id, +1)

    def identify(self, conn: Connection, player_id: str) -> None:
        """A phone's socket has just joined as a player."""
        conn.player_id = player_id
        self._count(conn.workshop_id, player_id, +1)

    def forget(self, sid: str) -> None:
        """Forget a socket that disconnected; its player is away unless another socket of theirs is open."""
        conn = self.connections.pop(sid, None)
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
            self.send_presence(workshop_id)

    def presence(self, workshop_id: str) -> dict:
        """Which players have a phone connected right now."""
        return {"online": sorted(self.online.get(workshop_id, {}))}

    def send_presence(self, workshop_id: str, to: str | None = None) -> None:
        """Tell the facilitator (every console device, or one socket) who is connected."""
        self.socketio.emit(PRESENCE, self.presence(workshop_id), to=to or room(workshop_id, "facilitator"))

    def rooms_for(self, conn: Connection, state: State) -> set[str]:
        """The rooms a socket belongs in, given the workshop's state."""
        wid = conn.workshop_id
        if conn.role in ("facilitator", "screen"):
            return {room(wid, conn.role)}
        player = state.players.get(conn.player_id or "")
        if player is not None and player.team_id is not None:
            return {team_room(wid, player.team_id)}
        return {room(wid, "guests")}

    def place(self, conn: Connection, state: State) -> bool:
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

    def view_for(self, conn: Connection, state: State, views: Views) -> dict:
        """The view one socket should have."""
        if conn.role == "facilitator":
            return views.facilitator
        if conn.role == "screen":
            return views.screen
        player = state.players.get(conn.player_id or "")
        if player is not None and player.team_id is not None:
            return views.teams[player.team_id]
        return views.guests

    def send_to(self, conn: Connection, state: State, views: Views) -> None:
        """Send one socket its whole state (on connect, on ``sync``, after it moved)."""
        if conn.role == "player":
            self.socketio.emit(PLAYER_INFO, player_info(state, conn.player_id), to=conn.sid)
        self.socketio.emit(GAME_STATE, self.view_for(conn, state, views), to=conn.sid)
        if conn.role == "facilitator":
            self.send_presence(conn.workshop_id, to=conn.sid)

    def close_workshop(self, workshop_id: str, message: str) -> None:
        """A workshop was deleted: tell every page of it, then close this process's sockets of it."""
        for name in ("facilitator", "screen", "guests"):
            self.socketio.emit(WORKSHOP_DELETED, {"message": message}, to=room(workshop_id, name))
        for conn in [c for c in self.connections.values() if c.workshop_id == workshop_id]:
            if conn.role == "player":
                self.socketio.emit(WORKSHOP_DELETED, {"message": message}, to=conn.sid)
            self.socketio.server.disconnect(conn.sid, namespace="/")
            self.forget(conn.sid)
        self.online.pop(workshop_id, None)

    def publish(self, state: State, views: Views) -> None:
        """After a command: move phones whose team changed, then send every room its view."""
        wid = state.workshop.id
        moved = [
            c
            for c in list(self.connections.values())
            if c.workshop_id == wid and c.role == "player" and self.place(c, state)
        ]
        for conn in moved:
            self.socketio.emit(PLAYER_INFO, player_info(state, conn.player_id), to=conn.sid)
        emit = self.socketio.emit
        emit(GAME_STATE, views.facilitator, to=room(wid, "facilitator"))
        emit(GAME_STATE, views.screen, to=room(wid, "screen"))
        emit(GAME_STATE, views.guests, to=room(wid, "guests"))
        for team_id, view in views.teams.items():
            emit(GAME_STATE, view, to=team_room(wid, team_id))
