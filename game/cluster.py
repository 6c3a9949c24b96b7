"""What several server processes share through Redis: workshop versions, closures, join links, renewed links and
presence.

One process serves its own sockets (nginx keeps each browser on one process). When a command is
committed in any process, that process publishes the commands with the version they made, the
senders and the time on the channel ``<channel>:workshops``. Every other process applies it to its own
cached state in version order (waiting briefly for a version that is still on its way, and loading
the stored state when one never comes) and publishes the new views to its own sockets, moving phones
whose team changed to their new room first. So each process keeps the newest state without reading
the database, and a view from process A can never overtake a newer one from process B (room emits
through Flask-SocketIO's queue alone could: two processes publish after two commits, in whichever
order they get there).

Presence: each process keeps the players with a phone connected to it in a sorted set per workshop
(``<channel>:presence:<workshop>``, member ``<host>:<player>``, score = when it expires) and
refreshes its entries every few seconds; a process that dies stops refreshing, so its players show
as away within ``ttl`` seconds. Every process with a console of the workshop reads the union and sends it.

Only ``python -m game serve`` starts the listener (``start``); other commands (``purge``) only publish.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable

import redis

from .engine.commands import command_from_dict, command_to_dict
from .engine.state import Actor, Role

log = logging.getLogger(__name__)


class _Reconnected:
    """Runs a PubSub's own re-subscription on a new connection, and tells the cluster it may have missed messages."""

    def __init__(self, cluster: Cluster, pubsub):
        self.cluster = cluster
        self.pubsub = pubsub

    def on_connect(self, connection) -> None:
        if self.pubsub.channels:  # not the first connection: this one replaces a lost one
            self.cluster._catch_up = True
        type(self.pubsub).on_connect(self.pubsub, connection)


class Cluster:
    """This process's link to the others: publish to them, and listen to them (after ``start``)."""

    def __init__(self, url: str, channel: str = "aandacht", ttl: float = 15.0, clock: Callable[[], float] = time.time):
        if not url.startswith(("redis://", "rediss://")):
            raise ValueError(f"AANDACHT_MESSAGE_QUEUE must be a Redis URL (redis://host:6379/0), not {url!r}")
        self.url = url
        self.prefix = channel
        self.channel = f"{channel}:workshops"
        self.ttl = ttl
        self.clock = clock
        self.host = uuid.uuid4().hex[:12]
        self.redis = redis.Redis.from_url(url, client_name=f"{channel}:{self.host}")
        self.publisher = None  # set by the Publisher this cluster serves
        self.on_resubscribe: Callable[[], None] | None = None  # catches up after a lost subscription
        self.on_command: Callable | None = None  # applies another process's command (Service.apply_remote)
        self._catch_up = False  # the subscription was lost and is back: run on_resubscribe
        self._dirty: set[str] = set()  # workshops whose presence may have changed
        self._dirty_lock = threading.Lock()
        self._sent_presence: dict[str, list[str]] = {}
        self._marks: dict[tuple[str, str], bool] = {}  # (workshop, player) -> online here: for the next tick

    # --- publishing ---------------------------------------------------------------

    def _publish(self, message: dict) -> None:
        """Send a message to every other process (logged, never raised: the command is committed already)."""
        data = json.dumps({"host": self.host, **message}, separators=(",", ":"))
        for attempt in (1, 2):
            try:
                self.redis.publish(self.channel, data)
                return
            except redis.RedisError:
                if attempt == 2:
                    log.exception("could not reach Redis: the other processes miss a %s", message.get("kind"))

    def publish_commands(self, workshop_id: str, version: int, commands: list, now: float) -> None:
        """Commands (``[(actor, command)]``, in order) were committed as a workshop's ``version``: every other
        process applies them to its own copy of the state (the rules are pure: the same commands on the same
        state at the same time give the same state) and publishes the new views to its pages. Bytes, where
        the views are megabytes."""
        self._publish({
            "kind": "commands",
            "workshop_id": workshop_id,
            "version": version,
            "commands": [[actor.role.value, actor.player_id, command_to_dict(command)] for actor, command in commands],
            "now": now,
        })

    def publish_closed(self, workshop_id: str, message: str) -> None:
        """A workshop was deleted: every process closes its pages."""
        self._publish({"kind": "closed", "workshop_id": workshop_id, "message": message})
        try:
            self.redis.delete(self._presence_key(workshop_id))
        except redis.RedisError:
            log.exception("could not clear the presence of a deleted workshop")

    def publish_join_link(self, workshop_id: str, link: dict) -> None:
        """A workshop's join address changed: every process sends its consoles and big screens the new link."""
        self._publish({"kind": "join_link", "workshop_id": workshop_id, "link": link})

    def publish_revoked(self, workshop_id: str, message: str) -> None:
        """A workshop's links were renewed: every process closes its consoles and screens of it."""
        self._publish({"kind": "revoked", "workshop_id": workshop_id, "message": message})

    # --- presence -----------------------------------------------------------------

    def _presence_key(self, workshop_id: str) -> str:
        return f"{self.prefix}:presence:{workshop_id}"

    def mark(self, workshop_id: str, player_id: str, online: bool) -> None:
        """A player's phone arrived in this process (or its last socket here left): recorded in Redis, and every
        console told, with the presence loop's next tick (``flush_marks``), in one round trip for all the phones
        that came or went meanwhile. One round trip per phone took a connection each: when a room's Wi-Fi dropped,
        a thousand phones leaving at once ran Redis's connection pool dry ("Too many connections") and their
        presence was lost."""
        with self._dirty_lock:
            self._marks[(workshop_id, player_id)] = online

    def flush_marks(self) -> None:
        """Record the phones that came and went since the last tick in Redis and tell every process's consoles.
        If Redis cannot be reached the marks are dropped: ``refresh`` puts this process's phones back within a
        third of the time to live, and a phone that left drops out when its entry's time runs out."""
        with self._dirty_lock:
            marks, self._marks = self._marks, {}
        if not marks:
            return
        now, workshops = self.clock(), set()
        pipe = self.redis.pipeline(transaction=False)
        for (workshop_id, player_id), online in marks.items():
            key, member = self._presence_key(workshop_id), f"{self.host}:{player_id}"
            if online:
                pipe.zadd(key, {member: now + self.ttl})
            else:
                pipe.zrem(key, member)
            workshops.add(workshop_id)
        for workshop_id in workshops:
            pipe.expire(self._presence_key(workshop_id), int(self.ttl * 4))
        try:
            pipe.execute()
        except redis.RedisError:
            log.exception("could not record presence in Redis")
        for workshop_id in workshops:
            self.changed(workshop_id)
            self._publish({"kind": "presence", "workshop_id": workshop_id})

    def online(self, workshop_id: str) -> list[str]:
        """Players with a phone connected to any live process, sorted."""
        try:
            members = self.redis.zrangebyscore(self._presence_key(workshop_id), self.clock(), "+inf")
        except redis.RedisError:
            log.exception("could not read presence from Redis")
            return sorted(self.publisher.online.get(workshop_id, {})) if self.publisher else []
        return sorted({m.decode().split(":", 1)[1] for m in members})

    def refresh(self) -> None:
        """Keep this process's players present for another ``ttl`` and drop entries of processes that died."""
        local = {wid: list(counts) for wid, counts in self.publisher.online.items() if counts}
        now = self.clock()
        pipe = self.redis.pipeline(transaction=False)
        for wid, players in local.items():
            key = self._presence_key(wid)
            pipe.zadd(key, {f"{self.host}:{pid}": now + self.ttl for pid in players})
            pipe.expire(key, int(self.ttl * 4))
        for wid in self.publisher.consoles():
            pipe.zremrangebyscore(self._presence_key(wid), "-inf", now)
        pipe.execute()

    def changed(self, workshop_id: str) -> None:
        """The presence of a workshop may have changed: the presence loop re-reads it soon."""
        with self._dirty_lock:
            self._dirty.add(workshop_id)

    def send_presence(self) -> None:
        """Send this process's consoles the presence of every workshop that may have changed, if it did."""
        with self._dirty_lock:
            dirty, self._dirty = self._dirty, set()
        consoles = self.publisher.consoles()
        for wid in list(self._sent_presence):
            if wid not in consoles:
                del self._sent_presence[wid]
        for wid in dirty & consoles:
            online = self.online(wid)
            if self._sent_presence.get(wid) != online:
                self._sent_presence[wid] = online
                self.publisher.send_presence(wid, online=online)

    # --- listening ------------------------------------------------------------------

    def handle(self, message: dict) -> None:
        """Act on one message from another process."""
        kind = message.get("kind")
        if kind == "commands":
            commands = [(Actor(Role(role), pid), command_from_dict(cmd)) for role, pid, cmd in message["commands"]]
            if self.on_command is not None:
                self.on_command(message["workshop_id"], message["version"], commands, message["now"])
        elif kind == "closed":
            self.publisher.close_local(message["workshop_id"], message["message"])
        elif kind == "presence":
            self.changed(message["workshop_id"])
        elif kind == "join_link":
            self.publisher.join_link_local(message["workshop_id"], message["link"])
        elif kind == "revoked":  # the socket that renewed them is on the process that published this
            self.publisher.revoke_local(message["workshop_id"], message["message"])

    def listen(self, sleep: Callable[[float], None]) -> None:
        """The background task that receives the other processes' messages, reconnecting when Redis goes away."""
        wait, subscribed_before = 1.0, False
        while True:
            pubsub = None
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                # redis-py reconnects and subscribes again by itself after a lost connection: notice it
                pubsub._aandacht_notice = _Reconnected(self, pubsub)  # kept alive: the connection holds a weak ref
                pubsub.on_connect = pubsub._aandacht_notice.on_connect
                pubsub.subscribe(self.channel)
                wait = 1.0
                if subscribed_before:
                    self._catch_up = True
                subscribed_before = True
                for item in pubsub.listen():
                    if item.get("type") != "message":
                        continue
                    try:
                        message = json.loads(item["data"])
                        if message.get("host") != self.host:
                            self.handle(message)
                    except Exception:
                        log.exception("could not handle a message from another process")
            except Exception:
                log.exception("lost the connection to Redis; listening again in %.0f s", wait)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        pass
            sleep(wait)
            wait = min(wait * 2, 30.0)

    def keep_presence(self, sleep: Callable[[float], None], interval: float = 0.5) -> None:
        """The background task that refreshes this process's presence, sends consoles what changed, and
        catches up after the subscription to the other processes was lost and came back."""
        next_refresh = 0.0
        while True:
            try:
                if self._catch_up and self.on_resubscribe is not None:
                    self._catch_up = False
                    log.info("listening to the other processes again; sending this process's pages the stored state")
                    self.on_resubscribe()  # what was published while the subscription was down never came
                if time.monotonic() >= next_refresh:
                    next_refresh = time.monotonic() + self.ttl / 3
                    self.refresh()
                    for wid in self.publisher.consoles():  # a process may have died: look again
                        self.changed(wid)
                self.flush_marks()
                self.send_presence()
            except Exception:
                log.exception("presence tick failed")
            sleep(interval)

    def start(self, start_background_task: Callable, sleep: Callable[[float], None]) -> None:
        """Start listening to the other processes and keeping presence (only in the server)."""
        start_background_task(self.listen, sleep)
        start_background_task(self.keep_presence, sleep)
