"""Rollups fanned out over real Celery workers on Redis: two worker processes share the shards of a
dirty-day rollup and store exactly what one process stores; one of them SIGKILLed inside its shard loses
nothing and doubles nothing once the broker redelivers the shard.

The shards are made to wait inside their transactions, both at once, behind another rollup holding the
rollups' lock (``RollupInProgress``): two sessions waiting at the same time can only be two workers each in
a shard. PostgreSQL, Redis and real processes only: skipped on SQLite or without a broker, saying why.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest

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
from school import factories
from school.background.tests.processes import wait_for
from school.background.tests.test_faults import DAYS, FIRST_DAY, RollupInProgress, log_days_of, waiting_for_rollup_lock
from tests.rollups import recompute, stored

SHARD_SIZE = 4  # 24 learners: 6 shards
ALL_DAYS = [FIRST_DAY + timedelta(days=d) for d in range(-1, DAYS + 1)]
ROLLUPS = (LearnerDailyStats, LearnerClassroomDailyStats, ClassroomDailyStats, LearnerWordDailyStats,
           LearnerClassroomWordDailyStats, ClassroomWordDailyStats)


def two_classrooms_rolled_up_once():
    """24 learners in two classrooms with five days each; returns them and their rollups as one process
    stores them, then forgets those rollups and marks the same days dirty again."""
    rooms = [factories.ClassroomFactory(), factories.ClassroomFactory()]
    learners = [factories.UserFactory() for _ in range(24)]
    log_days_of(learners[:12], rooms[0])
    log_days_of(learners[12:], rooms[1])
    marks = list(DirtyDay.objects.values_list("user_id", "date"))
    aggregation.rollup_dirty_days()
    single = stored()
    for model in ROLLUPS:
        model.objects.all().delete()
    DirtyDay.objects.bulk_create(DirtyDay(user_id=user_id, date=day) for user_id, day in marks)
    return learners, single


def two_shards_waiting(admin) -> list[int]:
    pids = waiting_for_rollup_lock(admin)
    return pids if len(pids) == 2 else []


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_two_workers_share_the_shards_and_store_what_one_process_stores(celery_workers, admin, capsys):
    learners, single = two_classrooms_rolled_up_once()
    for _ in range(2):
        celery_workers.start(LEARNING_EVENTS_ROLLUP_SHARD_SIZE=str(SHARD_SIZE))

    with RollupInProgress(learners[0].pk, FIRST_DAY) as other:
        tasks.rollup_dirty_days_task.apply_async(queue=celery_workers.queue)
        wait_for(lambda: two_shards_waiting(admin), 60, "a shard of each worker waiting inside its transaction")
        started = time.monotonic()
        other.finish()
    wait_for(lambda: not DirtyDay.objects.exists(), 120, "the fanned-out rollup's classroom rows and marks")
    took = time.monotonic() - started

    assert stored() == single == recompute([learner.pk for learner in learners], ALL_DAYS)
    with capsys.disabled():
        print(f"\n[fan-out: 2 workers] {len(learners)} learners in 6 shards, two at once; classroom rows and marks "
              f"{took:.1f} s after the shards could start; rollups equal one process's")


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_a_worker_killed_mid_shard_loses_nothing_and_doubles_nothing(celery_workers, admin, capsys):
    learners, single = two_classrooms_rolled_up_once()
    dirty = DirtyDay.objects.count()
    workers = [celery_workers.start(LEARNING_EVENTS_ROLLUP_SHARD_SIZE=str(SHARD_SIZE)) for _ in range(2)]

    with RollupInProgress(learners[0].pk, FIRST_DAY) as other:
        tasks.rollup_dirty_days_task.apply_async(queue=celery_workers.queue)
        wait_for(lambda: two_shards_waiting(admin), 60, "a shard of each worker waiting inside its transaction")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait()
        killed = time.monotonic()
        other.finish()
    # The other worker rolls up every other shard; the chord waits for the killed one's (unacknowledged,
    # delivered again once the visibility timeout has passed) before it sums classroom rows and clears marks.
    time.sleep(max(0.0, celery_workers.visibility_timeout - (time.monotonic() - killed)))
    celery_workers.start(LEARNING_EVENTS_ROLLUP_SHARD_SIZE=str(SHARD_SIZE))  # takes the redelivered shard
    wait_for(lambda: not DirtyDay.objects.exists(), 120, "the redelivered shard and the classroom rows")
    recovered = time.monotonic() - killed

    assert stored() == single == recompute([learner.pk for learner in learners], ALL_DAYS)
    with capsys.disabled():
        print(f"\n[fan-out: worker SIGKILL mid-shard] {dirty} dirty learner-days in 6 shards; the shard redelivered "
              f"and the rollup finished {recovered:.1f} s after the kill; rollups equal one process's")
