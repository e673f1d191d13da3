"""Fixtures of the reliability tests: a gunicorn server and Celery workers on the test database.

They need PostgreSQL (another process cannot share pytest's in-memory SQLite database) and, for workers,
the broker of ``CELERY_BROKER_URL``: CI's PostgreSQL run has both; elsewhere the tests skip, saying why.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings

from django.db import connection

from school.background.tests.processes import (
    ROOT, Workers, admin_connection, answers_http, child_env, free_port, require_postgres, stop, wait_for,
)


@pytest.fixture
def live_gunicorn(transactional_db) -> Iterator[int]:
    """The port of a gunicorn server (3 sync workers, persistent database connections, as ``scripts/serve``
    runs it) serving ``school.config.wsgi`` from the test database."""
    require_postgres()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "school.config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "3",
         "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=child_env(DATABASE_CONN_MAX_AGE="60"),
    )
    try:
        wait_for(lambda: server.poll() is not None or answers_http(port), 60, "gunicorn answering")
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with status {server.returncode}")
        yield port
    finally:
        stop(server)


@pytest.fixture
def celery_workers(transactional_db) -> Iterator[Workers]:
    """``Workers`` whose broker gives a task taken by a dead worker to another after 2 seconds."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("CELERY_BROKER_URL is unset: no broker to run a real worker on "
                    "(CI's PostgreSQL run sets redis://127.0.0.1:6379/15)")
    require_postgres()
    workers = Workers(visibility_timeout=2)
    yield workers
    workers.stop_all()


@pytest.fixture
def admin(transactional_db):
    """An autocommit session of the test's own on the test database, beside Django's."""
    require_postgres()
    with admin_connection(connection.settings_dict["NAME"]) as session:
        yield session
