"""Time partitions of the events table on PostgreSQL: one partition per UTC day.

The raw events are range-partitioned on ``occurred_at`` (migration 0006), so that what today's work costs
does not depend on how much history the store holds: an insert touches the indexes of its day's
partition only; a day's rollup or export reads the partitions of the days it reads (the planner prunes
the others, given constant bounds); a purge drops whole partitions instead of deleting rows. Why a day
and not a week or a month, and what the grain costs: docs/ingest.md, "Storage: time partitions".

Partitions are created

- ahead of need by ``maintain_partitions`` (the periodic task ``learning_events.maintain_partitions``, and
  migration 0006): every day from the oldest a client may still send (``MAX_EVENT_AGE_DAYS``) to
  ``PARTITIONS_AHEAD_DAYS`` after today, so that requests never create one;
- on demand, by ``ensure_partitions``, for any other day an insert needs (a backfill of old days): in the
  caller's transaction, serialised by an advisory lock. A new partition is created as a table of its own,
  then attached, which locks the events table only against other DDL (SHARE UPDATE EXCLUSIVE), never
  against reads and writes; its foreign keys lock the user and classroom tables against writes until the
  creating transaction ends (SHARE ROW EXCLUSIVE), one more reason to create them ahead.

A partition may cover more than a day: migration 0006 attaches a store's existing table whole, as the
partition of everything before the day of the migration. Code here reads every partition's bounds from
the catalogue and never assumes a day.

Each partition has its own primary key on ``(id, user_id)`` and unique index on ``(event_id, user_id)``
(the learner in every key: docs/scaling.md): a partitioned table's unique indexes must include the
partition key, so a learner's ``event_id`` is unique per partition, and ``services`` looks for it in the
neighbouring partitions when a copy of an event could lie there (docs/ingest.md, "Idempotency across
partitions").

On SQLite the events are a plain table and every function here does nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from .conf import app_settings
from .models import LearningEvent

logger = logging.getLogger(__name__)
T = TypeVar("T")

DAY = timedelta(days=1)
#: The advisory lock (two-key form: this class, then 0) serialising the creation of partitions: "LEPA".
CREATE_LOCK_CLASS = 0x4C455041
#: How long a purge waits for the events table's lock before dropping a partition, and how many times it
#: tries: dropping takes an ACCESS EXCLUSIVE lock on the events table for a moment, and waiting behind a
#: long export without a limit would queue every insert behind the purge.
DROP_LOCK_TIMEOUT = "2s"
DROP_ATTEMPTS = 5
#: Relations a statement locks in each partition it cannot prune: the table and its six indexes.
RELATIONS_PER_PARTITION = 7
_BOUND = re.compile(r"FOR VALUES FROM \((?P<lo>MINVALUE|'[^']*')\) TO \((?P<hi>MAXVALUE|'[^']*')\)")


@dataclass(frozen=True)
class Partition:
    """One partition of the events table: the instants ``[lo, hi)`` (None: unbounded on that side)."""

    name: str
    lo: datetime | None
    hi: datetime | None

    def holds(self, instant: datetime) -> bool:
        return (self.lo is None or self.lo <= instant) and (self.hi is None or instant < self.hi)


def _alias() -> str:
    return router.db_for_write(LearningEvent)


def is_partitioned(using: str | None = None) -> bool:
    """Whether the events are time-partitioned on this database (PostgreSQL; SQLite keeps a plain table)."""
    return connections[using or _alias()].vendor == "postgresql"


def table() -> str:
    return LearningEvent._meta.db_table


def partition_name(day: date) -> str:
    """The name of the partition of the UTC ``day``: ``learning_events_learningevent_p20261204``."""
    return f"{table()}_p{day:%Y%m%d}"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def utc_day(instant: datetime) -> date:
    return instant.astimezone(UTC).date()


def list_partitions(using: str | None = None) -> list[Partition]:
    """Every partition of the events table, in time order (bounds read from the catalogue)."""
    connection = connections[using or _alias()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [connection.ops.quote_name(table())])
        rows = cursor.fetchall()
    found = []
    for name, bound in rows:
        match = _BOUND.search(bound)
        if match is None:  # a DEFAULT partition, which this app never creates
            raise ValueError(f"partition {name} of {table()} is not a range of time: {bound}")
        found.append(Partition(name, _bound(match["lo"]), _bound(match["hi"])))
    return _in_time_order(found)


def _bound(text: str) -> datetime | None:
    if text in ("MINVALUE", "MAXVALUE"):
        return None
    return datetime.fromisoformat(text.strip("'")).astimezone(UTC)  # e.g. '2026-12-04 00:00:00+00'


def ensure_partitions(instants: Iterable[datetime], *, using: str | None = None) -> list[str]:
    """Make sure a partition holds each of ``instants``; create the missing days' partitions. Returns the
    names created (none on SQLite).

    One catalogue lookup when every day's partition exists (the common case: ``maintain_partitions``
    creates them ahead). Otherwise the creation runs in the caller's transaction (a savepoint of it), or in
    a transaction of its own outside one, serialised with other creators by an advisory lock.
    """
    return ensure_days({utc_day(instant) for instant in instants}, using=using)


def ensure_days(days: Iterable[date], *, using: str | None = None) -> list[str]:
    """``ensure_partitions`` for UTC days."""
    alias = using or _alias()
    days = set(days)
    if not days or not is_partitioned(alias):
        return []
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NULL",
                       [[partition_name(day) for day in sorted(days)]])
        missing_names = {row[0] for row in cursor.fetchall()}
    if not missing_names:
        return []
    return _create_days([day for day in days if partition_name(day) in missing_names], alias)


def _create_days(days: Iterable[date], alias: str) -> list[str]:
    """Create the partitions of the ``days`` that no partition covers yet (holding the creation lock)."""
    connection = connections[alias]
    created = []
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [CREATE_LOCK_CLASS])
        existing = list_partitions(alias)
        for day in sorted(set(days)):
            gap = _uncovered(day_start(day), day_start(day + DAY), existing)
            if gap is not None:
                _create_partition(cursor, connection, partition_name(day), *gap)
                existing = _in_time_order([*existing, Partition(partition_name(day), *gap)])
                created.append(partition_name(day))
    if created:
        logger.info("created event partition(s) %s", ", ".join(created))
    return created


def _uncovered(lo: datetime, hi: datetime, existing: list[Partition]) -> tuple[datetime, datetime] | None:
    """The part of ``[lo, hi)`` before the first partition that starts inside it and after any that holds
    its start (``existing`` in time order), or None when partitions cover it all. Only a partition of more
    than a day (migration 0006's) can cover a day in part."""
    for partition in existing:
        if partition.holds(lo):
            if partition.hi is None or partition.hi >= hi:
                return None
            lo = partition.hi
        elif partition.lo is not None and lo < partition.lo < hi:
            hi = partition.lo
    return (lo, hi) if lo < hi else None


def _in_time_order(partitions: list[Partition]) -> list[Partition]:
    return sorted(partitions, key=lambda p: (p.lo is not None, p.lo or datetime.min.replace(tzinfo=UTC)))


def _create_partition(cursor: Any, connection: Any, name: str, lo: datetime, hi: datetime) -> None:
    """Create ``name`` as a table like the events table, with its own primary key ``(id, user_id)`` and unique
    ``(event_id, user_id)``, and attach it for ``[lo, hi)``: ATTACH takes a SHARE UPDATE EXCLUSIVE lock on
    the events table (reads and writes go on), where CREATE TABLE ... PARTITION OF would take an ACCESS
    EXCLUSIVE one. The events table's indexes and foreign keys are created on it by the attachment."""
    quote = connection.ops.quote_name
    parent, own = quote(table()), quote(name)
    cursor.execute(f"CREATE TABLE {own} (LIKE {parent})")
    cursor.execute(f"ALTER TABLE {own} ADD CONSTRAINT {quote(name + '_pkey')} PRIMARY KEY (id, user_id), "
                   f"ADD CONSTRAINT {quote(name + '_user_event_key')} UNIQUE (event_id, user_id)")
    cursor.execute(f"ALTER TABLE {parent} ATTACH PARTITION {own} FOR VALUES FROM (%s) TO (%s)", [lo, hi])


def is_missing_partition(error: Exception) -> bool:
    """Whether ``error`` (a Django ``IntegrityError``) is PostgreSQL refusing a row that no partition takes:
    "no partition of relation ... found for row" (SQLSTATE 23514; the events table has no CHECK constraint
    that could raise it otherwise)."""
    return getattr(error.__cause__, "sqlstate", None) == "23514"


def storing(store: Callable[[], T], instants: Iterable[datetime]) -> T:
    """``store()`` (an insert of events that occurred at ``instants``, in a savepoint or a transaction of its
    own); when it fails because a day has no partition yet, create the days' partitions and call it once
    more. Other errors go through. Nothing is looked up before the insert, on the common path."""
    try:
        return store()
    except IntegrityError as exc:
        if not is_missing_partition(exc):
            raise
    ensure_partitions(instants)
    return store()


def window_days(today: date) -> list[date]:
    """The days ``maintain_partitions`` keeps partitioned: from the oldest a client may still send (with a
    day to spare for time zones and clock skew) to ``PARTITIONS_AHEAD_DAYS`` after ``today``."""
    first = today - timedelta(days=app_settings.MAX_EVENT_AGE.days + 1)
    last = today + timedelta(days=app_settings.PARTITIONS_AHEAD_DAYS)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class Maintenance:
    """What ``maintain_partitions`` did and found."""

    created: list[str]
    partitions: int
    lock_slots: int  # entries of the server's lock table (max_locks_per_transaction x backends)

    @property
    def relations(self) -> int:
        """Relations a statement reading every partition locks."""
        return self.partitions * RELATIONS_PER_PARTITION

    @property
    def crowds_lock_table(self) -> bool:
        """Whether such a statement would take more than half of the server's lock table."""
        return self.relations > self.lock_slots // 2


def maintain_partitions(now: datetime | None = None, *, using: str | None = None) -> Maintenance:
    """Create the partitions of ``window_days`` that are missing, and warn when the partitions are so many
    that a statement touching all of them (deleting a learner, say) would fill a good part of the server's
    lock table (docs/ingest.md). Nothing on SQLite."""
    alias = using or _alias()
    if not is_partitioned(alias):
        return Maintenance(created=[], partitions=0, lock_slots=0)
    today = utc_day(now or timezone.now())
    created = ensure_partitions([day_start(day) for day in window_days(today)], using=alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass), "
            "current_setting('max_locks_per_transaction')::int * (current_setting('max_connections')::int "
            "+ current_setting('max_prepared_transactions')::int)",
            [connections[alias].ops.quote_name(table())])
        count, slots = cursor.fetchone()
    done = Maintenance(created=created, partitions=count, lock_slots=slots)
    if done.crowds_lock_table:
        logger.warning(
            "%d event partitions: a statement reading all of them locks about %d relations, more than half of "
            "the server's lock table (%d); raise max_locks_per_transaction or purge old events (docs/ingest.md)",
            count, done.relations, slots)
    return done



def drop_partitions_before(cutoff: datetime, *, using: str | None = None,
                           progress: Callable[[int], Any] | None = None) -> tuple[int, Partition | None]:
    """Drop every partition whose instants all lie before ``cutoff``; return ``(events dropped with them,
    the partition that ``cutoff`` cuts, if any)``. Each partition is counted and dropped in a transaction
    of its own (or a savepoint of the caller's), waiting at most ``DROP_LOCK_TIMEOUT`` for the events
    table's lock, ``DROP_ATTEMPTS`` times. ``progress(n)`` is called with each partition's row count.
    """
    alias = using or _alias()
    dropped = 0
    cut = None
    for partition in list_partitions(alias):
        if partition.hi is not None and partition.hi <= cutoff:
            count = _drop(partition, alias)
            dropped += count
            if progress is not None:
                progress(count)
        elif partition.holds(cutoff) and partition.lo != cutoff:
            cut = partition
    return dropped, cut


def _drop(partition: Partition, alias: str) -> int:
    """Count the partition's events, then drop it, in a transaction (or savepoint) of its own."""
    from django.db import OperationalError

    connection = connections[alias]
    quote = connection.ops.quote_name
    for attempt in range(1, DROP_ATTEMPTS + 1):
        try:
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                # Counted before the events table is locked, so that inserts and reads wait only for the
                # DROP itself. Only an insert into this very partition, an event older than the purge
                # cutoff, could slip in between, and it would be purged uncounted.
                cursor.execute(f"SELECT count(*) FROM {quote(partition.name)}")
                count = cursor.fetchone()[0]
                # Rows this transaction wrote still have their foreign keys checked at commit, and a table
                # with pending checks cannot be dropped: run them now (only a caller's transaction has any).
                connection.check_constraints()
                cursor.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
                cursor.execute(f"DROP TABLE {quote(partition.name)}")
                cursor.execute("SET LOCAL lock_timeout = DEFAULT")  # inside a caller's transaction: theirs again
            logger.info("dropped event partition %s (%d events)", partition.name, count)
            return count
        except OperationalError as exc:
            if "lock timeout" not in str(exc) or attempt == DROP_ATTEMPTS:
                raise
            logger.warning("dropping %s: the events table is busy (attempt %d of %d)", partition.name, attempt,
                           DROP_ATTEMPTS)
    raise AssertionError("unreachable")
