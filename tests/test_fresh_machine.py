"""A newcomer's machine: nothing started by hand.

1. ``python -m game cluster`` with PostgreSQL or Redis out of reach stops at once with the exact problem and the
   command that fixes it, never a traceback;
2. the PostgreSQL, Redis and cluster tests pass in a fresh network namespace, where this machine's own PostgreSQL and
   Redis (if any) are out of reach: the session's throwaway servers (tests/conftest.py) are all they need.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import REPO, free_port


def run_cluster(tmp_path, database_url: str, queue: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "AANDACHT_MESSAGE_QUEUE": queue, "SECRET_KEY": "fresh"}
    command = [sys.executable, "-m", "game", "cluster", "--no-nginx", "--processes", "1", "--app-port", "0",
               "--run-dir", str(tmp_path / "run")]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)


def test_the_cluster_without_postgresql_says_so_and_how_to_fix_it(tmp_path):
    port = free_port()  # nobody listens there
    url = f"postgresql+psycopg2://aandacht@127.0.0.1:{port}/aandacht"
    done = run_cluster(tmp_path, url, f"redis://127.0.0.1:{free_port()}/0")
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "Traceback" not in out
    assert f"cluster: cannot reach PostgreSQL at {url}" in done.stderr, out
    assert "Connection refused" in done.stderr, out
    assert "sudo apt-get install postgresql && sudo systemctl start postgresql" in done.stderr, out
    assert "createdb -O aandacht aandacht" in done.stderr, out
    assert not (tmp_path / "run").exists(), "nothing is started (or written) before both servers answer"


def test_the_cluster_without_redis_says_so_and_how_to_fix_it(tmp_path, pg_url):
    queue = f"redis://127.0.0.1:{free_port()}/0"
    done = run_cluster(tmp_path, pg_url, queue)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "Traceback" not in out
    assert "PostgreSQL" not in done.stderr, out  # it is reachable: only the one problem is reported
    assert f"cluster: cannot reach Redis at {queue}" in done.stderr, out
    assert "Connection refused" in done.stderr, out
    assert "sudo apt-get install redis-server && sudo systemctl start redis-server" in done.stderr, out


def test_the_cluster_names_both_when_neither_is_reachable_and_hides_the_password(tmp_path):
    url = f"postgresql+psycopg2://aandacht:s3cret@127.0.0.1:{free_port()}/aandacht"
    done = run_cluster(tmp_path, url, f"redis://:s3cret@127.0.0.1:{free_port()}/0")
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "Traceback" not in out
    assert "cannot reach PostgreSQL" in done.stderr and "cannot reach Redis" in done.stderr, out
    assert "s3cret" not in out


# --- 2. the database and queue tests where no server was started -----------------------------------------------

# the PostgreSQL and Redis tests: persistence, the service on a shared database (also read-only and cut off), two
# cluster processes on both servers, and the cluster's own check that Redis answers
FRESH_FILES = ["tests/test_store.py", "tests/test_service.py", "tests/test_cluster.py", "tests/test_fresh_machine.py"]
FRESH_KEYWORDS = ("postgresql or phone_on_one_process_sees_the_card or redis_subscription_was_cut "
                  "or cluster_without_redis")
PROBE = """
import socket
for port in (5432, 6379):
    try:
        socket.create_connection(("127.0.0.1", port), 2).close()
        print(f"{port} reachable")
    except OSError as exc:
        print(f"{port} out of reach: {exc}")
"""


def test_the_database_and_queue_tests_pass_where_no_server_was_started(tmp_path, request):
    """Run the PostgreSQL, Redis and cluster tests in a fresh network namespace: its loopback has neither this
    machine's PostgreSQL (5432) nor its Redis (6379), and no AANDACHT_TEST_* URL is named, so they pass only on the
    session's own throwaway servers. Set-up is done already (the namespace reaches no registry)."""
    import secrets
    import shutil
    import time

    from .conftest import _say

    if os.environ.get("AANDACHT_FRESH_NAMESPACE"):
        pytest.fail("already inside the fresh namespace: select the tests to run there by name (FRESH_KEYWORDS)")
    if os.geteuid() != 0 or shutil.which("ip") is None:
        # CI runs as root, so there it always runs; a developer can run it with sudo
        pytest.skip("a network namespace needs root and iproute2's ip: sudo .venv/bin/python -m pytest "
                    "tests/test_fresh_machine.py")
    name = f"aandacht-fresh-{secrets.token_hex(4)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AANDACHT_TEST_")}
    env["AANDACHT_FRESH_NAMESPACE"] = name
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        inside = ["ip", "netns", "exec", name]
        subprocess.run([*inside, "ip", "link", "set", "lo", "up"], check=True)
        probe = subprocess.run([*inside, sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
        assert "5432 out of reach" in probe.stdout and "6379 out of reach" in probe.stdout, probe.stdout
        started = time.monotonic()
        done = subprocess.run(
            [*inside, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
             str(tmp_path / "inner"), "-k", FRESH_KEYWORDS, *FRESH_FILES],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=900,
        )
        took = time.monotonic() - started
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "[aandacht] a throwaway PostgreSQL" in out and "[aandacht] a throwaway Redis" in out, out
    summary = out.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "deselected" in summary, summary
    for line in out.splitlines():
        if line.startswith("[aandacht] a throwaway"):
            _say(request, f"\n[fresh namespace] {line}")
    _say(request, f"[fresh namespace] {summary} (the whole inner run: {took:.1f} s)")
    assert name not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
