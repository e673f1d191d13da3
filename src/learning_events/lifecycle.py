"""Data lifecycle: purge old raw events while the rollups stay true, and forget a deleted learner.

Purging (``purge_events``): the rollups are brought up to date first, then the purge horizon is recorded
(``EventPurge``), then raw events (by ``occurred_at``) and dead letters (by ``received_at``) older than it
are deleted: on PostgreSQL the event partitions that lie wholly before the horizon are dropped whole, and
rows are deleted, in chunks, only in the partition the horizon cuts; dead letters (and events on SQLite)
are deleted in chunks. Rollups of the days whose events may reach across the horizon are frozen from then
on: rolling them up does nothing (``aggregation.first_recomputable_day``), so they keep the figures computed
from the complete events. Pending dirty marks of frozen days are dropped.

Deleting a learner or a classroom waits for a running rollup (the rollup lock), so that none writes rows
for them after the cascades. Deleting a learner: the cascades delete their events, dead letters, dirty
marks and their own rollups (learner, learner-classroom and learner-word days). Classroom rollups are sums
over learners, so ``before_learner_deleted`` (connected to the user model's ``pre_delete``) fixes them up
in the same transaction: a classroom-day the learner was alone in is deleted; the others are queued for the
periodic rollup through their classmates' days, which recomputes them without the learner's (then deleted)
events. Frozen classroom-days shared with classmates cannot be recomputed and keep the learner's share of their
sums (figures only, no personal data); see docs/security.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import aggregation, partitions, services
from .conf import app_settings
from .models import (
    ClassroomDailyStats,
    ClassroomWordDailyStats,
    DirtyDay,
    EventPurge,
    LearnerClassroomDailyStats,
    LearningEvent,
    RejectedEvent,
)

PURGE_CHUNK = 10_000


class PurgeRefused(ValueError):
    """A purge whose horizon is too recent: clients may still send events for the days it would freeze."""


@dataclass(frozen=True)
class PurgeCounts:
    """What a purge before ``before`` deletes (or, for a dry run, would delete)."""

    before: datetime
    events: int
    dead_letters: int


def latest_purge_cutoff(now: datetime | None = None) -> datetime:
    """The most recent cutoff a purge may use at ``now``.

    Clients send events up to ``LEARNING_EVENTS_MAX_EVENT_AGE_DAYS`` old, and such an event changes local
    days (any time zone, sessions reaching MAX_SESSION) up to a day and a half before it; the purge freezes
    the days up to a day and MAX_SESSION after its cutoff (``aggregation.first_recomputable_day``). Keeping
    the two apart means no accepted event ever lands in a frozen day.
    """
    now = now or timezone.now()
    return now - app_settings.MAX_EVENT_AGE - timedelta(days=3) - 2 * app_settings.MAX_SESSION


def minimum_retention_days() -> int:
    """The smallest ``--older-than DAYS`` that ``latest_purge_cutoff`` allows (whole days)."""
    span = app_settings.MAX_EVENT_AGE + timedelta(days=3) + 2 * app_settings.MAX_SESSION
    return -(-span // timedelta(days=1))  # rounded up


def purge_counts(before: datetime) -> PurgeCounts:
    """How many raw events occurred, and how many dead letters were received, before ``before``."""
    return PurgeCounts(
        before=before,
        events=LearningEvent.objects.filter(occurred_at__lt=before).count(),
        dead_letters=RejectedEvent.objects.filter(received_at__lt=before).count(),
    )


def purge_events(*, before: datetime, chunk_size: int = PURGE_CHUNK,
                 progress: Callable[[int], Any] | None = None) -> EventPurge:
    """Delete the raw events that occurred before ``before`` and the dead letters received before it,
    keeping every rollup true. Returns the recorded ``EventPurge`` with its counts.

    ``progress(n)`` is called after each chunk of ``n`` deleted rows. Each chunk is its own transaction,
    so a purge can be interrupted and run again. Raises ``PurgeRefused`` when ``before`` is after
    ``latest_purge_cutoff()``.
    """
    latest = latest_purge_cutoff()
    if before > latest:
        raise PurgeRefused(
            f"Events from {before:%Y-%m-%d %H:%M} UTC cannot be purged yet: clients may still send events "
            f"that old, and their days could no longer be rolled up. Purge before {latest:%Y-%m-%d %H:%M} UTC "
            f"at the latest (at least {minimum_retention_days()} days).")
    # Every day the purge will freeze is rolled up from its complete events first.
    aggregation.rollup_dirty_days()
    with transaction.atomic():
        purge = EventPurge.objects.create(before=before)
        first_day = aggregation.first_recomputable_day()
        dropped, _ = DirtyDay.objects.filter(date__lt=first_day).delete()
    purge.dirty_days_dropped = dropped
    purge.events_deleted = _purge_events_before(before, chunk_size, progress)
    purge.dead_letters_deleted = _delete_in_chunks(RejectedEvent.objects.filter(received_at__lt=before),
                                                   chunk_size, progress)
    purge.finished_at = timezone.now()
    purge.save(update_fields=["dirty_days_dropped", "events_deleted", "dead_letters_deleted", "finished_at"])
    return purge


def _purge_events_before(before: datetime, chunk_size: int, progress: Callable[[int], Any] | None) -> int:
    """Delete the events that occurred before ``before``; return how many. On PostgreSQL the partitions
    wholly before it are dropped (instant, no dead rows left for vacuum) and only the rows of the partition
    it cuts are deleted; elsewhere every row is deleted, in chunks."""
    events = LearningEvent.objects.filter(occurred_at__lt=before)
    if not partitions.is_partitioned():
        return _delete_in_chunks(events, chunk_size, progress)
    dropped, cut = partitions.drop_partitions_before(before, progress=progress)
    if cut is None:
        return dropped
    in_cut = events if cut.lo is None else events.filter(occurred_at__gte=cut.lo)
    return dropped + _delete_in_chunks(in_cut, chunk_size, progress)


def _delete_in_chunks(queryset, chunk_size: int, progress: Callable[[int], Any] | None) -> int:
    """Delete ``queryset``'s rows ``chunk_size`` at a time (short transactions, short locks). Each chunk is
    deleted through ``queryset`` itself, so that its conditions (the partition's bounds) still hold."""
    deleted = 0
    while True:
        ids = list(queryset.order_by().values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return deleted
        count, _ = queryset.filter(pk__in=ids).delete()
        deleted += count
        if progress is not None:
            progress(count)


def before_learner_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_delete`` receiver of the user model: keep the classroom rollups true without the learner.

    A signal because a user is deleted in many ways (the admin, a script, a bulk delete), each of which
    runs it inside the deletion's transaction, before the cascades remove the learner's rows. It takes the
    rollup lock first, so no rollup runs between here and the deletion's commit: one that had read the
    learner's events could otherwise write their rollup rows (which have no database-level foreign key,
    ``models.rollup_key``) after the cascade, or put their share back into a classroom-day.
    """
    aggregation.hold_rollup_lock()
    release_classroom_days(instance.pk)


def before_classroom_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_delete`` receiver of the classroom model: take the rollup lock, so that no rollup that had read
    the classroom's events writes its rollup rows (no database-level foreign key) after the cascade."""
    aggregation.hold_rollup_lock()


def release_classroom_days(user_id: int) -> None:
    """Take the learner ``user_id``'s share out of the classroom rollups of the days they were active in:
    delete the classroom-days they were the only learner of, and mark their classmates' recomputable days
    of the others dirty, so the periodic rollup recomputes those classroom-days without them."""
    mine = set(LearnerClassroomDailyStats.objects.filter(user_id=user_id).values_list("classroom_id", "date"))
    if not mine:
        return
    classmates: dict[tuple[int, date], set[int]] = defaultdict(set)
    rows = (LearnerClassroomDailyStats.objects
            .filter(classroom_id__in={room for room, _ in mine}, date__in={day for _, day in mine})
            .exclude(user_id=user_id).values_list("classroom_id", "date", "user_id"))
    for room, day, other in rows:
        if (room, day) in mine:
            classmates[(room, day)].add(other)
    alone_by_room: dict[int, list[date]] = defaultdict(list)
    for room, day in mine - classmates.keys():
        alone_by_room[room].append(day)
    if alone_by_room:
        alone = Q()
        for room, days in alone_by_room.items():
            alone |= Q(classroom_id=room, date__in=days)
        ClassroomDailyStats.objects.filter(alone).delete()
        ClassroomWordDailyStats.objects.filter(alone).delete()
    first_day = aggregation.first_recomputable_day()
    services.mark_learner_days_dirty(
        (other, day) for (_, day), others in classmates.items() if first_day is None or day >= first_day
        for other in others)
