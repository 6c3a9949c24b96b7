"""Throwaway PostgreSQL and Redis servers: started from the distribution's binaries (Debian:
/usr/lib/postgresql/<version>/bin, /usr/bin/redis-server) in a temporary directory on a free port on 127.0.0.1,
removed again by ``stop()``. The tests use them (tests/conftest.py: one of each per session) and so does the
benchmark (``python -m bench.run --throwaway``), so that nobody needs to start a server by hand.

A plain class on initdb/pg_ctl and redis-server rather than pytest-postgresql/pytest-redis: initdb and postgres
refuse to run as root, and CI runs as root, so the server must run as another user (Debian's ``postgres``, or
``nobody``) with its directory handed to that user; pytest-postgresql runs pg_ctl as the current user and would
need the same wrapping, plus two dependencies (psycopg 3, mirakuru) for what is some forty lines here.

A server that cannot start raises ``ServerMissing`` with what to install (the tests turn it into a failure, never a
skip; the benchmark prints it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL = "sudo apt-get install postgresql redis-server"
START_WAIT = 60.0  # seconds for a server to answer: a start-up bound, not a speed check


class ServerMissing(RuntimeError):
    """A throwaway server could not be started (its programs are missing, or it failed)."""


def stop_process(proc: subprocess.Popen | None) -> None:
    """Stop a server process we started: SIGTERM, then SIGKILL if it has not ended within 10 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path:
    """The newest PostgreSQL server's bin directory (not on the PATH on Debian), or on the PATH elsewhere."""
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ServerMissing(f"PostgreSQL's server programs (initdb, pg_ctl) are not installed: {INSTALL}")


def server_user():
    """Who runs PostgreSQL: ourselves, or as root (initdb refuses root) Debian's ``postgres`` or ``nobody``."""
    import pwd

    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ServerMissing("running as root, the throwaway PostgreSQL needs an unprivileged user to run as "
                        "(postgres or nobody)")


class ThrowawayPostgres:
    """A PostgreSQL server of our own: initdb in a temporary directory, trust auth, a free port."""

    def __init__(self, max_connections: int = 300):
        self.bin = postgres_bin()
        self.user = server_user()
        self.dir = Path(tempfile.mkdtemp(prefix="aandacht-test-postgres-"))  # not under /tmp/pytest-of-root (0700)
        if self.user is not None:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        self.port = free_port()
        self.run = {"user": self.user.pw_uid, "group": self.user.pw_gid} if self.user else {}
        data, log = self.dir / "data", self.dir / "postgres.log"
        self._call(self.bin / "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                   "--locale=C", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.dir} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   f"-c max_connections={max_connections}")
        self._call(self.bin / "pg_ctl", "start", "-w", "-t", "120", "-D", str(data), "-l", str(log), "-o", options)
        self.data = data
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def _call(self, *command) -> None:
        done = subprocess.run([str(c) for c in command], cwd=self.dir, capture_output=True, text=True, **self.run)
        if done.returncode != 0:
            log = self.dir / "postgres.log"
            detail = done.stdout + done.stderr + (log.read_text() if log.exists() else "")
            self.stop()
            raise ServerMissing(f"the throwaway PostgreSQL did not start ({command[0]}):\n{detail}")

    def stop(self) -> None:
        """Stop the server at once and remove its directory."""
        if (self.dir / "data" / "postmaster.pid").exists():
            subprocess.run([str(self.bin / "pg_ctl"), "stop", "-m", "immediate", "-w", "-D", str(self.dir / "data")],
                           cwd=self.dir, capture_output=True, **self.run)
        shutil.rmtree(self.dir, ignore_errors=True)


class ThrowawayRedis:
    """A Redis server of our own: no persistence, a temporary directory, a free port."""

    def __init__(self):
        import redis

        binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")
        if binary is None:
            raise ServerMissing(f"redis-server is not installed: {INSTALL}")
        self.dir = Path(tempfile.mkdtemp(prefix="aandacht-test-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = self.dir / "redis.log"
        self.proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--logfile", str(self.log)],
            cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_WAIT
        with redis.Redis.from_url(self.url, socket_timeout=2) as client:
            while True:
                try:
                    client.ping()
                    return
                except redis.RedisError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        detail = self.log.read_text() if self.log.exists() else ""
                        self.stop()
                        raise ServerMissing(f"the throwaway Redis did not start:\n{detail}") from None
                    time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)
