"""A real Celery worker, on the broker of CELERY_BROKER_URL, rolls up from the test database.

Runs when CELERY_BROKER_URL is set and the tests use PostgreSQL (CI's second run); skipped with the
reason otherwise. The worker is a separate process (``celery -A school.config worker``) listening on a
queue of its own, so no other worker on the same broker takes these tasks.
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.result import EagerResult
from django.conf import settings
from django.db import connection

from learning_events import aggregation, services, tasks
from learning_events.models import ClassroomDailyStats, DirtyDay, LearnerDailyStats

ROOT = Path(__file__).resolve().parents[3]
AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
DAY = date(2026, 3, 10)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue():
    """The name of a queue a fresh worker process consumes, against this test database."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("CELERY_BROKER_URL is unset: no broker to run a real worker on "
                    "(CI's PostgreSQL run sets redis://127.0.0.1:6379/15)")
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot share this test database (SQLite in memory): needs PostgreSQL")
    queue = f"test-rollups-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "school.config.settings",
           "DATABASE_CONN_MAX_AGE": "0", "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "school.config", "worker", "--pool", "solo", "--queues", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
        cwd=ROOT, env=env,
    )
    yield queue
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def figures_of(row) -> dict:
    return {name: getattr(row, name) for name in aggregation.FIGURES}


def _wait_for(condition, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not finish within {seconds} s")
        time.sleep(0.2)


def test_a_real_worker_rolls_up_dirty_days_and_named_days(worker_queue, classroom, learner):
    services.log_word_practice(learner, 5, True, classroom, occurred_at=AT)
    services.log_word_practice(learner, 6, False, classroom, occurred_at=AT + timedelta(minutes=1))
    expected = aggregation.aggregate_daily_stats(learner.pk, DAY)

    sent = tasks.rollup_dirty_days_task.apply_async(queue=worker_queue)
    assert not isinstance(sent, EagerResult)  # it went to the broker, not run here
    _wait_for(lambda: not DirtyDay.objects.exists())
    assert figures_of(LearnerDailyStats.objects.get(user=learner, date=DAY)) == expected
    assert ClassroomDailyStats.objects.get(classroom=classroom, date=DAY).active_learners == 1

    LearnerDailyStats.objects.all().delete()
    tasks.rollup_day_task.apply_async(args=[DAY.isoformat(), [learner.pk]], queue=worker_queue)
    _wait_for(lambda: LearnerDailyStats.objects.exists())
    assert figures_of(LearnerDailyStats.objects.get(user=learner, date=DAY)) == expected
