"""Celery entry points of the rollups: thin, primitive arguments, idempotent, safe to retry and to overlap.

The host schedules them (``CELERY_BEAT_SCHEDULE``): ``rollup_dirty_days_task`` every
``LEARNING_EVENTS_ROLLUP_INTERVAL_SECONDS``, ``rollup_previous_local_day_task`` nightly,
``maintain_partitions_task`` hourly, ``update_memory_task`` every rollup interval, ``refit_memory_task``
nightly (docs/memory.md), and ``forward_xapi_task`` every ``LEARNING_EVENTS_XAPI_INTERVAL_SECONDS`` when
``LEARNING_EVENTS_XAPI_ENDPOINT`` is set. Without a broker the host runs the same schedule in-process.

The dirty-day and nightly rollups fan out (docs/scaling.md): each plans its learner-days, then sends a
chord of ``rollup_learner_shard_task``s (``LEARNING_EVENTS_ROLLUP_SHARD_SIZE`` learners each, run by
whichever workers are free; one failing is retried alone) whose callback, ``rollup_classroom_days_task``,
sums the classroom rows once every shard is stored. The shards and the callback go to the queue their
rollup came from. A chord needs a result backend (the host's ``CELERY_RESULT_BACKEND``); without a
broker, the chord runs in-process, shard after shard.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from celery import chord, shared_task
from celery.result import AsyncResult
from django.db import DatabaseError

from . import aggregation, forwarding, memory, partitions
from .conf import app_settings

# A rollup that fails on the database (a deadlock, a lost connection) is retried: each is idempotent.
_RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "max_retries": 5, "acks_late": True,
          "ignore_result": True}
# The steps of a fan-out keep their results: a chord counts its shards' to know when all are stored, and a
# caller (bench/rollup.py) may wait for its last step's.
_CHORD = {**_RETRY, "ignore_result": False}


@shared_task(name="learning_events.rollup_dirty_days", bind=True, **_RETRY)
def rollup_dirty_days_task(self) -> None:
    """Re-roll the learner-days that received events since the last run, fanned out."""
    _fan_out(self, aggregation.plan_dirty_days(shard_size=app_settings.ROLLUP_SHARD_SIZE))


@shared_task(name="learning_events.rollup_learner_shard", **_CHORD)
def rollup_learner_shard_task(pairs: list[list[Any]]) -> int:
    """Roll up the learner rows of ``pairs`` ([user id, ISO day]): one shard of a fan-out. Returns how many
    learner-days."""
    return aggregation.rollup_learner_shard(
        (user_id, date.fromisoformat(day)) for user_id, day in pairs).learner_days


@shared_task(name="learning_events.rollup_classroom_days", **_CHORD)
def rollup_classroom_days_task(shard_results: list[int], classroom_days: list[list[Any]],
                               dirty: list[list[Any]]) -> None:
    """The fan-out's last step: the classroom rows of ``classroom_days`` ([classroom id, ISO day]) from the
    stored learner rows, and the dirty marks ``dirty`` ([id, ISO marked_at]) cleared. ``shard_results``:
    the shards' (the chord's header) results, unused."""
    aggregation.rollup_classroom_days(
        ((room, date.fromisoformat(day)) for room, day in classroom_days),
        [(pk, datetime.fromisoformat(marked_at)) for pk, marked_at in dirty])


def _fan_out(task: Any, plan: aggregation.FanOut) -> None:
    """Send ``plan`` on the queue ``task`` came from."""
    fan_out(plan, queue=(task.request.delivery_info or {}).get("routing_key"))


def fan_out(plan: aggregation.FanOut, *, queue: str | None = None) -> AsyncResult | None:
    """Send ``plan`` as a chord, on ``queue`` (None: the default one): its learner shards, then its
    classroom rows and marks. Returns the classroom task's result (a chord's: needs a result backend);
    None when the plan holds nothing to do."""
    if not plan.shards and not plan.dirty:
        return None  # nothing to roll up (the periodic run's common case between lessons)
    options = {"queue": queue} if queue else {}
    finish = rollup_classroom_days_task.s(
        [[room, day.isoformat()] for room, day in plan.classroom_days],
        [[pk, marked_at.isoformat()] for pk, marked_at in plan.dirty]).set(**options)
    if not plan.shards:  # nothing recomputable (purged days): only marks to clear
        return finish.apply_async(args=([],))
    return chord([rollup_learner_shard_task.s([[user_id, day.isoformat()] for user_id, day in shard]).set(**options)
                  for shard in plan.shards], finish).apply_async()


@shared_task(name="learning_events.rollup_day", **_RETRY)
def rollup_day_task(day: str, user_ids: list[int] | None = None) -> None:
    """Roll up the local day ``day`` (ISO ``YYYY-MM-DD``) for ``user_ids`` (None: everyone active)."""
    aggregation.rollup_day(date.fromisoformat(day), user_ids)


@shared_task(name="learning_events.rollup_previous_local_day", bind=True, **_RETRY)
def rollup_previous_local_day_task(self) -> None:
    """Nightly: roll up, for every learner active lately, the local day that just ended, fanned out."""
    _fan_out(self, aggregation.plan_previous_local_day(shard_size=app_settings.ROLLUP_SHARD_SIZE))


@shared_task(name="learning_events.maintain_partitions", **_RETRY)
def maintain_partitions_task() -> None:
    """PostgreSQL: create the event partitions of the coming days (and of the acceptance window) ahead."""
    partitions.maintain_partitions()


@shared_task(name="learning_events.update_memory", **_RETRY)
def update_memory_task() -> None:
    """Bring the memory states up to date with the learner-days rolled up since the last run."""
    memory.update_memory()


@shared_task(name="learning_events.refit_memory", **_RETRY)
def refit_memory_task() -> None:
    """Nightly: refit the learners' memory parameters and the calibration from every review."""
    memory.refit_memory()
@shared_task(name="learning_events.forward_xapi", **_RETRY)
def forward_xapi_task() -> None:
    """Send the events stored since the last run to the LRS (nothing when no endpoint is set).

    LRS failures are not task failures: the cursor stays, the failure is recorded, the next runs back off.
    """
    forwarding.forward_xapi()
