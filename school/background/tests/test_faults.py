"""Faults: workers killed in the middle of a rollup, and the database dropping connections under ingest load.

- A whole Celery worker (``--pool solo``) SIGKILLed while its rollup is inside its transaction: nothing of it
  is committed, the broker hands the unacknowledged task to the restarted worker once the visibility
  timeout has passed (``CELERY_VISIBILITY_TIMEOUT``), and the rollups end equal to a recomputation.
- A prefork pool process SIGKILLed the same way (what the OOM killer does): the worker requeues the task
  at once (``CELERY_TASK_REJECT_ON_WORKER_LOST``), its new pool process rolls the day up.
- The database dropping every connection of the test database three times while 8 clients send 60,000
  events through gunicorn, and refusing new ones for a second each time (what a restart looks like from
  the application): clients get 503 with ``Retry-After``, retry, and every event is stored once.

Both kills happen at the same point: another rollup holds the rollups' lock, so the worker's rollup is
stopped inside its transaction, having already locked its work, when the test kills it.
The database is not really restarted: ``pg_terminate_backend`` of the test database's connections and
``ALLOW_CONNECTIONS false`` for the outage give clients the same failures without touching the other
databases of the server (other test runs may share it). PostgreSQL, Redis and real processes only: skipped
on SQLite or without a broker, saying why. About a minute in all.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from psycopg import sql

from learning_events import aggregation, services, tasks
from learning_events.models import DirtyDay, LearnerDailyStats, LearningEvent, RejectedEvent
from school import factories
from school.accounts.services import issue_token
from school.background.tests.client import BatchClient, learner_events
from school.background.tests.processes import admin_connection, wait_for
from tests.rollups import event, recompute, stored

# --- the API's answer when the database is out of reach (any database) -----------------------------


@pytest.mark.parametrize("error", [
    OperationalError("terminating connection due to administrator command"),
    InterfaceError("connection already closed"),
])
def test_a_lost_database_is_a_503_with_retry_after(error, client_for, learner, monkeypatch):
    def unavailable(**kwargs):
        raise error

    monkeypatch.setattr(services, "ingest_batch", unavailable)
    response = client_for(learner).post("/api/v1/events/batch/", {"events": []}, format="json")
    assert (response.status_code, response["Retry-After"], response.json()) == (503, "1", {
        "detail": "The database is unavailable for a moment; retry the request after Retry-After seconds."})


# --- Celery workers killed mid-rollup (PostgreSQL, Redis) ---------------------------------------------

DAYS = 5
FIRST_DAY = date.today() - timedelta(days=DAYS + 1)


def log_days_of(learners, room) -> int:
    """Each learner's days: a practice session of ten graded answers, an exam answer and a timed story."""
    items = []
    for n, learner in enumerate(learners):
        for d in range(DAYS):
            midnight = datetime.combine(FIRST_DAY + timedelta(days=d), datetime.min.time(), UTC)
            base = midnight + timedelta(hours=8 + n % 10)
            sid = str(uuid.uuid4())
            items.append(event(learner, "practice_start", base, room, session_id=sid))
            items += [event(learner, "word_correct" if (w + d) % 3 else "word_incorrect", base + timedelta(minutes=w),
                            room, word_id=w % 7, session_id=sid) for w in range(1, 11)]
            items.append(event(learner, "practice_end", base + timedelta(minutes=12), room, session_id=sid))
            items.append(event(learner, "exam_answer", base + timedelta(minutes=20), room,
                               exam_id=1, question_id=d, submission_id=n * DAYS + d, correct=bool(d % 2)))
            items.append(event(learner, "content_complete", base + timedelta(minutes=40), room,
                               content_id=d, content_type="story", duration_seconds=600))
    return services.log_events(items)


class RollupInProgress:
    """Another rollup, in a thread, inside its transaction: it holds the rollups' lock until ``finish``."""

    def __init__(self, user_id: int, day: date):
        self.started, self.release, self.errors = threading.Event(), threading.Event(), []
        self.thread = threading.Thread(target=self._run, args=(user_id, day))
        self.thread.start()
        assert self.started.wait(30), "the rollup in progress did not start"

    def _run(self, user_id: int, day: date) -> None:
        try:
            with transaction.atomic():
                aggregation.rollup_day(day, [user_id])
                self.started.set()
                self.release.wait(120)
        except Exception as exc:  # an exception in a thread would vanish: kept and checked in finish()
            self.errors.append(exc)
        finally:
            connection.close()

    def finish(self) -> None:
        self.release.set()
        self.thread.join(30)
        assert self.errors == []

    def __enter__(self) -> RollupInProgress:
        return self

    def __exit__(self, *exc_info) -> None:
        self.release.set()  # also when the test failed before finish(): never leave the thread waiting
        self.thread.join(30)


def waiting_for_rollup_lock(admin) -> list[int]:
    """The backends of this database waiting for an advisory lock (only the rollups take one)."""
    return [pid for (pid,) in admin.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").fetchall()]


def backend_gone(admin, pid: int) -> bool:
    return admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() is None


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux ``/proc``)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_a_worker_killed_mid_rollup_leaves_nothing_half_done_and_its_task_is_redelivered(celery_workers, admin,
                                                                                         capsys):
    room = factories.ClassroomFactory()
    learners = [factories.UserFactory() for _ in range(30)]
    events = log_days_of(learners, room)
    dirty = DirtyDay.objects.count()
    worker = celery_workers.start()

    with RollupInProgress(learners[0].pk, FIRST_DAY) as other:
        tasks.rollup_dirty_days_task.apply_async(queue=celery_workers.queue)
        wait_for(lambda: waiting_for_rollup_lock(admin), 60, "the worker's rollup waiting inside its transaction")
        (zombie,) = waiting_for_rollup_lock(admin)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed = time.monotonic()
        other.finish()
    # The killed worker's database session ends by itself (PostgreSQL finds the client gone) and rolls back.
    wait_for(lambda: backend_gone(admin, zombie), 30, "the killed worker's session ending")
    assert DirtyDay.objects.count() == dirty  # nothing of the killed rollup was committed
    # Only the other rollup's day (with the learner's classmates) is stored: none of the killed one's.
    assert set(LearnerDailyStats.objects.values_list("date", flat=True)) == {FIRST_DAY}

    time.sleep(max(0.0, celery_workers.visibility_timeout - (time.monotonic() - killed)))
    celery_workers.start()  # the task was sent once: only the broker's redelivery can run it now
    wait_for(lambda: not DirtyDay.objects.exists(), 90, "the redelivered rollup")
    recovered = time.monotonic() - killed
    days = [FIRST_DAY + timedelta(days=d) for d in range(-1, DAYS + 1)]
    assert stored() == recompute([learner.pk for learner in learners], days)
    with capsys.disabled():
        print(f"\n[fault: worker SIGKILL] {events:,} events, {dirty} dirty learner-days; worker killed inside its "
              f"rollup; redelivered and rolled up {recovered:.1f} s after the kill; rollups equal a recomputation")


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_a_pool_process_killed_mid_rollup_gets_its_task_requeued_at_once(celery_workers, admin, capsys):
    room = factories.ClassroomFactory()
    learners = [factories.UserFactory() for _ in range(10)]
    log_days_of(learners, room)
    day = FIRST_DAY + timedelta(days=2)
    # A broker that would wait an hour: a redelivery within the test can only be the worker's own requeue.
    celery_workers.visibility_timeout = 3600
    worker = celery_workers.start(pool="prefork")

    with RollupInProgress(learners[0].pk, FIRST_DAY) as other:
        tasks.rollup_day_task.apply_async(args=[day.isoformat(), [learner.pk for learner in learners]],
                                          queue=celery_workers.queue)
        wait_for(lambda: waiting_for_rollup_lock(admin), 60,
                 "the pool process's rollup waiting inside its transaction")
        (first,) = waiting_for_rollup_lock(admin)
        (pool_process,) = children_of(worker.pid)
        killed = time.monotonic()
        os.kill(pool_process, signal.SIGKILL)
        # The requeued task's new run waits for the same lock, in another session.
        wait_for(lambda: [pid for pid in waiting_for_rollup_lock(admin) if pid != first], 60,
                 "the requeued rollup waiting for the lock")
        assert worker.poll() is None  # the worker itself lived on
        other.finish()
    wait_for(lambda: LearnerDailyStats.objects.filter(date=day).count() == len(learners), 60, "the requeued rollup")
    recovered = time.monotonic() - killed
    assert stored() == recompute([learner.pk for learner in learners], [FIRST_DAY, day])
    with capsys.disabled():
        print(f"\n[fault: pool process SIGKILL] rollup_day of {len(learners)} learners requeued by the worker and "
              f"done {recovered:.1f} s after the kill (visibility timeout 3600 s); rollups equal a recomputation")


# --- the database dropping connections under ingest load (PostgreSQL) ---------------------------------

LEARNERS = 40
EVENTS_PER_LEARNER = 1_500
BATCH = 250
CLIENTS = 8
OUTAGES_AT = (0.2, 0.5, 0.8)  # fractions of the batches answered
OUTAGE_SECONDS = 1.0


class DatabaseOutages:
    """In a thread: when the clients have had the given fractions of their batches answered, the test
    database refuses new connections, every open one is terminated, and a second later it accepts again."""

    def __init__(self, dbname: str, spare_pid: int, total: int):
        self.dbname, self.spare_pid, self.total = dbname, spare_pid, total
        self.answered = 0
        self.lock = threading.Lock()
        self.terminated: list[int] = []
        self.errors: list[Exception] = []
        self.done = threading.Event()  # set by the test when the clients are finished, failed or not
        self.thread = threading.Thread(target=self._run)

    def one_answered(self) -> None:
        with self.lock:
            self.answered += 1

    def _run(self) -> None:
        try:
            with admin_connection() as admin:
                for fraction in OUTAGES_AT:
                    while self.answered < fraction * self.total:
                        if self.done.wait(0.01):
                            return
                    self.terminated.append(self._outage(admin))
        except Exception as exc:  # kept and checked by the test
            self.errors.append(exc)

    def _outage(self, admin) -> int:
        allow = sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}")
        admin.execute(allow.format(sql.Identifier(self.dbname), sql.SQL("false")))
        try:
            (terminated,) = admin.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s", [self.dbname, self.spare_pid]).fetchone()
            time.sleep(OUTAGE_SECONDS)
        finally:
            admin.execute(allow.format(sql.Identifier(self.dbname), sql.SQL("true")))
        return terminated


@pytest.mark.postgres
def test_connections_dropped_under_ingest_load_give_retryable_503s_and_lose_or_double_nothing(live_gunicorn, capsys):
    rng = random.Random(20260502)
    room = factories.ClassroomFactory()
    learners = [factories.UserFactory() for _ in range(LEARNERS)]
    for learner in learners:
        factories.MembershipFactory(classroom=room, student=learner)
    tokens = {learner.pk: issue_token(user=learner)[0] for learner in learners}
    now = timezone.now()
    jobs = []
    for learner in learners:
        events = learner_events(rng, count=EVENTS_PER_LEARNER, classroom_id=room.pk, now=now)
        jobs += [(learner.pk, events[start:start + BATCH]) for start in range(0, len(events), BATCH)]
    rng.shuffle(jobs)
    expected = {event["event_id"] for _, events in jobs for event in events}
    with connection.cursor() as cursor:  # the test's own session survives the outages
        cursor.execute("SELECT pg_backend_pid()")
        (spare_pid,) = cursor.fetchone()
    outages = DatabaseOutages(connection.settings_dict["NAME"], spare_pid, len(jobs))

    def deliver(job):
        delivery = BatchClient(live_gunicorn, tokens[job[0]]).deliver(job[1])
        outages.one_answered()
        return delivery

    began = time.monotonic()
    outages.thread.start()
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            deliveries = list(pool.map(deliver, jobs))
    finally:
        outages.done.set()
        outages.thread.join(30)
    seconds = time.monotonic() - began
    assert outages.errors == []
    assert len(outages.terminated) == len(OUTAGES_AT)

    failures = Counter(kind for delivery in deliveries for kind in delivery.failures)
    assert set(failures) == {"503"}  # every failure a client saw was a 503 with Retry-After
    # Each batch is one transaction: stored whole by one attempt. An attempt whose commit went through but
    # whose answer was lost makes its retry find every event stored: duplicates, never doubles.
    outcomes = [(len(events), (d.answer["accepted"], d.answer["duplicates"], d.answer["rejected"]))
                for (_, events), d in zip(jobs, deliveries)]
    assert [o for n, o in outcomes if o not in ((n, 0, []), (0, n, []))] == []
    retried = [d for d in deliveries if d.failures]
    assert all(d.answer["duplicates"] == 0 for d in deliveries if not d.failures)
    stored_ids = {str(i) for i in LearningEvent.objects.values_list("event_id", flat=True).iterator(5000)}
    assert LearningEvent.objects.count() == len(stored_ids) == LEARNERS * EVENTS_PER_LEARNER
    assert stored_ids == expected
    assert RejectedEvent.objects.count() == 0

    aggregation.rollup_dirty_days()
    first = now.date() - timedelta(days=7)
    assert stored() == recompute(list(tokens), [first + timedelta(days=n) for n in range(9)])

    committed_unanswered = sum(1 for d in retried if d.answer["duplicates"])
    with capsys.disabled():
        print(f"\n[fault: database connections dropped] events sent {len(expected):,} in {len(jobs)} batches by "
              f"{CLIENTS} clients; {len(OUTAGES_AT)} outages of {OUTAGE_SECONDS:.0f} s terminated "
              f"{sum(outages.terminated)} sessions; {failures['503']} answers 503, {len(retried)} batches retried "
              f"({committed_unanswered} had been committed before the connection dropped: reported as duplicates); "
              f"stored {len(stored_ids):,}, lost 0, doubled 0; {seconds:.1f} s; rollups equal a recomputation")
