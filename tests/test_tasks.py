"""The rollup tasks: stable names, late acks, retries on database errors, each a call to one service."""

from datetime import UTC, date, datetime

import pytest
from django.db import DatabaseError, OperationalError
from django.utils import timezone

from learning_events import aggregation, tasks
from learning_events.models import DirtyDay
from tests.rollups import event, log, stored_learner_days

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("task", "name"), [
    (tasks.rollup_dirty_days_task, "learning_events.rollup_dirty_days"),
    (tasks.rollup_day_task, "learning_events.rollup_day"),
    (tasks.rollup_previous_local_day_task, "learning_events.rollup_previous_local_day"),
    (tasks.maintain_partitions_task, "learning_events.maintain_partitions"),
])
def test_tasks_are_named_acked_late_and_retried_on_database_errors(task, name):
    assert (task.name, task.acks_late, task.autoretry_for, task.max_retries, task.ignore_result) == (
        name, True, (DatabaseError,), 5, True)


@pytest.mark.parametrize(("task", "name"), [
    (tasks.rollup_learner_shard_task, "learning_events.rollup_learner_shard"),
    (tasks.rollup_classroom_days_task, "learning_events.rollup_classroom_days"),
])
def test_the_steps_of_a_fan_out_keep_their_results_for_the_chord(task, name):
    assert (task.name, task.acks_late, task.autoretry_for, task.max_retries, task.ignore_result) == (
        name, True, (DatabaseError,), 5, False)


def test_the_dirty_days_task_rolls_up_the_dirty_days(user):
    log(event(user, "word_correct", AT, word_id=1))
    tasks.rollup_dirty_days_task.delay()
    assert (list(stored_learner_days()), DirtyDay.objects.count()) == ([(user.pk, date(2026, 3, 10))], 0)


def test_the_day_task_takes_an_iso_date_and_learner_ids(make_user):
    ann, bob = make_user(), make_user()
    log(event(ann, "word_correct", AT, word_id=1), event(bob, "word_correct", AT, word_id=1))
    tasks.rollup_day_task.delay("2026-03-10", [ann.pk])
    assert list(stored_learner_days()) == [(ann.pk, date(2026, 3, 10))]
    tasks.rollup_day_task.delay("2026-03-10")
    assert set(stored_learner_days()) == {(ann.pk, date(2026, 3, 10)), (bob.pk, date(2026, 3, 10))}


def test_the_nightly_task_rolls_the_day_that_just_ended(user, monkeypatch):
    log(event(user, "word_correct", AT, word_id=1))
    DirtyDay.objects.all().delete()
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 11, 0, 15, tzinfo=UTC))
    tasks.rollup_previous_local_day_task.delay()
    assert list(stored_learner_days()) == [(user.pk, date(2026, 3, 10))]


def test_a_database_error_is_retried(user, monkeypatch):
    log(event(user, "word_correct", AT, word_id=1))
    calls = []
    real = aggregation.plan_dirty_days

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected")
        return real(**kwargs)

    monkeypatch.setattr(aggregation, "plan_dirty_days", flaky)
    tasks.rollup_dirty_days_task.apply()
    assert (len(calls), list(stored_learner_days())) == (2, [(user.pk, date(2026, 3, 10))])
