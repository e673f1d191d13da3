"""Rollups: each learner's, classroom's and word's daily figures, computed from the events.

One definition (``docs/aggregation.md``), two implementations that tests hold equal:

- ``aggregate_daily_stats(user_id, date)`` and the pure ``daily_figures``: the reference, plain Python
  over one learner's events. It is the definition made executable; nothing stored is read.
- ``rollup_day``, ``rollup_dirty_days`` and ``rollup_previous_local_day``: the stored rollups, computed
  set-based in SQL for any number of learner-days at once in a fixed number of statements (window
  functions for time on task), upserted, idempotent.
- The same rollups fanned out (``plan_dirty_days``, ``plan_previous_local_day``, then
  ``rollup_learner_shard`` per shard of learners and ``rollup_classroom_days`` once they are all stored):
  the tasks run the shards on as many Celery workers as there are (docs/scaling.md). Classroom rows are
  always sums of stored learner rows, so both ways store the same rows.

A learner's day is their local calendar day (``timezones``): Python computes each learner's day bounds
(DST-correct) and hands them to SQL as rows, so the SQL never converts time zones. The SQL runs on
PostgreSQL and on SQLite >= 3.38; what differs between them is confined to ``_Dialect``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from . import event_types as et
from .conf import app_settings
from .models import (
    ClassroomDailyStats,
    ClassroomWordDailyStats,
    DirtyDay,
    EventPurge,
    LearnerClassroomDailyStats,
    LearnerClassroomWordDailyStats,
    LearnerDailyStats,
    LearnerWordDailyStats,
    LearningEvent,
    MemoryDay,
)
from .timezones import day_bounds, local_date, time_zones_of

#: The figures of a learner-day (and, summed over learners, of a classroom-day), in model field order.
FIGURES = (
    "words_practiced", "words_correct", "words_incorrect", "unique_words", "accuracy",
    "exam_answers", "exam_correct", "exam_accuracy", "content_viewed", "content_completed",
    "games_completed", "sessions", "time_spent", "exam_seconds", "reading_seconds", "game_seconds", "game_score",
)
#: Events that belong to a practice session when they carry a ``session_id``.
SESSION_TYPES = (et.PRACTICE_START, et.PRACTICE_END, et.WORD_CORRECT, et.WORD_INCORRECT)
#: Events whose ``duration_seconds`` covers the time before them.
DURATION_TYPES = (et.EXAM_ANSWER, et.CONTENT_VIEW, et.CONTENT_COMPLETE, et.GAME_COMPLETE)
#: The per-activity figures: the timed events whose declared durations each sums (not merged: see
#: docs/aggregation.md). Every one of DURATION_TYPES belongs to exactly one.
ACTIVITY_SECONDS = {
    "exam_seconds": (et.EXAM_ANSWER,),
    "reading_seconds": (et.CONTENT_VIEW, et.CONTENT_COMPLETE),
    "game_seconds": (et.GAME_COMPLETE,),
}
_SESSION_TYPES, _DURATION_TYPES = frozenset(SESSION_TYPES), frozenset(DURATION_TYPES)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# Days in every time zone (UTC-12 to UTC+14) lie inside [D 00:00 UTC - 1 day, D+1 00:00 UTC + 1 day).
_ZONE_SLACK = timedelta(days=1)
# Learner-days rolled up per transaction by rollup_dirty_days.
DIRTY_BATCH = 5000
# The advisory lock key serialising rollups and deletions of learners or classrooms (hold_rollup_lock):
# "LERO".
ROLLUP_LOCK_KEY = 0x4C45524F
# Learner shards lock their learners by stripe (user id modulo STRIPES, hold_rollup_lock) and are made of
# whole stripes (shard_learners), so the shards of one fan-out never wait for each other.
STRIPES = 1024
# How long a fan-out holds the dirty marks it took (DirtyDay.taken_until): past it, should the fan-out have
# died before storing its classroom rows, the next run takes them again.
FAN_OUT_LEASE = timedelta(hours=1)


def to_micros(instant: datetime) -> int:
    """``instant`` as whole microseconds since the Unix epoch (exact)."""
    return (instant - _EPOCH) // MICROSECOND


def from_micros(micros: int) -> datetime:
    """The UTC instant ``micros`` microseconds after the Unix epoch (``to_micros`` reversed)."""
    return _EPOCH + micros * MICROSECOND


# --- the reference definition, in Python ------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """One event as the rollups see it: what it counts for and what time it covers."""

    event_type: str
    at: int  # occurred_at, microseconds since the epoch
    classroom_id: int | None = None
    word_id: int | None = None
    session_id: str | None = None  # normalised: lower-case hex without dashes
    duration: int = 0  # microseconds the event covers before ``at`` (capped at MAX_SESSION)
    correct: bool = False  # exam answers: graded correct
    score: float = 0.0  # completed games: their score

    @classmethod
    def of(cls, event_type: str, occurred_at: datetime, classroom_id: int | None, context: dict) -> Activity:
        """The activity of a stored event (its context already validated by the catalogue)."""
        word_id = context.get("word_id") if event_type in et.WORD_TYPES else None
        session_id = context.get("session_id") if event_type in SESSION_TYPES else None
        seconds = context.get("duration_seconds") if event_type in DURATION_TYPES else None
        duration = 0
        if seconds is not None and seconds > 0:
            cap = app_settings.MAX_SESSION
            # float * int then truncation: the same IEEE steps the SQL takes.
            duration = cap // MICROSECOND if seconds >= cap.total_seconds() else int(float(seconds) * 1_000_000)
        return cls(
            event_type=event_type,
            at=to_micros(occurred_at),
            classroom_id=classroom_id,
            word_id=word_id,
            session_id=session_id.lower().replace("-", "") if session_id else None,
            duration=duration,
            correct=event_type == et.EXAM_ANSWER and context.get("correct") is True,
            score=float(context.get("score") or 0) if event_type == et.GAME_COMPLETE else 0.0,
        )


def daily_figures(activities: Iterable[Activity], start: int, end: int) -> dict[str, Any]:
    """The figures of one learner's day ``[start, end)`` (microseconds) from their activities around it.

    ``activities`` must hold every event of the learner from ``start - MAX_SESSION`` to
    ``end + MAX_SESSION``: sessions and timed activities crossing the day's bounds are looked for there.
    Pass only the events attached to one classroom to get the learner's figures in that classroom.
    """
    activities = list(activities)
    today = [a for a in activities if start <= a.at < end]
    words = [a for a in today if a.event_type in et.WORD_TYPES]
    correct = sum(a.event_type == et.WORD_CORRECT for a in words)
    exams = [a for a in today if a.event_type == et.EXAM_ANSWER]
    exam_correct = sum(a.correct for a in exams)
    seconds = {name: sum(a.duration for a in today if a.event_type in types) // 1_000_000
               for name, types in ACTIVITY_SECONDS.items()}
    return {
        "words_practiced": len(words),
        "words_correct": correct,
        "words_incorrect": len(words) - correct,
        "unique_words": len({a.word_id for a in words}),
        "accuracy": correct / len(words) if words else None,
        "exam_answers": len(exams),
        "exam_correct": exam_correct,
        "exam_accuracy": exam_correct / len(exams) if exams else None,
        "content_viewed": sum(a.event_type == et.CONTENT_VIEW for a in today),
        "content_completed": sum(a.event_type == et.CONTENT_COMPLETE for a in today),
        "games_completed": sum(a.event_type == et.GAME_COMPLETE for a in today),
        "sessions": len({(a.classroom_id, a.session_id) for a in today
                         if a.event_type == et.PRACTICE_START and a.session_id}),
        "time_spent": time_on_task(activities, start, end) // 1_000_000,
        **seconds,
        "game_score": float(sum(a.score for a in today if a.event_type == et.GAME_COMPLETE)),
    }


def time_on_task(activities: Iterable[Activity], start: int, end: int) -> int:
    """Microseconds of ``[start, end)`` covered by the activities' sessions and timed activities."""
    idle = app_settings.IDLE_GAP // MICROSECOND
    intervals = []
    sessions: dict[tuple[int | None, str], list[Activity]] = defaultdict(list)
    for a in activities:
        if a.event_type in SESSION_TYPES and a.session_id:
            sessions[(a.classroom_id, a.session_id)].append(a)
        if a.duration:
            intervals.append((a.at - a.duration, a.at))
    for events in sessions.values():
        starts = [a.at for a in events if a.event_type == et.PRACTICE_START]
        ends = [a.at for a in events if a.event_type == et.PRACTICE_END]
        first = min(starts) if starts else min(a.at for a in events)
        last = max(ends) if ends else max(a.at for a in events)
        times = sorted(a.at for a in events if first <= a.at <= last)
        intervals.extend((before, after) for before, after in zip(times, times[1:]) if after - before <= idle)
    return covered(intervals, start, end)


def covered(intervals: Iterable[tuple[int, int]], start: int, end: int) -> int:
    """Length of the union of ``intervals``, each clipped to ``[start, end)``."""
    total, reach = 0, start
    clipped = ((max(lo, start), min(hi, end)) for lo, hi in intervals)
    for lo, hi in sorted((lo, hi) for lo, hi in clipped if lo < hi):
        if hi > reach:
            total += hi - max(lo, reach)
            reach = hi
    return total


def days_changed_by(event: Any, tz: Any) -> list[date]:
    """The learner's local days (in ``tz``) whose figures ``event`` can change: its own day; for a session
    event, the days within MAX_SESSION of it (a session's bounds are looked for that far); for a timed
    activity, the days its duration reaches back into. ``event`` is a LearningEvent or anything with its
    ``user_id``, ``event_type``, ``occurred_at`` and ``context``."""
    return sorted(day for _, day in days_changed([event], {event.user_id: tz}))


def days_changed(events: Iterable[Any], zones: Mapping[int, Any]) -> set[tuple[int, date]]:
    """The (user id, local day)s that ``events`` can change (``days_changed_by`` of each), ``zones`` being
    each user's time zone. The bulk form: the settings are read once, not once per event."""
    reach = app_settings.MAX_SESSION
    cap_seconds = reach.total_seconds()
    one_day = timedelta(days=1)
    days: set[tuple[int, date]] = set()
    for event in events:
        user_id, at, kind, context = event.user_id, event.occurred_at, event.event_type, event.context
        tz = zones[user_id]
        if kind in _SESSION_TYPES and context.get("session_id"):
            day, last = (at - reach).astimezone(tz).date(), (at + reach).astimezone(tz).date()
        elif kind in _DURATION_TYPES and (context.get("duration_seconds") or 0) > 0:
            seconds = min(float(context["duration_seconds"]), cap_seconds)
            day, last = (at - timedelta(seconds=seconds)).astimezone(tz).date(), at.astimezone(tz).date()
        else:
            days.add((user_id, at.astimezone(tz).date()))
            continue
        while day <= last:
            days.add((user_id, day))
            day += one_day
    return days


def learner_day_activities(user_id: int, day: date) -> tuple[int, int, list[Activity]]:
    """``(start, end, activities)``: the bounds of the learner's local ``day`` (microseconds) and their
    activities from ``start - MAX_SESSION`` to ``end + MAX_SESSION``."""
    tz = time_zones_of([user_id])[user_id]
    start, end = day_bounds(day, tz)
    reach = app_settings.MAX_SESSION
    rows = LearningEvent.objects.filter(
        user_id=user_id, occurred_at__gte=start - reach, occurred_at__lt=end + reach,
    ).values_list("event_type", "occurred_at", "classroom_id", "context")
    return to_micros(start), to_micros(end), [Activity.of(*row) for row in rows]


def aggregate_daily_stats(user_id: int, date: date) -> dict[str, Any]:
    """The learner's figures on their local ``date``, computed from the events themselves.

    Returns every name of ``FIGURES``: counts (int), ``accuracy`` and ``exam_accuracy`` (0..1, None when
    nothing was practised or answered), ``time_spent`` (whole seconds of time on task), ``exam_seconds``,
    ``reading_seconds`` and ``game_seconds`` (whole seconds: the day's timed events' durations, summed) and
    ``game_score`` (float: the day's completed games' scores, summed). The stored
    ``LearnerDailyStats`` row of the day equals it once the day is rolled up (no row: all zeros).
    """
    start, end, activities = learner_day_activities(user_id, date)
    return daily_figures(activities, start, end)


# --- the stored rollups, set-based in SQL -----------------------------------------------------------


@dataclass(frozen=True)
class RollupSummary:
    """What one rollup recomputed."""

    learner_days: int = 0
    classroom_days: int = 0

    def __add__(self, other: RollupSummary) -> RollupSummary:
        return RollupSummary(self.learner_days + other.learner_days, self.classroom_days + other.classroom_days)


def rollup_day(day: date, user_ids: Iterable[int] | None = None) -> RollupSummary:
    """Recompute and store the rollups of local ``day`` for ``user_ids`` (None: every learner with events
    around that day), with the classrooms they were active in. Idempotent; a fixed number of queries
    whatever the number of learners."""
    if user_ids is None:
        first_day = first_recomputable_day()
        if first_day is not None and day < first_day:
            return RollupSummary()  # frozen: the day's events were purged
        # Every learner with events around the day is in, and so is every classroom they used: no classmate
        # can be missing.
        learners, classrooms = _active_in(*_utc_reach(day))
        return _rollup({(user_id, day) for user_id in learners},
                       classroom_days={(classroom_id, day) for classroom_id in classrooms})
    return _rollup({(user_id, day) for user_id in user_ids})


def rollup_previous_local_day(now: datetime | None = None) -> RollupSummary:
    """Roll up, for every learner active lately, the local day before the one they are in at ``now``:
    the nightly pass that makes sure every finished day is stored."""
    return _rollup(_previous_local_days(now or timezone.now()))


def _previous_local_days(now: datetime) -> set[tuple[int, date]]:
    """(learner, the local day before the one they are in at ``now``) for every learner active lately."""
    reach = app_settings.MAX_SESSION
    user_ids, _ = _active_in(now - timedelta(days=2) - 2 * _ZONE_SLACK - reach, now + reach)
    zones = time_zones_of(user_ids)
    return {(user_id, local_date(now, zones[user_id]) - timedelta(days=1)) for user_id in user_ids}


def rollup_dirty_days(*, batch_size: int = DIRTY_BATCH) -> RollupSummary:
    """Roll up the learner-days marked dirty before this call, ``batch_size`` per transaction.

    Each batch locks its DirtyDay rows (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so two runs at once take
    different rows), rolls them up and deletes those whose ``marked_at`` did not change meanwhile. Days
    marked again after the call began are left for the next run.
    """
    began = timezone.now()
    summary = RollupSummary()
    while True:
        with transaction.atomic(using=_db()):
            snapshot = list(
                DirtyDay.objects.select_for_update(skip_locked=True)
                .filter(marked_at__lte=began).order_by("marked_at", "id")
                .values_list("id", "user_id", "date", "marked_at")[:batch_size]
            )
            if not snapshot:
                return summary
            summary += _rollup({(user_id, day) for _, user_id, day, _ in snapshot})
            _delete_unchanged_dirty_days([(pk, marked_at) for pk, _, _, marked_at in snapshot])
        if len(snapshot) < batch_size:
            return summary


def _db() -> str:
    return router.db_for_write(LearnerDailyStats)


def hold_rollup_lock(*, learners: Iterable[int] | None = None) -> None:
    """Wait for the rollup lock and hold it until the current transaction ends: rollups take it, and so
    does anything that must not interleave with one (deleting a learner or a classroom). PostgreSQL only
    (advisory locks); SQLite serialises writers itself. Call inside a transaction.

    With ``learners`` (a learner shard, which writes only those learners' rows): the lock is taken shared,
    so shards run side by side but never beside a whole rollup or a deletion, and then each of the
    learners' stripes exclusively, in order (no deadlock), so two shards never write one learner at once.
    """
    connection = connections[_db()]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if learners is None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK_KEY])
            return
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [ROLLUP_LOCK_KEY])
        cursor.execute(
            "SELECT COUNT(pg_advisory_xact_lock(%s::int, s)) FROM "
            "(SELECT s FROM unnest(%s::int[]) AS s ORDER BY s) AS stripes",
            [ROLLUP_LOCK_KEY, sorted({user_id % STRIPES for user_id in learners})])


def first_recomputable_day() -> date | None:
    """The first local day whose rollups can still be recomputed from the events; None when no event was
    ever purged (every day can).

    ``purge_events`` deleted the events before the purge horizon. A day is recomputed from every event
    that can count on it, in any learner's time zone, out to MAX_SESSION around it (``_utc_reach``); the
    days whose reach crosses the horizon are frozen: their stored rollups, computed while the events were
    there, stay as they are, and rolling them up does nothing.
    """
    horizon = EventPurge.objects.using(_db()).order_by("-before").values_list("before", flat=True).first()
    if horizon is None:
        return None
    day = horizon.astimezone(UTC).date()
    while _utc_reach(day)[0] < horizon:
        day += timedelta(days=1)
    return day


def _utc_reach(day: date) -> tuple[datetime, datetime]:
    """Instants between which any learner's events that can count on local ``day`` lie."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    reach = app_settings.MAX_SESSION
    return start - _ZONE_SLACK - reach, start + timedelta(days=1) + _ZONE_SLACK + reach


def _active_in(since: datetime, until: datetime) -> tuple[set[int], set[int]]:
    """The learners with events between ``since`` and ``until``, and the classrooms of those events."""
    learners, classrooms = set(), set()
    for user_id, classroom_id in (LearningEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
                                  .order_by().values_list("user_id", "classroom_id").distinct()):
        learners.add(user_id)
        if classroom_id is not None:
            classrooms.add(classroom_id)
    return learners, classrooms


class _Dialect:
    """The few SQL spellings where PostgreSQL and SQLite differ, in one place."""

    def __init__(self, connection: Any, *, shard: bool = False) -> None:
        if connection.vendor not in ("postgresql", "sqlite"):
            raise ImproperlyConfigured(
                f"learning_events rollups support PostgreSQL and SQLite, not {connection.vendor}")
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.shard = shard

    def epoch_us(self, column: str) -> str:
        """Microseconds since the epoch of a datetime column, exactly."""
        if self.postgres:
            return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) in SQLite. Whole seconds from the first 19
        # characters only: strftime rounds to the millisecond, so "...:12.9996" would read as second 13.
        # (Run without parameters: a bare %s.)
        return (f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
                f" + CAST(substr({column} || '.000000', 21, 6) AS INTEGER))")

    def session_key(self, expression: str) -> str:
        """A session id as a sortable key: a uuid on PostgreSQL (fast to sort), normalised text on SQLite."""
        if self.postgres:
            return f"CAST({expression} AS uuid)"
        return f"REPLACE(LOWER({expression}), '-', '')"

    def instant(self, column: str) -> str:
        """An event's time as sessions are sorted and chained: the timestamp itself on PostgreSQL (cheap to
        sort and compare; microseconds are computed only for the few rows kept), epoch microseconds on SQLite."""
        return column if self.postgres else self.epoch_us(column)

    def instant_micros(self, expression: str) -> str:
        """Microseconds since the epoch of an ``instant``."""
        return self.epoch_us(expression) if self.postgres else expression

    def bucket(self, instant: str, micros: int) -> str:
        """Which ``micros``-wide slice of time an ``instant`` falls in (slices aligned on a fixed origin)."""
        if self.postgres:
            return f"date_bin(INTERVAL '{micros} microseconds', {instant}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
        return f"{instant} / {micros}"

    def later_than(self, later: str, earlier: str, micros: int) -> str:
        """Whether the ``instant`` ``later`` lies more than ``micros`` microseconds after ``earlier``."""
        if self.postgres:
            return f"{later} > {earlier} + INTERVAL '{micros} microseconds'"
        return f"{later} - {earlier} > {micros}"

    @property
    def scanned_table(self) -> str:
        """The kind of table for the rollup's big scratch tables: the learner-days and their windows, which
        are joined with the events, and the tallies, which three statements read. On PostgreSQL they are
        UNLOGGED tables (no WAL): parallel workers cannot read a temporary table, and a temporary table
        larger than the session's small ``temp_buffers`` is written out as it is filled. They are dropped
        before the rollup commits, their names kept to one rollup at a time by the rollup lock. Temporary
        on SQLite, and for learner shards and plans, which run side by side (each its own, in parallel)."""
        return "UNLOGGED" if self.postgres and not self.shard else "TEMPORARY"

    def scratch(self, table: str) -> str:
        """The name of a rollup's own table ``table`` as it is dropped: a shard's, the session's temporary
        one, never an UNLOGGED one of the same name."""
        return f"pg_temp.{table}" if self.postgres and self.shard else table

    def within(self, lo: datetime, hi: datetime) -> str:
        """A condition keeping the events ``e`` to ``[lo, hi)``, with the bounds as constants: the joins' own
        bounds come from a table, and only constants let PostgreSQL skip the partitions of other days when
        it plans the statement. (Literals, not parameters: the SQLite SQL runs without parameters.)"""
        if self.postgres:
            return (f"AND e.occurred_at >= TIMESTAMPTZ '{lo.astimezone(UTC).isoformat()}' "
                    f"AND e.occurred_at < TIMESTAMPTZ '{hi.astimezone(UTC).isoformat()}'")
        adapt = self.connection.ops.adapt_datetimefield_value
        return f"AND e.occurred_at >= '{adapt(lo)}' AND e.occurred_at < '{adapt(hi)}'"

    def delete_learner_days(self, table: str) -> str:
        """Delete the rows of ``table`` (keyed by learner and day) of the recomputed learner-days that were
        rolled up before (``_STORED_SQL``: none, for a fresh day). On
        PostgreSQL, one probe of its (user_id, date) index per learner-day, forced by a LATERAL subquery kept
        apart (OFFSET 0): planned as a join, it was a hash join over the whole table, whose cost grew with
        the history the table holds (1.9 s over 16 million rows for a fresh day, which has no rows to
        delete). SQLite probes the index by itself."""
        if self.postgres:
            return (f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT r.ctid FROM le_rollup_stored w CROSS JOIN "
                    f"LATERAL (SELECT ctid FROM {table} x WHERE x.user_id = w.user_id AND x.date = w.day OFFSET 0) r))")
        return f"DELETE FROM {table} WHERE (user_id, date) IN (SELECT user_id, day FROM le_rollup_stored)"

    def delete_learner_room_words(self, table: str, learner_room: str) -> str:
        """Delete the learner-classroom-word rows (``table``, keyed by classroom, day, learner, word) of the
        recomputed learner-days rolled up before, found through their learner-classroom rows
        (``learner_room``, which lists each learner-day's classrooms): one probe of the key per
        learner-classroom-day (on PostgreSQL forced, as in ``delete_learner_days``). Runs before those
        learner-classroom rows are deleted."""
        rooms = (f"le_rollup_stored w JOIN {learner_room} lr ON lr.user_id = w.user_id AND lr.date = w.day")
        if self.postgres:
            return (f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT r.ctid FROM {rooms} CROSS JOIN LATERAL "
                    f"(SELECT ctid FROM {table} x WHERE x.classroom_id = lr.classroom_id AND x.date = lr.date "
                    f"AND x.user_id = lr.user_id OFFSET 0) r))")
        return (f"DELETE FROM {table} WHERE (classroom_id, date, user_id) IN "
                f"(SELECT lr.classroom_id, lr.date, lr.user_id FROM {rooms})")

    @property
    def fence(self) -> str:
        """Ends a subquery so that its columns are computed once, where the events are scanned: PostgreSQL
        would otherwise carry each event's raw JSON context up into the grouping to compute them there."""
        return "OFFSET 0" if self.postgres else ""

    def truncate(self, expression: str) -> str:
        """A non-negative double, truncated to a BIGINT."""
        if self.postgres:
            return f"CAST(trunc({expression}) AS BIGINT)"
        return f"CAST({expression} AS INTEGER)"

    def json_rows(self, columns: dict[str, str], alias: str = "j") -> str:
        """A row source called ``alias`` reading one JSON parameter, a list of objects with ``columns``
        {name: kind}, kinds being "int", "date" and "datetime"."""
        if self.postgres:
            types = {"int": "bigint", "date": "date", "datetime": "timestamptz"}
            spec = ", ".join(f"{name} {types[kind]}" for name, kind in columns.items())
            return f"json_to_recordset(CAST(%s AS json)) AS {alias}({spec})"
        # SQLite stores dates and datetimes as text: keep them as the text Django wrote.
        fields = ", ".join(
            (f"CAST(value ->> '{name}' AS INTEGER)" if kind == "int" else f"value ->> '{name}'") + f" AS {name}"
            for name, kind in columns.items())
        return f"(SELECT {fields} FROM json_each(%s)) AS {alias}"

    def json_value(self, value: Any) -> Any:
        """``value`` as ``json_rows`` reads it back: dates ISO, datetimes as each backend compares them."""
        if isinstance(value, datetime):
            if self.postgres:
                return value.astimezone(UTC).isoformat()
            return self.connection.ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    def json_param(self, rows: Iterable[dict[str, Any]]) -> str:
        return json.dumps([{k: self.json_value(v) for k, v in row.items()} for row in rows])

    def prepare(self, cursor: Any, learners: Iterable[int] | None = None) -> None:
        """Serialise rollups (a shard: with the other writers of its ``learners``) and give their sorts
        memory (PostgreSQL; SQLite serialises writers itself)."""
        hold_rollup_lock(learners=learners)
        if self.postgres:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [app_settings.ROLLUP_WORK_MEM])

    def analyze(self, cursor: Any, *tables: str) -> None:
        """Give the planner the sizes of fresh temporary tables (PostgreSQL does not sample them itself)."""
        if self.postgres:
            cursor.execute(f"ANALYZE {', '.join(tables)}")


# The kinds of event the tallies count, numbered as _TALLIES_SQL reads them.
_TALLY_KINDS = {event_type: number for number, event_type in enumerate(
    (et.WORD_CORRECT, et.WORD_INCORRECT, et.EXAM_ANSWER, et.CONTENT_VIEW, et.CONTENT_COMPLETE, et.GAME_COMPLETE),
    start=1)}
_TALLY_KIND = "CASE e.event_type {} ELSE 0 END".format(" ".join(
    f"WHEN '{event_type}' THEN {number}" for event_type, number in _TALLY_KINDS.items()))
# Which kinds each per-activity figure sums the durations of, as _TALLIES_SQL's {exam_kinds}, ...
_ACTIVITY_KINDS = {f"{name.removesuffix('_seconds')}_kinds": ", ".join(str(_TALLY_KINDS[t]) for t in types)
                   for name, types in ACTIVITY_SECONDS.items()}


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _tables(connection: Any) -> dict[str, str]:
    quote = connection.ops.quote_name
    models = {"events": LearningEvent, "learner": LearnerDailyStats, "learner_room": LearnerClassroomDailyStats,
              "room": ClassroomDailyStats, "learner_word": LearnerWordDailyStats,
              "learner_room_word": LearnerClassroomWordDailyStats, "room_word": ClassroomWordDailyStats,
              "dirty": DirtyDay, "memory_day": MemoryDay}
    return {key: quote(model._meta.db_table) for key, model in models.items()}


# The tables of one rollup, created and dropped inside its transaction (temporary ones, but for the pairs,
# windows and tallies on PostgreSQL: _Dialect.scanned_table).
_TEMP_TABLES = ("le_rollup_pairs", "le_rollup_scope", "le_rollup_windows", "le_rollup_tallies", "le_rollup_edges",
                "le_rollup_figures", "le_rollup_stored")


def _recomputable(pairs: Iterable[tuple[int, date]]) -> set[tuple[int, date]]:
    """The (scope, day) ``pairs`` whose days can still be recomputed (``first_recomputable_day``)."""
    first_day = first_recomputable_day()
    return {(key, day) for key, day in pairs if first_day is None or day >= first_day}


def _rollup(pairs: set[tuple[int, date]], *,
            classroom_days: set[tuple[int, date]] | None = None) -> RollupSummary:
    """Recompute the rollups of the (learner, local day) ``pairs`` and of the (classroom, day) pairs they
    were active in, and store them in place of those scopes' rows (rows no event supports any more go).

    A classroom-day is recomputed over all its learners: learners active in the classroom that day are
    rolled up with the given ones. A caller whose ``pairs`` already hold every learner with events around
    each day passes the classrooms of those events as ``classroom_days``: then nothing is looked up. Runs in
    its own transaction (a savepoint inside the caller's).
    """
    pairs = _recomputable(pairs)
    if not pairs:
        return RollupSummary()
    connection = connections[_db()]
    dialect = _Dialect(connection)
    with transaction.atomic(using=_db()), connection.cursor() as cursor:
        dialect.prepare(cursor)
        with _temporary_tables(cursor, dialect):
            if classroom_days is None:
                pairs = _with_classmates(cursor, dialect, pairs)
            else:
                _create_scope(cursor, dialect, classroom_days)
            learner_days = _rollup_learners(cursor, dialect, pairs)
            return RollupSummary(learner_days=learner_days, classroom_days=_write_classroom_rows(cursor, dialect))


def rollup_learner_shard(pairs: Iterable[tuple[int, date]]) -> RollupSummary:
    """Recompute and store the learner rows (learner, learner-classroom, learner-word and
    learner-classroom-word days) of the (learner, local day) ``pairs``, and no classroom row: one shard of a
    fanned-out rollup, whose classroom rows ``rollup_classroom_days`` sums once every shard is stored.

    Shards of distinct learners run at the same time, each in its own transaction; a shard waits only for
    another writing one of its learners' stripes, a whole rollup or a deletion (``hold_rollup_lock``).
    Idempotent: a shard run again (retried, redelivered) stores the same rows.
    """
    pairs = _recomputable(pairs)
    if not pairs:
        return RollupSummary()
    connection = connections[_db()]
    dialect = _Dialect(connection, shard=True)
    with transaction.atomic(using=_db()), connection.cursor() as cursor:
        dialect.prepare(cursor, learners={user_id for user_id, _ in pairs})
        with _temporary_tables(cursor, dialect):
            _create_scope(cursor, dialect, set())
            return RollupSummary(learner_days=_rollup_learners(cursor, dialect, pairs))


def rollup_classroom_days(classroom_days: Iterable[tuple[int, date]],
                          dirty: Iterable[tuple[int, datetime]] = ()) -> RollupSummary:
    """Store the classroom rows (classroom and classroom-word days) of ``classroom_days`` as sums of their
    learners' stored rows, then clear the ``dirty`` marks ((DirtyDay id, marked_at) as planned) that were
    not marked again meanwhile: the last step of a fan-out, run once all its learner shards are stored.
    One transaction: a mark is cleared only with the rows that include its events."""
    classroom_days = _recomputable(classroom_days)
    connection = connections[_db()]
    dialect = _Dialect(connection, shard=True)
    with transaction.atomic(using=_db()), connection.cursor() as cursor:
        dialect.prepare(cursor)
        with _temporary_tables(cursor, dialect):
            _create_scope(cursor, dialect, classroom_days)
            summary = RollupSummary(classroom_days=_write_classroom_rows(cursor, dialect))
        dirty = list(dirty)
        if dirty:
            _delete_unchanged_dirty_days(dirty)
    return summary


@dataclass(frozen=True)
class FanOut:
    """A rollup planned for fanning out: ``shards`` of (learner, local day) pairs, whole stripes of
    learners each (``shard_learners``), to roll up side by side (``rollup_learner_shard``); then the
    ``classroom_days`` those learners were active in, and the ``dirty`` marks ((DirtyDay id, marked_at))
    to clear with them (``rollup_classroom_days``)."""

    shards: list[list[tuple[int, date]]]
    classroom_days: list[tuple[int, date]] = field(default_factory=list)
    dirty: list[tuple[int, datetime]] = field(default_factory=list)


def shard_learners(pairs: Iterable[tuple[int, date]], size: int) -> list[list[tuple[int, date]]]:
    """``pairs`` in shards of at most ``size`` learners (more only when one stripe holds more), each made
    of whole stripes (user id modulo ``STRIPES``), in key order: the shards of one fan-out lock disjoint
    stripes (``hold_rollup_lock``), so none waits for another."""
    by_stripe: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for user_id, day in sorted(set(pairs)):
        by_stripe[user_id % STRIPES].append((user_id, day))
    shards: list[list[tuple[int, date]]] = []
    current: list[tuple[int, date]] = []
    learners: set[int] = set()
    for stripe in sorted(by_stripe):
        stripe_learners = {user_id for user_id, _ in by_stripe[stripe]}
        if current and len(learners | stripe_learners) > size:
            shards.append(current)
            current, learners = [], set()
        current += by_stripe[stripe]
        learners |= stripe_learners
    if current:
        shards.append(current)
    return shards


def plan_previous_local_day(*, shard_size: int, now: datetime | None = None) -> FanOut:
    """``rollup_previous_local_day`` planned for fanning out (``FanOut``)."""
    return plan_learner_days(_previous_local_days(now or timezone.now()), shard_size=shard_size)


def plan_dirty_days(*, shard_size: int, now: datetime | None = None) -> FanOut:
    """``rollup_dirty_days`` planned for fanning out: takes every dirty mark not held by another fan-out
    (``DirtyDay.taken_until``, for ``FAN_OUT_LEASE``), so that the next periodic run, starting while this
    fan-out is still rolling up, leaves them to it. The marks are cleared by ``rollup_classroom_days``, once
    every shard is stored; a mark made again meanwhile is released and stays for the next run."""
    now = now or timezone.now()
    with transaction.atomic(using=_db()):
        marks = list(
            DirtyDay.objects.select_for_update(skip_locked=True)
            .filter(Q(taken_until__isnull=True) | Q(taken_until__lte=now), marked_at__lte=now)
            .order_by("marked_at", "id").values_list("id", "user_id", "date", "marked_at"))
        DirtyDay.objects.filter(id__in=[pk for pk, _, _, _ in marks]).update(taken_until=now + FAN_OUT_LEASE)
    return plan_learner_days({(user_id, day) for _, user_id, day, _ in marks}, shard_size=shard_size,
                             dirty=[(pk, marked_at) for pk, _, _, marked_at in marks])


def plan_learner_days(pairs: Iterable[tuple[int, date]], *, shard_size: int,
                      dirty: Iterable[tuple[int, datetime]] = ()) -> FanOut:
    """The ``FanOut`` of ``pairs``: with their classmates (a classroom-day sums all its learners) and the
    classroom-days they were active in, looked up once, without any lock (reads only)."""
    pairs = _recomputable(pairs)
    if not pairs:
        return FanOut(shards=[], dirty=list(dirty))
    connection = connections[_db()]
    dialect = _Dialect(connection, shard=True)
    with transaction.atomic(using=_db()), connection.cursor() as cursor:
        with _temporary_tables(cursor, dialect):
            pairs = _with_classmates(cursor, dialect, pairs)
            cursor.execute("SELECT classroom_id, day FROM le_rollup_scope")
            classroom_days = sorted({(room, _as_date(day)) for room, day in cursor.fetchall()})
    return FanOut(shards=shard_learners(pairs, shard_size), classroom_days=classroom_days, dirty=list(dirty))


def _create_scope(cursor: Any, dialect: _Dialect, classroom_days: Iterable[tuple[int, date]]) -> None:
    """The table of the (classroom, day)s whose classroom rows are recomputed (``le_rollup_scope``)."""
    cursor.execute(
        "CREATE TEMPORARY TABLE le_rollup_scope AS SELECT * FROM "
        + dialect.json_rows({"classroom_id": "int", "day": "date"}),
        [dialect.json_param({"classroom_id": room, "day": day} for room, day in classroom_days)],
    )


def _with_classmates(cursor: Any, dialect: _Dialect, pairs: set[tuple[int, date]]) -> set[tuple[int, date]]:
    """``pairs`` with the other learners of the classrooms they were active in around those days (a
    classroom-day is recomputed over all its learners); those classroom-days go to ``le_rollup_scope``."""
    tables = _tables(dialect.connection)
    reaches = {day: dict(zip(("day", "lo", "hi"), (day, *_utc_reach(day)))) for day in {day for _, day in pairs}}
    _create_learner_table(cursor, dialect, "le_rollup_pairs", pairs, reaches,
                          {"day": "date", "lo": "datetime", "hi": "datetime"})
    dialect.analyze(cursor, "le_rollup_pairs")
    within = dialect.within(min(r["lo"] for r in reaches.values()), max(r["hi"] for r in reaches.values()))
    cursor.execute(_SCOPE_SQL.format(**tables, within=within))
    cursor.execute(_CLASSMATES_SQL.format(**tables, within=within))
    return pairs | {(user_id, _as_date(day)) for user_id, day in cursor.fetchall()}


def _rollup_learners(cursor: Any, dialect: _Dialect, pairs: set[tuple[int, date]]) -> int:
    """Recompute and store the learner rows of ``pairs`` (holding the rollup lock, between creating and
    dropping the rollup's tables); returns how many learner-days."""
    tables = _tables(dialect.connection)
    reach = app_settings.MAX_SESSION
    # 2. Each learner's local day, as bounds computed here (DST-correct), never in SQL: once per time zone.
    zones = time_zones_of({user_id for user_id, _ in pairs})
    zone_days = [(user_id, (zones[user_id], day)) for user_id, day in pairs]
    bounds = {}
    for tz, day in {key for _, key in zone_days}:
        start, end = day_bounds(day, tz)
        bounds[tz, day] = {"day": day, "ws": to_micros(start), "we": to_micros(end), "day_lo": start,
                           "day_hi": end, "scan_lo": start - reach, "scan_hi": end + reach}
    _create_learner_table(cursor, dialect, "le_rollup_windows", zone_days, bounds, {
        "day": "date", "ws": "int", "we": "int", "day_lo": "datetime", "day_hi": "datetime",
        "scan_lo": "datetime", "scan_hi": "datetime"})
    cursor.execute("CREATE INDEX le_rollup_windows_key ON le_rollup_windows (user_id, day)")
    dialect.analyze(cursor, "le_rollup_windows", "le_rollup_scope")
    # 3. Two passes over the events: the day's tallies, and the sessions' edges and timed activities
    #    around the day; then the figures of each (learner, day, classroom).
    word_types = _sql_list(et.WORD_TYPES)
    # A timed event's duration in microseconds, capped at MAX_SESSION (the same IEEE steps as Activity.of):
    # what it covers of time on task, and what it adds to its activity's seconds.
    seconds = "CAST(e.context ->> 'duration_seconds' AS DOUBLE PRECISION)"
    capped = (f"CASE WHEN {seconds} >= {int(reach.total_seconds())} THEN {reach // MICROSECOND} "
              f"WHEN {seconds} > 0 THEN {dialect.truncate(f'{seconds} * 1000000')} ELSE 0 END")
    duration_types = _sql_list(DURATION_TYPES)
    cursor.execute(_TALLIES_SQL.format(
        **tables, scanned_table=dialect.scanned_table, fence=dialect.fence, kind=_TALLY_KIND,
        capped=capped, duration_types=duration_types, **_ACTIVITY_KINDS,
        within=dialect.within(min(b["day_lo"] for b in bounds.values()), max(b["day_hi"] for b in bounds.values())),
        word_id=f"CASE WHEN e.event_type IN ({word_types}) THEN CAST(e.context ->> 'word_id' AS BIGINT) END",
    ))
    idle = app_settings.IDLE_GAP // MICROSECOND
    cursor.execute(_EDGES_SQL.format(
        **tables, instant=dialect.instant("e.occurred_at"), bucket=dialect.bucket("t", max(idle, 1)),
        **{f"{column}_micros": dialect.instant_micros(column) for column in ("lo", "hi", "first_start", "last_end")},
        raw_sid="e.context ->> 'session_id'", sid=dialect.session_key("raw_sid"), seconds=seconds, capped=capped,
        session_types=_sql_list(SESSION_TYPES), duration_types=duration_types,
        idle_before=dialect.later_than("lo", "before", idle), idle_after=dialect.later_than("after", "hi", idle),
        fence=dialect.fence,
        within=dialect.within(min(b["scan_lo"] for b in bounds.values()), max(b["scan_hi"] for b in bounds.values())),
    ))
    dialect.analyze(cursor, "le_rollup_tallies (user_id, day, classroom_id, word_id)")  # the keys: half the time
    cursor.execute(_FIGURES_SQL)
    # 4. Replace the rows of every recomputed scope. Only learner-days rolled up before have rows to delete: a
    #    learner's word and classroom rows of a day are written and deleted with their day's own row. Should
    #    that not hold (a learner-day row deleted by hand), an insert meets a leftover row: the writes are
    #    then rolled back and done again, deleting by every recomputed learner-day.
    cursor.execute(_STORED_SQL.format(**tables, fence=dialect.fence))
    try:
        with transaction.atomic(using=dialect.connection.alias):
            _write_rollups(cursor, dialect, _LEARNER_WRITE_SQL)
    except IntegrityError:
        cursor.execute("DELETE FROM le_rollup_stored")
        cursor.execute("INSERT INTO le_rollup_stored (user_id, day) SELECT user_id, day FROM le_rollup_windows")
        _write_rollups(cursor, dialect, _LEARNER_WRITE_SQL)
    return len(zone_days)


def _write_classroom_rows(cursor: Any, dialect: _Dialect) -> int:
    """Replace the classroom rows of the classroom-days of ``le_rollup_scope`` with sums of their learners'
    stored rows; returns how many classroom-days."""
    _write_rollups(cursor, dialect, _CLASSROOM_WRITE_SQL)
    cursor.execute("SELECT COUNT(*) FROM le_rollup_scope")
    return cursor.fetchone()[0]


def _write_rollups(cursor: Any, dialect: _Dialect, statements: Iterable[str]) -> None:
    """Delete the rows of the recomputed scopes and insert their new ones (``_LEARNER_WRITE_SQL``,
    ``_CLASSROOM_WRITE_SQL``)."""
    tables = _tables(dialect.connection)
    # Adapted as Django stores datetimes (SQLite: its own text form), so the memory queue's marked_at compares.
    stamp = dialect.connection.ops.adapt_datetimefield_value(timezone.now())
    deletions = {f"delete_{key}": dialect.delete_learner_days(tables[key])
                 for key in ("learner_word", "learner", "learner_room")}
    deletions["delete_learner_room_word"] = dialect.delete_learner_room_words(tables["learner_room_word"],
                                                                              tables["learner_room"])
    for statement in statements:
        statement = statement.format(**tables, **deletions)
        cursor.execute(statement, [stamp] if "%s" in statement else None)  # the updated_at placeholder


def _create_learner_table(cursor: Any, dialect: _Dialect, name: str, rows: Iterable[tuple[int, Any]],
                          shared: Mapping[Any, dict[str, Any]], columns: dict[str, str]) -> None:
    """Create the scanned table ``name``: a row (user_id, *columns) for each (user id, key) of ``rows``, with
    the values ``shared[key]``. The few distinct values (a day's reach, a time zone's day bounds) are sent
    once each, not once per learner."""
    number = {key: n for n, key in enumerate(shared)}
    cursor.execute(
        f"CREATE {dialect.scanned_table} TABLE {name} AS SELECT m.user_id, "
        + ", ".join(f"s.{column}" for column in columns)
        + " FROM " + dialect.json_rows({"user_id": "int", "k": "int"}, alias="m")
        + " JOIN " + dialect.json_rows({"k": "int", **columns}, alias="s") + " ON s.k = m.k",
        [json.dumps([{"user_id": user_id, "k": number[key]} for user_id, key in rows]),
         dialect.json_param({"k": n, **shared[key]} for key, n in number.items())],
    )


@contextmanager
def _temporary_tables(cursor: Any, dialect: _Dialect) -> Iterator[None]:
    for table in _TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {dialect.scratch(table)}")
    yield
    for table in _TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {dialect.scratch(table)}")


def _as_date(value: date | str) -> date:
    """SQLite hands dates back as ISO text."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def mark_dirty(days: Iterable[tuple[int, date]], marked_at: datetime) -> None:
    """Queue the (user id, local day)s for ``rollup_dirty_days``, marked at ``marked_at``: one upsert
    statement whatever their number (marking a queued day again only moves its ``marked_at``). In key
    order, so that two transactions marking the same days lock them in the same order."""
    pairs = sorted(set(days))
    if not pairs:
        return
    connection = connections[_db()]
    dirty = _tables(connection)["dirty"]
    # Marked again: a fan-out holding the mark (taken_until) releases it, so the new events are rolled up
    # by the next run, not after the fan-out's lease.
    upsert = "ON CONFLICT (user_id, date) DO UPDATE SET marked_at = excluded.marked_at, taken_until = NULL"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {dirty} (user_id, date, marked_at) SELECT u, d, %s "
                f"FROM unnest(%s::bigint[], %s::date[]) AS x(u, d) {upsert}",
                [marked_at, [user_id for user_id, _ in pairs], [day for _, day in pairs]])
        else:  # "WHERE true": SQLite's parser needs it between a SELECT and ON CONFLICT
            cursor.execute(
                f"INSERT INTO {dirty} (user_id, date, marked_at) SELECT value ->> 0, value ->> 1, %s "
                f"FROM json_each(%s) WHERE true {upsert}",
                [connection.ops.adapt_datetimefield_value(marked_at),
                 json.dumps([[user_id, day.isoformat()] for user_id, day in pairs])])


def _delete_unchanged_dirty_days(marks: list[tuple[int, datetime]]) -> None:
    """Delete the dirty marks (DirtyDay id, marked_at) that were not marked again since."""
    connection = connections[_db()]
    dialect = _Dialect(connection)
    dirty = _tables(connection)["dirty"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {dirty} WHERE id IN (SELECT d.id FROM {dirty} d JOIN "
            + dialect.json_rows({"id": "int", "marked_at": "datetime"})
            + " ON d.id = j.id AND d.marked_at = j.marked_at)",
            [dialect.json_param({"id": pk, "marked_at": marked_at} for pk, marked_at in marks)],
        )


# (classroom, day) pairs to recompute: the classrooms the learners used around those days (with the instants
# between which their other learners' events are looked for: _CLASSMATES_SQL).
_SCOPE_SQL = """
CREATE TEMPORARY TABLE le_rollup_scope AS
SELECT DISTINCT e.classroom_id, p.day, p.lo, p.hi
FROM le_rollup_pairs p
JOIN {events} e ON e.user_id = p.user_id AND e.occurred_at >= p.lo AND e.occurred_at < p.hi {within}
WHERE e.classroom_id IS NOT NULL
"""

# Every learner active in those classrooms around those days: a classroom-day sums all its learners.
_CLASSMATES_SQL = """
SELECT DISTINCT e.user_id, s.day
FROM le_rollup_scope s
JOIN {events} e ON e.classroom_id = s.classroom_id AND e.occurred_at >= s.lo AND e.occurred_at < s.hi {within}
"""

# The events of each learner's day, tallied once per (learner, day, classroom, word): the word rollups and
# every count of the daily figures are sums of these rows (word_id NULL: the day's other events). Each event
# is classified once ({kind}: 1 correct, 2 incorrect answer, 3 exam answer, 4 content view, 5 content
# completion, 6 game, 0 other), and the counts are filtered on that number. A timed event's capped duration
# ({capped}, microseconds; 0 for the others) and a game's score are read where the event is scanned, and
# summed per activity ({exam_kinds}, {reading_kinds}, {game_kinds}: ACTIVITY_SECONDS as kinds): the
# per-activity seconds cost no pass of their own.
_TALLIES_SQL = """
CREATE {scanned_table} TABLE le_rollup_tallies AS
SELECT user_id, day, classroom_id, word_id,
  CAST(COUNT(*) FILTER (WHERE kind IN (1, 2)) AS INTEGER) AS attempts,
  CAST(COUNT(*) FILTER (WHERE kind = 1) AS INTEGER) AS correct,
  MIN(t) AS first_seen, MAX(t) AS last_seen, MIN(t) FILTER (WHERE kind = 2) AS first_wrong,
  MAX(t) FILTER (WHERE kind = 2) AS last_wrong,
  CAST(COUNT(*) FILTER (WHERE kind = 3) AS INTEGER) AS exam_answers,
  CAST(COUNT(*) FILTER (WHERE kind = 3 AND good) AS INTEGER) AS exam_correct,
  CAST(COUNT(*) FILTER (WHERE kind = 4) AS INTEGER) AS content_viewed,
  CAST(COUNT(*) FILTER (WHERE kind = 5) AS INTEGER) AS content_completed,
  CAST(COUNT(*) FILTER (WHERE kind = 6) AS INTEGER) AS games_completed,
  CAST(COALESCE(SUM(us) FILTER (WHERE kind IN ({exam_kinds})), 0) AS BIGINT) AS exam_us,
  CAST(COALESCE(SUM(us) FILTER (WHERE kind IN ({reading_kinds})), 0) AS BIGINT) AS reading_us,
  CAST(COALESCE(SUM(us) FILTER (WHERE kind IN ({game_kinds})), 0) AS BIGINT) AS game_us,
  COALESCE(SUM(score) FILTER (WHERE kind = 6), 0.0) AS game_score
FROM (
  SELECT w.user_id, w.day, e.classroom_id, e.occurred_at AS t, {kind} AS kind, {word_id} AS word_id,
    e.event_type = 'exam_answer' AND e.context -> 'correct' = 'true' AS good,
    CASE WHEN e.event_type IN ({duration_types}) THEN {capped} ELSE 0 END AS us,
    CASE WHEN e.event_type = 'game_complete' THEN CAST(e.context ->> 'score' AS DOUBLE PRECISION) END AS score
  FROM le_rollup_windows w
  JOIN {events} e ON e.user_id = w.user_id AND e.occurred_at >= w.day_lo AND e.occurred_at < w.day_hi {within}
  {fence}
) x
GROUP BY user_id, day, classroom_id, word_id
"""

# What time on task needs, from MAX_SESSION before each learner-day to MAX_SESSION after it: the edges of
# each session's runs, and the timed activities. A session is (learner, classroom, session id); its events
# chain into runs where consecutive ones are at most IDLE apart. Two events in one IDLE-wide slice of time
# ({bucket}) are less than IDLE apart, so runs only break between slices: a session's events are grouped
# into slices first (a hash aggregate, no sort), and only the slices, a few per session, are sorted and
# chained. The events are grouped by their session id as sent ({raw_sid}); only the slices' ids are then
# normalised ({sid}: the same session written in other letter cases or without dashes) and their slices
# merged: normalising a few slices costs less than normalising every event. Kept: the slices where a run
# opens or closes or that hold a start or an end (which bound the session), and the timed activities (each
# its own group: ``activity`` is its event id). ``lo`` and ``hi`` are a slice's first and last instant
# ({instant} while grouping, then microseconds since the epoch), ``n`` its rank in its session,
# ``starts_today`` whether it holds a start inside the day; a timed activity covers ``duration``
# microseconds up to its ``hi``.
_EDGES_SQL = """
CREATE TEMPORARY TABLE le_rollup_edges AS
WITH timed AS (
  SELECT w.user_id, w.day, e.classroom_id, e.event_type, {instant} AS t,
    CASE WHEN e.occurred_at >= w.day_lo AND e.occurred_at < w.day_hi THEN 1 ELSE 0 END AS today,
    CASE WHEN e.event_type IN ({session_types}) THEN {raw_sid} END AS raw_sid,
    CASE WHEN e.event_type IN ({duration_types}) THEN e.id END AS activity,
    CASE WHEN e.event_type IN ({duration_types}) AND {seconds} > 0 THEN {capped} END AS duration
  FROM le_rollup_windows w
  JOIN {events} e ON e.user_id = w.user_id AND e.occurred_at >= w.scan_lo AND e.occurred_at < w.scan_hi {within}
  WHERE e.event_type IN ({session_types}, {duration_types})
  {fence}
),
raw_slices AS (
  SELECT user_id, day, classroom_id, raw_sid, activity, {bucket} AS slice, MIN(t) AS lo, MAX(t) AS hi,
    MAX(duration) AS duration, MIN(CASE WHEN event_type = 'practice_start' THEN t END) AS first_start,
    MAX(CASE WHEN event_type = 'practice_end' THEN t END) AS last_end,
    MAX(CASE WHEN event_type = 'practice_start' AND today = 1 THEN 1 ELSE 0 END) AS starts_today
  FROM timed WHERE raw_sid IS NOT NULL OR activity IS NOT NULL
  GROUP BY user_id, day, classroom_id, raw_sid, activity, {bucket}
),
slices AS (
  SELECT user_id, day, classroom_id, {sid} AS sid, MIN(lo) AS lo, MAX(hi) AS hi, MAX(duration) AS duration,
    MIN(first_start) AS first_start, MAX(last_end) AS last_end, MAX(starts_today) AS starts_today
  FROM raw_slices
  GROUP BY user_id, day, classroom_id, {sid}, activity, slice
),
marked AS (
  SELECT user_id, day, classroom_id, sid, lo, hi, duration, first_start, last_end, starts_today,
    LAG(hi) OVER s AS before, LEAD(lo) OVER s AS after, ROW_NUMBER() OVER s AS n
  FROM slices
  WINDOW s AS (PARTITION BY user_id, day, classroom_id, sid ORDER BY lo)
)
SELECT user_id, day, classroom_id, sid, {lo_micros} AS lo, {hi_micros} AS hi, duration,
  {first_start_micros} AS first_start, {last_end_micros} AS last_end, starts_today, n,
  CASE WHEN before IS NULL OR {idle_before} THEN 1 ELSE 0 END AS opens,
  CASE WHEN after IS NULL OR {idle_after} THEN 1 ELSE 0 END AS closes
FROM marked
WHERE (sid IS NULL AND duration IS NOT NULL)
   OR (sid IS NOT NULL AND (before IS NULL OR after IS NULL OR {idle_before} OR {idle_after}
                            OR first_start IS NOT NULL OR last_end IS NOT NULL))
"""

# Figures per (learner, day, classroom or NULL), and the learner's whole time on task of the day. The
# per-activity times are kept in microseconds too (``exam_us``, ...): a learner's day rounds down the sum over
# their classrooms, as its time on task does, and a classroom sums its learners' rounded seconds.
#
# Time on task, set-based: a session counts from its first start to its last end (without a start: its
# first event; without an end: its last event). Each run [first, last] of its events is clamped to those
# bounds: the events outside them lie before or after every event inside, so a clamped run covers exactly
# what the run of the events inside would (and nothing when the session ends before it starts). Timed
# activities cover [t - duration, t]. Intervals are clipped to the day, then their union is measured per
# classroom and per learner: each interval, in order of start, adds what lies beyond the furthest end of
# the ones before it (a running MAX window).
_FIGURES_SQL = """
CREATE TEMPORARY TABLE le_rollup_figures AS
WITH bounded AS (
  SELECT user_id, day, classroom_id, sid, lo, hi, n, opens, closes,
    COALESCE(MIN(first_start) OVER whole, MIN(lo) OVER whole) AS first_t,
    COALESCE(MAX(last_end) OVER whole, MAX(hi) OVER whole) AS last_t
  FROM le_rollup_edges WHERE sid IS NOT NULL
  WINDOW whole AS (PARTITION BY user_id, day, classroom_id, sid)
),
runs AS (
  SELECT user_id, day, classroom_id, first_t, last_t, opens, lo,
    CASE WHEN closes = 1 THEN hi
         ELSE LEAD(hi) OVER (PARTITION BY user_id, day, classroom_id, sid ORDER BY n) END AS hi
  FROM bounded WHERE opens = 1 OR closes = 1
),
spans AS (
  SELECT user_id, day, classroom_id, CASE WHEN lo < first_t THEN first_t ELSE lo END AS lo,
    CASE WHEN hi > last_t THEN last_t ELSE hi END AS hi
  FROM runs WHERE opens = 1
  UNION ALL
  SELECT user_id, day, classroom_id, hi - duration, hi
  FROM le_rollup_edges WHERE sid IS NULL
),
clipped AS (
  SELECT s.user_id, s.day, s.classroom_id,
    CASE WHEN s.lo < w.ws THEN w.ws ELSE s.lo END AS lo,
    CASE WHEN s.hi > w.we THEN w.we ELSE s.hi END AS hi
  FROM spans s JOIN le_rollup_windows w ON w.user_id = s.user_id AND w.day = s.day
  WHERE s.lo < s.hi AND s.lo < w.we AND s.hi > w.ws
),
room_reach AS (
  SELECT user_id, day, classroom_id, lo, hi,
    MAX(hi) OVER (PARTITION BY user_id, day, classroom_id ORDER BY lo, hi
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
  FROM clipped
),
learner_reach AS (
  SELECT user_id, day, lo, hi,
    MAX(hi) OVER (PARTITION BY user_id, day ORDER BY lo, hi
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
  FROM clipped
),
learner_time AS (
  SELECT user_id, day,
    SUM(CASE WHEN reach IS NULL OR reach <= lo THEN hi - lo WHEN reach < hi THEN hi - reach ELSE 0 END) AS time_us
  FROM learner_reach GROUP BY user_id, day
),
parts AS (
  SELECT user_id, day, classroom_id, SUM(attempts) AS words_practiced, SUM(correct) AS words_correct,
    SUM(attempts - correct) AS words_incorrect, COUNT(word_id) AS unique_words, SUM(exam_answers) AS exam_answers,
    SUM(exam_correct) AS exam_correct, SUM(content_viewed) AS content_viewed,
    SUM(content_completed) AS content_completed, SUM(games_completed) AS games_completed, 0 AS sessions,
    0 AS time_us, SUM(exam_us) AS exam_us, SUM(reading_us) AS reading_us, SUM(game_us) AS game_us,
    SUM(game_score) AS game_score
  FROM le_rollup_tallies GROUP BY user_id, day, classroom_id
  UNION ALL
  SELECT user_id, day, classroom_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, COUNT(DISTINCT sid), 0, 0, 0, 0, 0.0
  FROM le_rollup_edges WHERE starts_today = 1
  GROUP BY user_id, day, classroom_id
  UNION ALL
  SELECT user_id, day, classroom_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    CASE WHEN reach IS NULL OR reach <= lo THEN hi - lo WHEN reach < hi THEN hi - reach ELSE 0 END, 0, 0, 0, 0.0
  FROM room_reach
)
SELECT p.user_id, p.day, p.classroom_id,
  CAST(SUM(p.words_practiced) AS BIGINT) AS words_practiced,
  CAST(SUM(p.words_correct) AS BIGINT) AS words_correct,
  CAST(SUM(p.words_incorrect) AS BIGINT) AS words_incorrect,
  CAST(SUM(p.unique_words) AS BIGINT) AS unique_words,
  CAST(SUM(p.exam_answers) AS BIGINT) AS exam_answers,
  CAST(SUM(p.exam_correct) AS BIGINT) AS exam_correct,
  CAST(SUM(p.content_viewed) AS BIGINT) AS content_viewed,
  CAST(SUM(p.content_completed) AS BIGINT) AS content_completed,
  CAST(SUM(p.games_completed) AS BIGINT) AS games_completed,
  CAST(SUM(p.sessions) AS BIGINT) AS sessions,
  CAST(SUM(p.time_us) AS BIGINT) / 1000000 AS time_spent,
  CAST(COALESCE(MAX(l.time_us), 0) AS BIGINT) / 1000000 AS learner_time_spent,
  CAST(SUM(p.exam_us) AS BIGINT) AS exam_us, CAST(SUM(p.exam_us) AS BIGINT) / 1000000 AS exam_seconds,
  CAST(SUM(p.reading_us) AS BIGINT) AS reading_us, CAST(SUM(p.reading_us) AS BIGINT) / 1000000 AS reading_seconds,
  CAST(SUM(p.game_us) AS BIGINT) AS game_us, CAST(SUM(p.game_us) AS BIGINT) / 1000000 AS game_seconds,
  SUM(p.game_score) AS game_score
FROM parts p LEFT JOIN learner_time l ON l.user_id = p.user_id AND l.day = p.day
GROUP BY p.user_id, p.day, p.classroom_id
"""

_RATIO = "CASE WHEN SUM({whole}) > 0 THEN CAST(SUM({part}) AS DOUBLE PRECISION) / SUM({whole}) END"
_SUMS = """
  SUM(f.words_practiced), SUM(f.words_correct), SUM(f.words_incorrect), {accuracy},
  SUM(f.exam_answers), SUM(f.exam_correct), {exam_accuracy},
  SUM(f.content_viewed), SUM(f.content_completed), SUM(f.games_completed), SUM(f.sessions), SUM(f.game_score)
""".format(accuracy=_RATIO.format(part="f.words_correct", whole="f.words_practiced"),
           exam_accuracy=_RATIO.format(part="f.exam_correct", whole="f.exam_answers"))
_COLUMNS = ("words_practiced, words_correct, words_incorrect, accuracy, exam_answers, exam_correct, "
            "exam_accuracy, content_viewed, content_completed, games_completed, sessions, game_score")
# The per-activity seconds: a learner's day rounds down its microseconds summed over classrooms (_LEARNER_SECONDS);
# a learner's day in a classroom, and a classroom's day, sum the rounded seconds of le_rollup_figures.
_SECONDS_COLUMNS = "exam_seconds, reading_seconds, game_seconds"
_LEARNER_SECONDS = ", ".join(f"CAST(SUM(f.{name}_us) AS BIGINT) / 1000000" for name in ("exam", "reading", "game"))
_ROOM_SECONDS = "SUM(f.exam_seconds), SUM(f.reading_seconds), SUM(f.game_seconds)"

# The recomputed learner-days that have a stored row, each found by one probe of the learner-day key (OFFSET 0
# keeps the probe a per-row subquery on PostgreSQL, never a hash join over the whole table).
_STORED_SQL = """
CREATE TEMPORARY TABLE le_rollup_stored AS
SELECT w.user_id, w.day FROM le_rollup_windows w
WHERE EXISTS (SELECT 1 FROM {learner} x WHERE x.user_id = w.user_id AND x.date = w.day {fence})
"""

# Each rollup is replaced scope by scope: delete every row of the recomputed (learner, day)s or (classroom,
# day)s, then insert the new rows with a plain INSERT (the rollup lock serialises writers, so nothing can
# insert the same keys meanwhile). Rows no event supports any more are gone with the rest; a fresh day,
# the common case, costs one index probe per scope and the inserts, with no conflict checking. An INSERT
# into a table with an updated_at takes one parameter (%s): the rollup's timestamp. The
# learner-word rows are each learner's answers to each word on the day, whatever the classroom, their last
# result the latest answer's (on a tie, incorrect); they are summed from the tallies in the order of their
# primary key, straight into the table: appending to the key's rightmost index page beats inserting all over
# it (about a fifth of the insert's time on 400,000 rows), and the sorted rows are grouped as they stream,
# without a table of their own. The learner rows are written first, shard by shard of learners when fanned
# out; the classroom rows are then sums of the stored learner rows (_CLASSROOM_WRITE_SQL).
_LEARNER_WRITE_SQL = (
    # Learner-word days.
    "{delete_learner_word}",
    """
INSERT INTO {learner_word} (user_id, date, word_id, attempts, correct, first_seen, last_seen, last_correct,
                            first_correct, updated_at)
SELECT user_id, day, word_id, SUM(attempts), SUM(correct), MIN(first_seen), MAX(last_seen),
  CASE WHEN MAX(last_wrong) = MAX(last_seen) THEN FALSE ELSE TRUE END,
  CASE WHEN MIN(first_wrong) = MIN(first_seen) THEN FALSE ELSE TRUE END, %s
FROM (SELECT * FROM le_rollup_tallies WHERE word_id IS NOT NULL ORDER BY user_id, day, word_id) x
GROUP BY user_id, day, word_id ORDER BY user_id, day, word_id
""",
    # Learner-word days in each classroom: the tallies themselves (one per learner, day, classroom, word).
    "{delete_learner_room_word}",
    """
INSERT INTO {learner_room_word} (user_id, date, classroom_id, word_id, attempts, correct)
SELECT user_id, day, classroom_id, word_id, attempts, correct
FROM le_rollup_tallies WHERE word_id IS NOT NULL AND classroom_id IS NOT NULL
""",
    # Learner days: unique words are distinct across the learner's classrooms, as their learner-word rows
    # are: counted from the tallies (reading those rows back would probe the learner-word table's key once per
    # learner, all over an index as large as the history).
    "{delete_learner}",
    f"""
INSERT INTO {{learner}} (user_id, date, {_COLUMNS}, {_SECONDS_COLUMNS}, unique_words, time_spent, updated_at)
SELECT f.user_id, f.day, {_SUMS}, {_LEARNER_SECONDS}, COALESCE(MAX(u.words), 0), MAX(f.learner_time_spent), %s
FROM le_rollup_figures f
LEFT JOIN (SELECT user_id, day, COUNT(DISTINCT word_id) AS words
           FROM le_rollup_tallies WHERE word_id IS NOT NULL GROUP BY user_id, day) u
  ON u.user_id = f.user_id AND u.day = f.day
GROUP BY f.user_id, f.day
""",
    # Learner days in each classroom.
    "{delete_learner_room}",
    f"""
INSERT INTO {{learner_room}} (user_id, classroom_id, date, {_COLUMNS}, {_SECONDS_COLUMNS}, unique_words, time_spent,
                              updated_at)
SELECT f.user_id, f.classroom_id, f.day, {_SUMS}, {_ROOM_SECONDS}, SUM(f.unique_words), SUM(f.time_spent), %s
FROM le_rollup_figures f WHERE f.classroom_id IS NOT NULL
GROUP BY f.user_id, f.classroom_id, f.day
""",
    # The recomputed learner-days go to the memory model's queue (memory.update_memory): their reviews may
    # have changed. "WHERE true": SQLite's parser needs it between a SELECT and ON CONFLICT.
    """
INSERT INTO {memory_day} (user_id, date, marked_at) SELECT user_id, day, %s FROM le_rollup_windows WHERE true
ON CONFLICT (user_id, date) DO UPDATE SET marked_at = excluded.marked_at
""",
)
# The classroom-days of le_rollup_scope, summed over their learners' stored rows (each read through its
# (classroom, date) index): the classroom-word days from the learner-classroom-word days, the classroom days
# from the learner-classroom days (a learner-classroom day sums the same figures a classroom day sums; a
# ratio is a ratio of the sums), their unique words from the classroom-word rows.
_CLASSROOM_WRITE_SQL = (
    """
DELETE FROM {room_word} WHERE id IN (
  SELECT x.id FROM le_rollup_scope s JOIN {room_word} x ON x.classroom_id = s.classroom_id AND x.date = s.day)
""",
    """
INSERT INTO {room_word} (classroom_id, date, word_id, attempts, correct, learners, updated_at)
SELECT x.classroom_id, x.date, x.word_id, SUM(x.attempts), SUM(x.correct), COUNT(*), %s
FROM le_rollup_scope s JOIN {learner_room_word} x ON x.classroom_id = s.classroom_id AND x.date = s.day
GROUP BY x.classroom_id, x.date, x.word_id
""",
    """
DELETE FROM {room} WHERE id IN (
  SELECT x.id FROM le_rollup_scope s JOIN {room} x ON x.classroom_id = s.classroom_id AND x.date = s.day)
""",
    f"""
INSERT INTO {{room}} (classroom_id, date, {_COLUMNS}, {_SECONDS_COLUMNS}, unique_words, time_spent, active_learners,
                      updated_at)
SELECT f.classroom_id, f.date, {_SUMS}, {_ROOM_SECONDS},
  (SELECT COUNT(*) FROM {{room_word}} x WHERE x.classroom_id = f.classroom_id AND x.date = f.date),
  SUM(f.time_spent), COUNT(*), %s
FROM le_rollup_scope s JOIN {{learner_room}} f ON f.classroom_id = s.classroom_id AND f.date = s.day
GROUP BY f.classroom_id, f.date
""",
)
