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
