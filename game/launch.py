"""``python -m game cluster``: several server processes on this machine, behind nginx.

Each process is ``python -m game serve`` on its own port on 127.0.0.1; they share PostgreSQL
(``DATABASE_URL``) and Redis (``AANDACHT_MESSAGE_QUEUE``, by default ``redis://127.0.0.1:6379/0``).
nginx, configured from ``deploy/nginx.conf`` (sticky by a cookie, WebSocket upgrade), listens on
``--port`` and spreads the browsers over them. A process that exits is started again. Ctrl-C stops
them all. Without nginx on the machine (``--no-nginx``) it prints the processes' addresses for
your own proxy.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .store import REPO, database_url

NGINX_TEMPLATE = REPO / "deploy" / "nginx.conf"


def nginx_config(template: str, listen: int, app_ports: list[int], run_dir: Path) -> str:
    """deploy/nginx.conf for processes on 127.0.0.1, listening on ``listen``, with its files under ``run_dir``."""
    servers = "".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in app_ports)
    text = re.sub(r"(?m)^        server app\d+:\d+[^\n]*\n", "", template)
    text = text.replace("        keepalive 64;\n", servers + "        keepalive 64;\n", 1)
    text = text.replace("listen 80;", f"listen {listen};")
    if not Path("/etc/nginx/mime.types").exists():
        text = text.replace("    include       /etc/nginx/mime.types;\n", "")
    temp = "".join(
        f"    {name}_temp_path {run_dir / name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    text = text.replace("http {\n", "http {\n" + temp, 1)
    return f"pid {run_dir / 'nginx.pid'};\nerror_log {run_dir / 'nginx-error.log'} warn;\n" + text


def find_nginx() -> str | None:
    """nginx on the PATH, or in /usr/sbin (not on a normal user's PATH on Debian)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def free_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that nobody listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 60) -> bool:
    """Wait until a process answers /healthz (False if it exited or did not answer in time)."""
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


POSTGRESQL_FIX = (
    "  Start it: sudo apt-get install postgresql && sudo systemctl start postgresql\n"
    "  and once, its user and database: sudo -u postgres createuser aandacht && "
    "sudo -u postgres createdb -O aandacht aandacht\n"
    "  (docs/deploy.md, \"On one machine\"; or set DATABASE_URL to a PostgreSQL server you have)"
)
REDIS_FIX = (
    "  Start it: sudo apt-get install redis-server && sudo systemctl start redis-server\n"
    "  (docs/deploy.md, \"On one machine\"; or set AANDACHT_MESSAGE_QUEUE to a Redis server you have)"
)


def _one_line(exc: BaseException) -> str:
    """An error's own words on one line (a driver's message spans several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def unreachable(database: str, queue: str) -> list[str]:
    """What keeps the cluster from starting: PostgreSQL or Redis not answering, each with the command that fixes
    it (empty when both answer). Checked before anything starts, so the answer is a sentence, not a traceback."""
    import redis
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    problems = []
    try:
        shown = make_url(database).render_as_string(hide_password=True)
    except Exception:
        shown = database
    engine = None
    try:
        engine = create_engine(database, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        reason = _one_line(getattr(exc, "orig", None) or exc)
        problems.append(f"cluster: cannot reach PostgreSQL at {shown}: {reason}\n{POSTGRESQL_FIX}")
    finally:
        if engine is not None:
            engine.dispose()
    shown = re.sub(r"//([^@/]*):[^@/]*@", r"//\1:***@", queue)
    try:
        with redis.Redis.from_url(queue, socket_connect_timeout=5, socket_timeout=5) as client:
            client.ping()
    except Exception as exc:
        problems.append(f"cluster: cannot reach Redis at {shown}: {_one_line(exc)}\n{REDIS_FIX}")
    return problems


def setup_link(url: str, base: str) -> list[str]:
    """The one-time set-up link while no administrator exists (``game.web.auth.setup_link_lines``), else nothing."""
    from .accounts import Accounts
    from .store import make_engine
    from .web.auth import setup_link_lines

    engine = make_engine(url)
    try:
        return setup_link_lines(Accounts(engine), base)
    finally:
        engine.dispose()


def run(argv: list[str]) -> int:
    """Start the processes (and nginx), keep them running, stop them on Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m game cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", "-n", type=int, default=os.cpu_count() or 2,
                        help="server processes (default: one per core)")
    parser.add_argument("--port", type=int, default=8080, help="where nginx listens (default 8080)")
    parser.add_argument("--app-port", type=int, default=5001,
                        help="the first process's port on 127.0.0.1, the next ones follow (default 5001; 0: any free)")
    parser.add_argument("--no-nginx", action="store_true", help="do not start nginx; print the processes' addresses")
    parser.add_argument("--run-dir", type=Path, default=REPO / "instance" / "cluster",
                        help="for the logs and nginx's files (default instance/cluster)")
    args = parser.parse_args(argv)

    url = database_url()
    if not url.startswith("postgresql"):
        example = "postgresql+psycopg2://aandacht@127.0.0.1/aandacht"
        print(f"cluster: set DATABASE_URL to a PostgreSQL database, e.g. {example}", file=sys.stderr)
        return 2
    use_nginx = not args.no_nginx
    nginx_bin = find_nginx()
    if use_nginx and nginx_bin is None:
        print("cluster: nginx is not installed (apt-get install nginx-light), or use --no-nginx", file=sys.stderr)
        return 2
    queue = os.environ.get("AANDACHT_MESSAGE_QUEUE") or "redis://127.0.0.1:6379/0"
    problems = unreachable(url, queue)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    run_dir = args.run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    # one set-up link for the whole cluster, printed below: a process's own would replace the one before it
    env = {**os.environ, "DATABASE_URL": url, "AANDACHT_MESSAGE_QUEUE": queue, "AANDACHT_SETUP_LINK": "0"}
    if use_nginx:
        env.setdefault("AANDACHT_PROXIES", "1")
    if not env.get("SECRET_KEY"):  # every process signs cookies with the same key (made once, before they start)
        from .web import _secret_key

        env["SECRET_KEY"] = _secret_key(REPO / "instance")

    # the schema once, before any process starts (they would race to create it)
    subprocess.run([sys.executable, "-m", "game", "db-upgrade"], env=env, cwd=REPO, check=True)

    ports = [args.app_port + i for i in range(args.processes)] if args.app_port else free_ports(args.processes)
    procs: dict[int, subprocess.Popen] = {}
    logs = {}

    def start(port: int) -> None:
        logs[port] = open(run_dir / f"app-{port}.log", "ab")  # noqa: SIM115 (open for the process's whole life)
        procs[port] = subprocess.Popen(
            [sys.executable, "-m", "game", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=REPO, stdout=logs[port], stderr=subprocess.STDOUT,
        )

    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    nginx = None
    try:
        for port in ports:
            start(port)
        for port in ports:
            if not wait_healthy(port, procs[port]):
                log_file = run_dir / f"app-{port}.log"
                print(f"cluster: the process on port {port} did not start; see {log_file}", file=sys.stderr)
                return 1
        if use_nginx:
            conf = run_dir / "nginx.conf"
            conf.write_text(nginx_config(NGINX_TEMPLATE.read_text(), args.port, ports, run_dir))
            nginx = subprocess.Popen([nginx_bin, "-p", str(run_dir), "-c", str(conf), "-g", "daemon off;"], cwd=run_dir)
            from .net import startup_lines

            for line in startup_lines("0.0.0.0", args.port, os.environ.get("AANDACHT_PUBLIC_URL") or None):
                print(line)
            print(f"{len(ports)} server processes behind nginx on port {args.port}.")
        else:
            print(f"Aandacht is running: {len(ports)} processes; point your proxy (sticky sessions) at:")
            for port in ports:
                print(f"  http://127.0.0.1:{port}/")
        base = os.environ.get("AANDACHT_PUBLIC_URL") or f"http://127.0.0.1:{args.port if use_nginx else ports[0]}"
        for line in setup_link(url, base):
            print(line)
        print(f"Logs in {run_dir}. Ctrl-C stops everything.", flush=True)
        while not stopping:
            time.sleep(1)
            for port, proc in list(procs.items()):
                if proc.poll() is not None and not stopping:
                    print(f"cluster: the process on port {port} exited ({proc.returncode}); starting it again",
                          flush=True)
                    logs[port].close()
                    start(port)
            if nginx is not None and nginx.poll() is not None and not stopping:
                print(f"cluster: nginx exited ({nginx.returncode}); see {run_dir / 'nginx-error.log'}", file=sys.stderr)
                return 1
        return 0
    finally:
        for proc in ([nginx] if nginx is not None else []) + list(procs.values()):
            if proc.poll() is None:
                proc.terminate()
        for proc in ([nginx] if nginx is not None else []) + list(procs.values()):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(15)
        for log in logs.values():
            log.close()
