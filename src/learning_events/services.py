"""Public writes of the pipeline: log events from server code, in the caller's transaction.

Every function validates before it writes and raises ``InvalidEvent`` on a bad event. None opens its own
transaction boundary beyond an atomic block that joins the caller's: when the caller's action rolls back,
its events roll back with it, and the reverse.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import JSONField, Q, QuerySet, Value
from django.utils import timezone

from . import aggregation, event_types, ingest, partitions
from .conf import app_settings
from .exceptions import InvalidEvent
from .models import LearningEvent, RejectedEvent
from .timezones import time_zones_of


def validate_event(event_type: str, context: Any) -> dict[str, str]:
    """Problems of one event's type and context, as ``{field: message}``; empty when valid."""
    return _check_type_and_context(event_type, context)[1]


def _check_type_and_context(event_type: str, context: Any, max_context_bytes: int | None = None
                            ) -> tuple[str | None, dict[str, str]]:
    """``(context as stored JSON text, problems)`` of a server-side event's type and context."""
    spec = event_types.CATALOGUE.get(event_type) if type(event_type) is str else None
    if spec is None:
        return None, {"event_type": f"unknown event type {event_type!r}; known: {', '.join(event_types.CATALOGUE)}"}
    errors = spec.validate_context(context)
    if errors:
        return None, errors
    return ingest.context_json(context, max_context_bytes or app_settings.MAX_CONTEXT_BYTES)


def _stage_server_event(
    *,
    user: Any,
    event_type: str,
    context: Mapping[str, Any] | None,
    classroom: Any = None,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | str | None = None,
    now: datetime | None = None,
    max_context_bytes: int | None = None,
) -> ingest.StagedEvent:
    """Check one event of server code and return it ready to store; raises ``InvalidEvent``.

    ``now`` and ``max_context_bytes`` let a bulk caller look the clock and the setting up once.
    """
    context = dict(context or {})
    stamped = occurred_at is None and event_id is not None
    text, errors = _check_type_and_context(event_type, context, max_context_bytes)
    if occurred_at is not None and timezone.is_naive(occurred_at):
        errors["occurred_at"] = "must be timezone-aware"
    if event_id is None:
        event_id = str(uuid.uuid4())
    elif (canonical := ingest.canonical_uuid(event_id)) is not None:
        event_id = canonical
    else:
        try:
            event_id = str(uuid.UUID(str(event_id)))  # other spellings: no dashes, braces, urn:uuid:
        except ValueError:
            errors["event_id"] = "must be a UUID"
    if errors:
        raise InvalidEvent(errors, event_type)
    return ingest.StagedEvent(
        event_id, getattr(user, "pk", user), event_type, context, text, getattr(classroom, "pk", classroom),
        occurred_at or now or timezone.now(), stamped,
    )


def mark_days_dirty(events: Iterable[LearningEvent]) -> None:
    """Record the (learner, local day)s each event can change, so the periodic rollup recomputes them:
    its own day, and a neighbouring day its session or timed activity may reach across midnight."""
    events = list(events)
    if not events:
        return
    zones = time_zones_of(e.user_id for e in events)
    mark_learner_days_dirty(aggregation.days_changed(events, zones))


def mark_learner_days_dirty(days: Iterable[tuple[int, date]]) -> None:
    """Queue the (user id, local day)s for the periodic rollup (marked now; marking twice is harmless)."""
    aggregation.mark_dirty(days, timezone.now())


def log_event(
    user: Any,
    event_type: str,
    context: Mapping[str, Any] | None = None,
    classroom: Any = None,
    *,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | str | None = None,
) -> LearningEvent:
    """Store one learning event and return it.

    ``user`` and ``classroom`` are instances or primary keys; ``occurred_at`` defaults to now.
    Raises ``InvalidEvent`` when the type is unknown or the context breaks its schema.
    """
    staged = _stage_server_event(user=user, event_type=event_type, context=context, classroom=classroom,
                                 occurred_at=occurred_at, event_id=event_id)
    event = LearningEvent(
        user_id=staged.user_id, event_type=staged.event_type, context=staged.context,
        classroom_id=staged.classroom_id, occurred_at=staged.occurred_at, event_id=uuid.UUID(staged.event_id),
    )
    connection = connections[_db()]
    partitions.storing(lambda: _store_one(connection, staged, event), [event.occurred_at])
    return event


def _store_one(connection: Any, staged: ingest.StagedEvent, event: LearningEvent) -> None:
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql" and _stored_elsewhere(connection, [staged]):
            # What the unique index says of a copy in the event's own partition.
            raise IntegrityError(f"event_id {staged.event_id} is already stored")
        event.save(force_insert=True)
        mark_days_dirty([event])


def log_word_practice(user: Any, word_id: int, correct: bool, classroom: Any = None, **kw: Any) -> LearningEvent:
    """Log a graded flashcard answer: ``word_correct`` or ``word_incorrect`` with ``word_id``.

    Keyword arguments: ``context`` (more keys, e.g. ``session_id``, ``response_ms``), ``occurred_at``,
    ``event_id``.
    """
    context = {**(kw.pop("context", None) or {}), "word_id": word_id}
    event_type = event_types.WORD_CORRECT if correct else event_types.WORD_INCORRECT
    return log_event(user, event_type, context, classroom, **kw)


def log_events(events: Iterable[Mapping[str, Any]]) -> int:
    """Store many events in one insert; return how many were stored.

    Each item is a mapping with ``user``, ``event_type``, ``context`` and optional ``classroom``,
    ``occurred_at``, ``event_id``. Events whose ``event_id`` is already stored are skipped (not counted).
    Raises ``InvalidEvent`` (and stores nothing) when any item is invalid; its message names the item.
    """
    now, max_context_bytes = timezone.now(), app_settings.MAX_CONTEXT_BYTES
    staged = []
    for index, item in enumerate(events):
        try:
            staged.append(_stage_server_event(
                user=item["user"], event_type=item["event_type"], context=item.get("context"),
                classroom=item.get("classroom"), occurred_at=item.get("occurred_at"),
                event_id=item.get("event_id"), now=now, max_context_bytes=max_context_bytes,
            ))
        except InvalidEvent as exc:
            raise InvalidEvent({f"[{index}].{k}": v for k, v in exc.errors.items()}, exc.event_type) from exc
    if not staged:
        return 0
    with transaction.atomic(using=_db()):
        stored, _ = _insert_new(staged)
        if stored:
            mark_days_dirty(stored)
    return len(stored)


# --- client batches -------------------------------------------------------------------------------

CONFLICT_MESSAGE = "is already stored with different content (event_type, context or classroom_id)"


def ingest_batch(*, user: Any, body: bytes, received_at: datetime | None = None) -> dict[str, Any]:
    """Store the valid events of a client batch (the raw request body) for ``user``; report on each.

    Returns ``{"accepted": n, "duplicates": n, "rejected": [{"index", "event_id", "errors"}]}``. Valid
    events are stored even when others are rejected; every rejected event is kept as a ``RejectedEvent``
    with its raw payload, in the same transaction. An ``event_id`` the user already stored with the same
    type, context and classroom is a duplicate (not ``occurred_at``: a retried batch is shifted by a
    slightly different clock skew); with other content it is a conflict, rejected. The key is the user's:
    another user's event with the same ``event_id`` is another event (docs/ingest.md, "Idempotency").

    Raises ``BatchTooLarge`` (over the byte or event limit) and ``MalformedBatch`` (not UTF-8 JSON, no
    ``events`` list, bad ``sent_at``); nothing is stored then.
    """
    received_at = received_at or timezone.now()
    sent_at, raw_events = ingest.parse_batch(
        body, max_bytes=app_settings.BATCH_MAX_BYTES, max_events=app_settings.BATCH_MAX_EVENTS)
    check = _client_checker(user, sent_at=sent_at, received_at=received_at, classroom_ids=_classroom_ids(user),
                            new_event_id=_random_event_id).check
    staged: list[ingest.StagedEvent] = []
    staged_index: list[int] = []
    rejected: list[tuple[int, dict[str, str], str]] = []  # (index, errors, reason)
    for index, raw in enumerate(raw_events):
        result = check(raw)
        if type(result) is dict:
            rejected.append((index, result, RejectedEvent.Reason.INVALID))
        else:
            staged.append(result)
            staged_index.append(index)
    with transaction.atomic(using=_db()):
        stored, skipped = _insert_new(staged) if staged else ([], [])
        duplicates, conflicts = _split_duplicates(skipped)
        if conflicts:
            index_of = {id(event): index for event, index in zip(staged, staged_index)}
            rejected.extend((index_of[id(event)], {"event_id": CONFLICT_MESSAGE}, RejectedEvent.Reason.CONFLICT)
                            for event in conflicts)
        if rejected:
            RejectedEvent.objects.bulk_create([
                RejectedEvent(user=user, payload=_storable(raw_events[index]), batch_index=index, reason=reason,
                              errors=_storable(errors), sent_at=sent_at, received_at=received_at)
                for index, errors, reason in rejected
            ])
        if stored:
            mark_days_dirty(stored)
    rejected.sort(key=lambda item: item[0])
    return {
        "accepted": len(stored),
        "duplicates": len(duplicates),
        "rejected": [{"index": index, "event_id": _reported_event_id(raw_events[index]), "errors": errors}
                     for index, errors, _ in rejected],
    }


@dataclass(frozen=True)
class ReplayReport:
    """What ``replay_rejected`` did: dead letters now stored (or found stored), and those still pending."""

    replayed: int
    pending: int


def replay_rejected(letters: QuerySet[RejectedEvent] | None = None, *, chunk_size: int = 500) -> ReplayReport:
    """Re-ingest the pending dead letters (of ``letters``, default all) that pass the checks now.

    Each letter is judged as on the day it arrived: the clock-skew shift and the age window use its own
    ``sent_at`` and ``received_at``; classroom membership and the catalogue are today's. A letter whose
    event is stored (or whose ``event_id`` is already stored with the same content) is marked replayed
    (``replayed_at``, ``replayed_event_id``); the others stay pending, untouched. An event that had no
    ``event_id`` gets one derived from the letter, so replaying twice never stores it twice.
    """
    queryset = RejectedEvent.objects.all() if letters is None else letters
    pending = (queryset.filter(replayed_at__isnull=True).select_related("user").order_by("user_id", "id"))
    replayed = still_pending = 0
    chunk: list[RejectedEvent] = []
    for letter in pending.iterator(chunk_size=chunk_size):
        if chunk and (letter.user_id != chunk[0].user_id or len(chunk) == chunk_size):
            done = _replay_chunk(chunk)
            replayed, still_pending = replayed + done, still_pending + len(chunk) - done
            chunk = []
        chunk.append(letter)
    if chunk:
        done = _replay_chunk(chunk)
        replayed, still_pending = replayed + done, still_pending + len(chunk) - done
    return ReplayReport(replayed=replayed, pending=still_pending)


def _replay_chunk(letters: list[RejectedEvent]) -> int:
    """Replay the dead letters of one user; return how many are now replayed."""
    user = letters[0].user
    classroom_ids = _classroom_ids(user)
    staged: list[ingest.StagedEvent] = []
    letter_of: dict[int, RejectedEvent] = {}
    for letter in letters:
        derived_id = str(uuid.uuid5(_REPLAY_NAMESPACE, str(letter.pk)))
        result = _client_checker(user, sent_at=letter.sent_at, received_at=letter.received_at,
                                 classroom_ids=classroom_ids, new_event_id=lambda: derived_id).check(letter.payload)
        if type(result) is not dict:
            staged.append(result)
            letter_of[id(result)] = letter
    if not staged:
        return 0
    now = timezone.now()
    with transaction.atomic(using=_db()):
        stored, skipped = _insert_new(staged)
        duplicates, _ = _split_duplicates(skipped)
        resolved = [letter_of[id(event)] for event in stored + duplicates]
        for event in stored + duplicates:
            letter = letter_of[id(event)]
            letter.replayed_at, letter.replayed_event_id = now, uuid.UUID(event.event_id)
        RejectedEvent.objects.bulk_update(resolved, ["replayed_at", "replayed_event_id"])
        if stored:
            mark_days_dirty(stored)
    return len(resolved)


_REPLAY_NAMESPACE = uuid.UUID("5b0c6a3e-3f5e-4d0b-9d0e-6a1f2f9c7e10")


def _random_event_id() -> str:
    return str(uuid.uuid4())


def _classroom_ids(user: Any) -> frozenset[int]:
    """The classrooms ``user`` may attach events to (one host call); none when the host names no function."""
    lookup = app_settings.user_classroom_ids
    return frozenset(lookup(user)) if lookup else frozenset()


def _client_checker(user: Any, *, sent_at: datetime | None, received_at: datetime, classroom_ids: frozenset[int],
                    new_event_id: Callable[[], str]) -> ingest.ClientEventChecker:
    return ingest.ClientEventChecker(
        user_id=user.pk, classroom_ids=classroom_ids, received_at=received_at, sent_at=sent_at,
        max_future_skew=app_settings.MAX_FUTURE_SKEW, max_age=app_settings.MAX_EVENT_AGE,
        max_context_bytes=app_settings.MAX_CONTEXT_BYTES, new_event_id=new_event_id,
    )


def _reported_event_id(raw: Any) -> str | None:
    """The event_id of a rejected event as the client sent it, when it sent a string."""
    event_id = raw.get("event_id") if type(raw) is dict else None
    return event_id if type(event_id) is str else None


def _storable(payload: Any) -> Any:
    """``payload`` as a JSON column can hold it; else its JSON text (ASCII-escaped) under ``unstorable_json``.

    PostgreSQL's jsonb refuses NaN, Infinity, the NUL character and lone surrogates, which Python's JSON
    parser lets through, and a deeply nested payload would exhaust the stack of the database adapter's
    encoder: the dead letter must still keep the event whole rather than fail.
    """
    if payload is None:
        return Value(None, JSONField())  # JSON null: a bare None would be SQL NULL
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
        text.encode()
    except (ValueError, RecursionError):
        text = None
    if text is not None and "\\u0000" not in text and ingest.depth(payload) <= ingest.MAX_CONTEXT_DEPTH + 1:
        return payload
    return {"unstorable_json": json.dumps(payload, allow_nan=True, default=repr)}


# --- storage --------------------------------------------------------------------------------------

_LOOKUP_CHUNK = 1000
_STAGING_TABLE = "learning_events_staging"
# One staging table per database session, emptied by the statement that reads it and at every commit.
# Created on demand in each transaction (IF NOT EXISTS), so it also works behind a transaction pooler.
_STAGING_DDL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING_TABLE} (event_id uuid NOT NULL, user_id bigint NOT NULL, "
    "event_type text NOT NULL, context jsonb NOT NULL, classroom_id bigint, occurred_at timestamptz NOT NULL) "
    "ON COMMIT DELETE ROWS"
)


def _db() -> str:
    return router.db_for_write(LearningEvent)


def _key(event: ingest.StagedEvent) -> tuple[int, str]:
    """An event's idempotency key: its user's id and its ``event_id`` (unique per user)."""
    return event.user_id, event.event_id


def _insert_new(events: list[ingest.StagedEvent]) -> tuple[list[ingest.StagedEvent], list[ingest.StagedEvent]]:
    """Insert the events whose (user, ``event_id``) is not stored yet. Returns ``(stored, skipped)``.

    ``skipped`` holds the events whose key was already stored, or repeats an earlier event of the list.
    ``created_at`` is the time of the insert. Call inside a transaction. Concurrent calls with the same ids
    store each id once: the loser of the race waits for the winner's commit and then skips those ids.
    """
    first: dict[tuple[int, str], ingest.StagedEvent] = {}
    skipped = []
    for event in events:
        if first.setdefault(_key(event), event) is not event:
            skipped.append(event)
    candidates = list(first.values())
    connection = connections[_db()]
    if connection.vendor == "postgresql":
        elsewhere = _stored_elsewhere(connection, candidates)
        if elsewhere:
            skipped.extend(event for event in candidates if _key(event) in elsewhere)
            candidates = [event for event in candidates if _key(event) not in elsewhere]
        inserted = _copy_insert(connection, candidates) if candidates else set()
    else:
        inserted = _portable_insert(candidates)
    if len(inserted) == len(candidates):
        return candidates, skipped
    stored = []
    for event in candidates:
        (stored if _key(event) in inserted else skipped).append(event)
    return stored, skipped


def _copy_insert(connection: Any, events: list[ingest.StagedEvent]) -> set[tuple[int, str]]:
    """PostgreSQL: COPY the events straight into the events table, in a savepoint; when the unique index
    refuses an (``event_id``, user) already stored (a retried batch, a replay), roll that back and take the
    exact path instead: COPY into the session's staging table, then one INSERT ... ON CONFLICT DO NOTHING.
    Fresh events, the common case, so cost what a bare COPY costs. Returns the keys inserted.

    Rows go in ``event_id`` order on both paths, so that two transactions inserting the same ids lock them
    in the same order (no deadlock): the later one waits for the earlier one's commit, then its COPY fails
    and its fallback skips those ids. An event of a day that has no partition yet fails the COPY too: the
    partitions are created and the COPY runs again (no look-up of the partitions before, on the common path).
    """
    events = sorted(events, key=attrgetter("event_id"))
    created_at = timezone.now()

    def copy() -> set[tuple[int, str]]:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor, \
                connection.wrap_database_errors:
            with cursor.cursor.copy(f"COPY {_events_table(connection)} ({_copy_columns(connection)}) "
                                    "FROM STDIN") as rows:
                write_row = rows.write_row
                for event in events:
                    write_row((event.event_id, event.user_id, event.event_type, event.context_json,
                               event.classroom_id, event.occurred_at, created_at))
        return {_key(event) for event in events}

    try:
        return partitions.storing(copy, [event.occurred_at for event in events])
    except IntegrityError:
        return _staged_insert(connection, events, created_at)


def _staged_insert(connection: Any, events: list[ingest.StagedEvent], created_at: datetime
                   ) -> set[tuple[int, str]]:
    """COPY into the staging table, then insert the rows whose key is not stored yet; returns their keys."""
    partitions.ensure_partitions(event.occurred_at for event in events)  # the COPY may have stopped before a missing one
    with connection.cursor() as cursor:
        cursor.execute(_STAGING_DDL)
        with cursor.cursor.copy(f"COPY {_STAGING_TABLE} (event_id, user_id, event_type, context, classroom_id, "
                                "occurred_at) FROM STDIN") as copy:
            write_row = copy.write_row
            for event in events:
                write_row((event.event_id, event.user_id, event.event_type, event.context_json, event.classroom_id,
                           event.occurred_at))
        cursor.execute(
            f"WITH staged AS (DELETE FROM {_STAGING_TABLE} RETURNING *) "
            f"INSERT INTO {_events_table(connection)} ({_copy_columns(connection)}) "
            "SELECT event_id, user_id, event_type, context, classroom_id, occurred_at, %s FROM staged "
            "ORDER BY event_id ON CONFLICT DO NOTHING RETURNING user_id, event_id::text",
            [created_at],
        )
        return {(user_id, event_id) for user_id, event_id in cursor.fetchall()}


def _events_table(connection: Any) -> str:
    return connection.ops.quote_name(LearningEvent._meta.db_table)


def _copy_columns(connection: Any) -> str:
    meta = LearningEvent._meta
    return ", ".join(connection.ops.quote_name(meta.get_field(name).column)
                     for name in ("event_id", "user", "event_type", "context", "classroom", "occurred_at",
                                  "created_at"))


def _portable_insert(events: list[ingest.StagedEvent]) -> set[tuple[int, str]]:
    """Other databases (SQLite): look up the stored keys, insert the others ignoring conflicts.

    Exact when writers are serialised, as SQLite does (the platform opens its transactions IMMEDIATE).
    """
    inserted: set[tuple[int, str]] = set()
    for start in range(0, len(events), _LOOKUP_CHUNK):
        chunk = events[start:start + _LOOKUP_CHUNK]
        stored = {(user_id, str(event_id)) for user_id, event_id in LearningEvent.objects.filter(
            event_id__in=[e.event_id for e in chunk]).values_list("user_id", "event_id")}
        fresh = [e for e in chunk if _key(e) not in stored]
        LearningEvent.objects.bulk_create(
            [LearningEvent(event_id=e.event_id, user_id=e.user_id, event_type=e.event_type, context=e.context,
                           classroom_id=e.classroom_id, occurred_at=e.occurred_at)  # created_at: auto_now_add
             for e in fresh],
            ignore_conflicts=True,
        )
        inserted.update(_key(e) for e in fresh)
    return inserted


def _split_duplicates(skipped: list[ingest.StagedEvent]
                      ) -> tuple[list[ingest.StagedEvent], list[ingest.StagedEvent]]:
    """``(duplicates, conflicts)`` of events whose key is stored: same type, context, classroom or not."""
    if not skipped:
        return [], []
    stored = _stored_rows({event.event_id for event in skipped}, _where_stored(skipped))
    duplicates, conflicts = [], []
    for event in skipped:
        same = stored.get(_key(event)) == [event.event_type, event.context, event.classroom_id]
        (duplicates if same else conflicts).append(event)
    return duplicates, conflicts


# --- idempotency across time partitions (PostgreSQL) -----------------------------------------------
#
# A learner's event_id is unique in each partition (the partition's own unique index on (event_id, user_id)),
# not across them: a copy of an event can lie in a neighbouring partition when its occurred_at differs from
# the original's. How far
# apart two copies can be (docs/ingest.md, "Idempotency across partitions"): a client's retry carries its
# own occurred_at, corrected by the new batch's clock skew, so it moves by the difference in transit time,
# within the tolerance the acceptance window gives clocks (MAX_FUTURE_SKEW); an event sent with an id but no
# occurred_at is stamped on arrival, so an earlier copy may lie anywhere in the acceptance window before it.

#: The advisory locks (two-key form: this class, then a hash of the event_id) taken for events whose copies
#: could lie across a partition boundary: "LEID". Two learners' events with one event_id share a lock: they
#: only wait for each other, the look-up under it is by (user, event_id).
ID_LOCK_CLASS = 0x4C454944


def _copy_reach(event: ingest.StagedEvent) -> tuple[int, int]:
    """``[lo, hi)`` in microseconds since the epoch: where a stored copy of ``event`` may have occurred."""
    at = aggregation.to_micros(event.occurred_at)
    skew = app_settings.MAX_FUTURE_SKEW // aggregation.MICROSECOND
    back = skew + (app_settings.MAX_EVENT_AGE // aggregation.MICROSECOND if event.stamped else 0)
    return at - back, at + skew + 1


def _stored_elsewhere(connection: Any, events: list[ingest.StagedEvent]) -> set[tuple[int, str]]:
    """The keys (user, ``event_id``) of ``events`` already stored in another partition than their own (their
    own partition's unique index refuses the others).

    Only the events whose ``_copy_reach`` crosses a UTC midnight (every partition boundary is one) are
    looked up: a few near midnight, and those stamped on arrival. Their ids are locked first, a
    transaction-level advisory lock each, in one order: two transactions storing one event on both sides
    of a boundary take turns, and the later one finds the earlier one's copy once it has committed.
    """
    # One pass, in seconds of the UTC day (this runs for every event stored), a second wider on each side than
    # the reach: a float timestamp may round up to the next second.
    skew = int(app_settings.MAX_FUTURE_SKEW.total_seconds()) + 1
    last = 86_400 - skew
    crossing = [event for event in events
                if event.stamped or not skew <= event.occurred_at.timestamp() % 86_400 < last]
    if not crossing:
        return set()
    keys = sorted({int.from_bytes(uuid.UUID(event.event_id).bytes[:4], "big", signed=True) for event in crossing})
    ranges = _merged(_instants(*_copy_reach(event)) for event in crossing)
    # Written out rather than through the ORM: this runs for most batches that span a midnight, and compiling
    # the query cost more than running it.
    within = " OR ".join("(occurred_at >= %s AND occurred_at < %s)" for _ in ranges)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, k) FROM unnest(%s::int[]) AS k", [ID_LOCK_CLASS, keys])
        cursor.execute(f"SELECT user_id, event_id::text FROM {_events_table(connection)} "
                       "WHERE (event_id, user_id) IN (SELECT * FROM unnest(%s::uuid[], %s::bigint[])) "
                       f"AND ({within})",
                       [[event.event_id for event in crossing], [event.user_id for event in crossing],
                        *(bound for lo_hi in ranges for bound in lo_hi)])
        return {(user_id, event_id) for user_id, event_id in cursor.fetchall()}


def _where_stored(events: list[ingest.StagedEvent]) -> list[tuple[datetime | None, datetime | None]] | None:
    """The instants between which the stored copies of ``events`` (skipped as already stored) lie: each
    one's own partition, whose unique index refused it, and its ``_copy_reach``. None: anywhere (SQLite)."""
    if connections[_db()].vendor != "postgresql":
        return None
    held = partitions.list_partitions()
    ranges = set()
    for event in events:
        ranges.add(_instants(*_copy_reach(event)))
        ranges.update((p.lo, p.hi) for p in held if p.holds(event.occurred_at))
    return list(ranges)


def _instants(lo: int, hi: int) -> tuple[datetime, datetime]:
    return aggregation.from_micros(lo), aggregation.from_micros(hi)


def _stored_rows(ids: set[str], ranges: list[tuple[datetime | None, datetime | None]] | None
                 ) -> dict[tuple[int, str], list]:
    """``{(user_id, event_id): [event_type, context, classroom_id]}`` of the stored events among ``ids``,
    looking only between the ``ranges`` of instants (None: everywhere; a None bound: open on that side), so
    that the planner reads only the partitions of those ranges."""
    where = Q()
    for lo, hi in _merged(ranges or []):
        where |= Q(**{k: v for k, v in (("occurred_at__gte", lo), ("occurred_at__lt", hi)) if v is not None})
    ids = sorted(ids)
    stored: dict[tuple[int, str], list] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        rows = LearningEvent.objects.filter(where, event_id__in=ids[start:start + _LOOKUP_CHUNK]).values_list(
            "user_id", "event_id", "event_type", "context", "classroom_id")
        stored.update(((user_id, str(event_id)), content) for user_id, event_id, *content in rows)
    return stored


def _merged(ranges: Iterable[tuple[datetime | None, datetime | None]]
            ) -> list[tuple[datetime | None, datetime | None]]:
    """The union of ``[lo, hi)`` ranges as disjoint ranges (fewer, simpler conditions for the planner)."""
    low, high = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    merged: list[list[datetime]] = []
    for lo, hi in sorted((lo or low, hi or high) for lo, hi in ranges):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(None if lo == low else lo, None if hi == high else hi) for lo, hi in merged]


# --- one helper per kind of action ----------------------------------------------------------------


def log_practice_start(user: Any, session_id: uuid.UUID | str, classroom: Any = None, *,
                       word_list_id: int | None = None, **kw: Any) -> LearningEvent:
    context = {"session_id": str(session_id)}
    if word_list_id is not None:
        context["word_list_id"] = word_list_id
    return log_event(user, event_types.PRACTICE_START, context, classroom, **kw)


def log_practice_end(user: Any, session_id: uuid.UUID | str, classroom: Any = None, *,
                     word_list_id: int | None = None, **kw: Any) -> LearningEvent:
    context = {"session_id": str(session_id)}
    if word_list_id is not None:
        context["word_list_id"] = word_list_id
    return log_event(user, event_types.PRACTICE_END, context, classroom, **kw)


def log_exam_answers(user: Any, *, exam_id: int, submission_id: int, answers: Iterable[Mapping[str, Any]],
                     classroom: Any = None, occurred_at: datetime | None = None,
                     duration_seconds: float | None = None) -> int:
    """Log every graded answer of one exam submission in one insert; return how many were stored.

    ``answers`` items carry ``question_id``, ``correct`` and optionally ``answer`` (the learner's text), in
    the exam's order. ``duration_seconds`` (the time the learner spent on the whole submission, ending at
    ``occurred_at``) goes on the first answer only, so that the submission's time counts once wherever
    durations are summed. Raises ``InvalidEvent`` on a bad answer or duration.
    """
    occurred_at = occurred_at or timezone.now()
    return log_events(
        {
            "user": user,
            "event_type": event_types.EXAM_ANSWER,
            "classroom": classroom,
            "occurred_at": occurred_at,
            "context": {
                "exam_id": exam_id, "submission_id": submission_id,
                "question_id": a["question_id"], "correct": a["correct"],
                **({"answer": a["answer"]} if a.get("answer") is not None else {}),
                **({"duration_seconds": duration_seconds} if n == 0 and duration_seconds is not None else {}),
            },
        }
        for n, a in enumerate(answers)
    )


def log_content_view(user: Any, *, content_id: int, content_type: str, classroom: Any = None,
                     **kw: Any) -> LearningEvent:
    return log_event(user, event_types.CONTENT_VIEW,
                     {"content_id": content_id, "content_type": content_type}, classroom, **kw)


def log_content_complete(user: Any, *, content_id: int, content_type: str, classroom: Any = None,
                         duration_seconds: float | None = None, **kw: Any) -> LearningEvent:
    context: dict[str, Any] = {"content_id": content_id, "content_type": content_type}
    if duration_seconds is not None:
        context["duration_seconds"] = duration_seconds
    return log_event(user, event_types.CONTENT_COMPLETE, context, classroom, **kw)


def log_game_complete(user: Any, *, game_id: int, score: float, duration_seconds: float,
                      classroom: Any = None, word_ids: list[int] | None = None, **kw: Any) -> LearningEvent:
    context: dict[str, Any] = {"game_id": game_id, "score": score, "duration_seconds": duration_seconds}
    if word_ids is not None:
        context["word_ids"] = list(word_ids)
    return log_event(user, event_types.GAME_COMPLETE, context, classroom, **kw)
