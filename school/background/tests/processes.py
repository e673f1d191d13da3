"""Processes and database sessions beside the reliability tests: their addresses, start and stop.

The test database is pytest's; the helpers hand its URL to child processes (gunicorn, Celery workers) and
open sessions of the test's own next to Django's. Loopback only.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
NEEDS_POSTGRES = ("needs PostgreSQL: another process cannot share pytest's SQLite test database "
                  "(CI's second run sets DATABASE_URL)")


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(NEEDS_POSTGRES)


def database_url() -> str:
    """The URL of pytest's test database, for a child process."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def admin_connection(dbname: str = "postgres") -> psycopg.Connection:
    """An autocommit connection of the tests' own, beside Django's (default: the maintenance database)."""
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or None,
                           password=db["PASSWORD"] or None, dbname=dbname, autocommit=True)


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process on the test database; without the read replica (its URL names
    the database the tests do not use, and the replica tests are school/config/tests/test_replica.py)."""
    environment = {name: value for name, value in os.environ.items() if name != "DATABASE_REPLICA_URL"}
    return {**environment, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "school.config.settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]), **extra}


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 20 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers_http(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/api/v1/")
        conn.getresponse().read()
        conn.close()
        return True
    except OSError:
        return False


class Workers:
    """Starts Celery worker processes on a queue of their own (no other worker on the broker takes its
    tasks), reading the test database; stops those still running at the end."""

    def __init__(self, visibility_timeout: int):
        self.queue = f"test-faults-{uuid.uuid4().hex[:12]}"
        self.visibility_timeout = visibility_timeout
        self.processes: list[subprocess.Popen] = []

    def start(self, pool: str = "solo", **env: str) -> subprocess.Popen:
        """A worker process (``pool="prefork"``: with one pool process), ``env`` added to its environment."""
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "school.config", "worker", "--pool", pool, "--concurrency", "1",
             "--queues", self.queue, "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel", "WARNING"],
            cwd=ROOT, env=child_env(DATABASE_CONN_MAX_AGE="0", CELERY_VISIBILITY_TIMEOUT=str(self.visibility_timeout),
                                    **env),
        )
        self.processes.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.processes:
            stop(worker)
