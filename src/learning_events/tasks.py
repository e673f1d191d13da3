"""Celery entry points of the rollups: thin, primitive arguments, idempotent, safe to retry and to overlap.

The host schedules them (``CELERY_BEAT_SCHEDULE``): ``rollup_dirty_days_task`` every
``LEARNING_EVENTS_ROLLUP_INTERVAL_SECONDS``, ``rollup_previous_local_day_task`` nightly,
``maintain_partitions_task`` hourly, ``update_memory_task`` every rollup interval, ``refit_memory_task``
nightly (docs/memory.md), and ``forward_xapi_task`` every ``LEARNING_EVENTS_XAPI_INTERVAL_SECONDS`` when
``LEARNING_EVENTS_XAPI_ENDPOINT`` is set. Without a broker the host runs the same schedule in-process.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import DatabaseError

from . import aggregation, forwarding, memory, partitions

# A rollup that fails on the database (a deadlock, a lost connection) is retried: each is idempotent.
_RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "max_retries": 5, "acks_late": True,
          "ignore_result": True}


@shared_task(name="learning_events.rollup_dirty_days", **_RETRY)
def rollup_dirty_days_task() -> None:
    """Re-roll the learner-days that received events since the last run."""
    aggregation.rollup_dirty_days()


@shared_task(name="learning_events.rollup_day", **_RETRY)
def rollup_day_task(day: str, user_ids: list[int] | None = None) -> None:
    """Roll up the local day ``day`` (ISO ``YYYY-MM-DD``) for ``user_ids`` (None: everyone active)."""
    aggregation.rollup_day(date.fromisoformat(day), user_ids)


@shared_task(name="learning_events.rollup_previous_local_day", **_RETRY)
def rollup_previous_local_day_task() -> None:
    """Nightly: roll up, for every learner active lately, the local day that just ended."""
    aggregation.rollup_previous_local_day()


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
