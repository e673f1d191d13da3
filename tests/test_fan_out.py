"""Rollups fanned out in shards of learners (in-process here: the tasks run eagerly, chord included).

The real-worker runs (two Celery workers on Redis, one of them killed mid-shard) are in
school/background/tests/test_fan_out.py.
"""

import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from learning_events import aggregation, tasks
from learning_events.models import (
    ClassroomDailyStats,
    ClassroomWordDailyStats,
    DirtyDay,
    LearnerClassroomDailyStats,
    LearnerClassroomWordDailyStats,
    LearnerDailyStats,
    LearnerWordDailyStats,
)
from tests.rollups import event, log, recompute, stored
from tests.testapp.models import Room

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
DAYS = [DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)]
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ROLLUPS = (LearnerDailyStats, LearnerClassroomDailyStats, ClassroomDailyStats, LearnerWordDailyStats,
           LearnerClassroomWordDailyStats, ClassroomWordDailyStats)


def school_day(make_user):
    """Seven learners in four time zones, two classrooms (one learner in both, one in none), sessions,
    timed activities and games across midnight UTC: every kind of row, several shards."""
    zones = ["UTC", "America/New_York", "Asia/Tokyo", "Europe/Madrid"]
    learners = [make_user(time_zone=zones[n % len(zones)]) for n in range(7)]
    rooms = [Room.objects.create(name="A"), Room.objects.create(name="B")]
    items = []
    for n, learner in enumerate(learners):
        room = None if n == 6 else rooms[n % 2]
        for hours in (-13, 0, 11):
            base = NOON + timedelta(hours=hours, minutes=n)
            sid = str(uuid.uuid4())
            items.append(event(learner, "practice_start", base, room, session_id=sid))
            items += [event(learner, "word_correct" if (w + n) % 3 else "word_incorrect",
                            base + timedelta(minutes=w), room, word_id=w % 4, session_id=sid) for w in range(1, 6)]
            items.append(event(learner, "practice_end", base + timedelta(minutes=7), room, session_id=sid))
            items.append(event(learner, "game_complete", base + timedelta(minutes=30), room,
                               game_id=1, score=n + 0.5, duration_seconds=300))
        if n == 0:  # also active in the other classroom
            items.append(event(learner, "word_correct", NOON + timedelta(minutes=90), rooms[1], word_id=9))
    log(*items)
    return learners


def wipe_rollups():
    for model in ROLLUPS:
        model.objects.all().delete()


def test_shards_are_whole_stripes_of_at_most_the_shard_size():
    pairs = {(user_id, DAY) for user_id in (1, 2, 3, 1025, 2049, 4)} | {(1, DAY + timedelta(days=1))}
    # Learners 1, 1025 and 2049 share a stripe (user id modulo 1024): they are never split.
    assert aggregation.shard_learners(pairs, 2) == [
        [(1, DAY), (1, DAY + timedelta(days=1)), (1025, DAY), (2049, DAY)],
        [(2, DAY), (3, DAY)],
        [(4, DAY)],
    ]
    assert aggregation.shard_learners(pairs, 100) == [sorted(pairs, key=lambda p: (p[0] % 1024, p))]


def test_fanned_out_dirty_days_store_exactly_what_one_rollup_stores(make_user, settings):
    learners = school_day(make_user)
    marks = list(DirtyDay.objects.values_list("user_id", "date"))
    aggregation.rollup_dirty_days()
    single = stored()
    wipe_rollups()
    DirtyDay.objects.bulk_create(DirtyDay(user_id=user_id, date=day) for user_id, day in marks)

    settings.LEARNING_EVENTS_ROLLUP_SHARD_SIZE = 2
    plan = aggregation.plan_dirty_days(shard_size=2)
    DirtyDay.objects.update(taken_until=None)  # the plan above was only looked at
    tasks.rollup_dirty_days_task.delay()

    assert len(plan.shards) == 4
    assert stored() == single == recompute([u.pk for u in learners], DAYS)
    assert not DirtyDay.objects.exists()


def test_the_fanned_out_nightly_rollup_stores_exactly_what_one_rollup_stores(make_user, settings, monkeypatch):
    learners = school_day(make_user)
    DirtyDay.objects.all().delete()
    now = datetime(2026, 3, 11, 16, 0, tzinfo=UTC)  # already 12 March in Tokyo
    aggregation.rollup_previous_local_day(now)
    single = stored()
    wipe_rollups()

    settings.LEARNING_EVENTS_ROLLUP_SHARD_SIZE = 3
    monkeypatch.setattr(timezone, "now", lambda: now)
    tasks.rollup_previous_local_day_task.delay()

    assert stored() == single
    assert {day for _, day in single["learners"]} == {DAY, DAY + timedelta(days=1)}


def test_a_failing_shard_is_retried_alone(make_user, settings, monkeypatch):
    learners = school_day(make_user)
    settings.LEARNING_EVENTS_ROLLUP_SHARD_SIZE = 3
    calls = []
    real = aggregation.rollup_learner_shard

    def flaky(pairs):
        pairs = list(pairs)
        calls.append(sorted({user_id for user_id, _ in pairs}))
        if len(calls) == 2:
            raise OperationalError("deadlock detected")
        return real(pairs)

    monkeypatch.setattr(aggregation, "rollup_learner_shard", flaky)
    tasks.rollup_dirty_days_task.delay()

    # Three shards (learners 1-3, 4-6, 7: one stripe each), in turn; the second, failing once, runs again.
    ids = sorted(u.pk for u in learners)
    assert calls == [ids[0:3], ids[3:6], ids[3:6], ids[6:7]]
    assert stored() == recompute([u.pk for u in learners], DAYS)
    assert not DirtyDay.objects.exists()


def test_with_nothing_dirty_the_periodic_run_sends_nothing(user, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.rollup_classroom_days_task, "apply_async", lambda *a, **kw: sent.append(a))
    monkeypatch.setattr(tasks.rollup_learner_shard_task, "apply_async", lambda *a, **kw: sent.append(a))
    tasks.rollup_dirty_days_task.delay()
    log(event(user, "word_correct", NOON, word_id=1))
    DirtyDay.objects.all().delete()
    tasks.rollup_dirty_days_task.delay()
    assert sent == []


def test_a_day_marked_again_during_a_fan_out_stays_dirty_and_is_released(user, room):
    log(event(user, "word_correct", NOON, room, word_id=1))
    plan = aggregation.plan_dirty_days(shard_size=10)
    for shard in plan.shards:
        aggregation.rollup_learner_shard(shard)
    log(event(user, "word_incorrect", NOON + timedelta(minutes=1), room, word_id=1))  # marks DAY again
    aggregation.rollup_classroom_days(plan.classroom_days, plan.dirty)

    assert list(DirtyDay.objects.values_list("user_id", "date", "taken_until")) == [(user.pk, DAY, None)]
    assert aggregation.plan_dirty_days(shard_size=10).shards == [[(user.pk, DAY)]]


def test_a_second_run_leaves_the_marks_of_a_fan_out_in_flight_until_its_lease_ends(user):
    log(event(user, "word_correct", NOON, word_id=1))
    now = timezone.now()
    first = aggregation.plan_dirty_days(shard_size=10, now=now)
    second = aggregation.plan_dirty_days(shard_size=10, now=now + timedelta(minutes=5))
    after_lease = aggregation.plan_dirty_days(shard_size=10, now=now + aggregation.FAN_OUT_LEASE)

    assert (first.shards, second.shards, second.dirty) == ([[(user.pk, DAY)]], [], [])
    assert after_lease.shards == first.shards


def test_classroom_rows_are_the_sums_of_their_learners_stored_rows(make_user):
    learners = school_day(make_user)
    aggregation.rollup_dirty_days()
    expected = stored()
    ClassroomDailyStats.objects.all().delete()
    ClassroomWordDailyStats.objects.all().delete()
    classroom_days = set(LearnerClassroomDailyStats.objects.values_list("classroom_id", "date"))

    summary = aggregation.rollup_classroom_days(classroom_days)

    assert (summary.classroom_days, stored()) == (len(classroom_days), expected)
    assert expected == recompute([u.pk for u in learners], DAYS)


def _waiting_for_advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                       "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
        return cursor.fetchone()[0]


def _in_thread(work) -> tuple[threading.Thread, list]:
    errors: list = []

    def run():
        try:
            work()
        except Exception as exc:  # kept for the test: an exception in a thread would vanish
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@pytest.mark.django_db(transaction=True)
def test_a_shard_waits_only_for_a_writer_of_its_own_stripes(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("the rollup locks are PostgreSQL advisory locks; SQLite serialises writers itself")
    ann, bob = make_user(), make_user()  # ids below 1024: a stripe each
    log(event(ann, "word_correct", NOON, word_id=1), event(bob, "word_correct", NOON, word_id=2))
    with transaction.atomic():
        aggregation.hold_rollup_lock(learners=[ann.pk])  # as a shard of ann's stripe does, until the commit
        other_stripe, other_errors = _in_thread(lambda: aggregation.rollup_learner_shard([(bob.pk, DAY)]))
        other_stripe.join(60)
        same_stripe, same_errors = _in_thread(lambda: aggregation.rollup_learner_shard([(ann.pk, DAY)]))
        whole, whole_errors = _in_thread(lambda: aggregation.rollup_day(DAY, [bob.pk]))
        deadline = time.monotonic() + 60
        while _waiting_for_advisory_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        waiting = _waiting_for_advisory_locks()
        stored_meanwhile = sorted(LearnerDailyStats.objects.values_list("user_id", flat=True))
    same_stripe.join(60)
    whole.join(60)

    assert (other_stripe.is_alive(), waiting, stored_meanwhile) == (False, 2, [bob.pk])
    assert other_errors == same_errors == whole_errors == []
    assert stored() == recompute([ann.pk, bob.pk], [DAY])
