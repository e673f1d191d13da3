"""Reading and checking client batches (``POST /api/v1/events/batch/``): pure functions, no database.

``services.ingest_batch`` calls :func:`parse_batch` once per request and :func:`check_client_event` once
per event, then stores what passed. This runs for every event a client sends, so it is hand-written and
lean (a DRF serializer per event would cost several times the whole insert): no per-event allocation
beyond the result, no per-event settings lookups, no database.

Storage needs the context as JSON text anyway, so :func:`context_json` serialises it once and that text
both measures the context (``LEARNING_EVENTS_MAX_CONTEXT_BYTES``) and is what gets written.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from . import event_types
from .exceptions import BatchTooLarge, MalformedBatch

#: The keys an event of a client batch may have.
EVENT_FIELDS = ("event_id", "event_type", "occurred_at", "context", "classroom_id")
_EVENT_FIELDS = frozenset(EVENT_FIELDS)
_OWNER_FIELDS = ("user", "user_id")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# One encoder for every context (json.dumps with options builds a new one per call).
_CONTEXT_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_CLIENT_CATALOGUE = {value: event_types.CATALOGUE[value] for value in event_types.CLIENT_TYPES}
_CLIENT_TYPES_TEXT = ", ".join(event_types.CLIENT_TYPES)
DATETIME_MESSAGE = "must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"
#: How deeply a context's objects and lists may nest: the catalogue's keys are flat (a list at most), and
#: a deep document costs every later reader (SQLite's JSON functions stop at 1000 levels).
MAX_CONTEXT_DEPTH = 16


class StagedEvent(NamedTuple):
    """A valid event ready to be stored: what the insert writes, plus the context for comparisons."""

    event_id: str  # canonical UUID text (lower case, dashed): the idempotency key
    user_id: int
    event_type: str
    context: dict
    context_json: str  # compact JSON of ``context``, as stored
    classroom_id: int | None
    occurred_at: datetime
    # The sender gave the event_id but no occurred_at, so occurred_at is when it arrived: an earlier copy
    # of the event, stamped on its own arrival, may lie anywhere in the acceptance window
    # (services._copy_reach).
    stamped: bool = False


def context_json(context: dict, max_bytes: int) -> tuple[str | None, dict[str, str]]:
    """The compact JSON text of ``context`` for storage, or ``(None, {"context": problem})``.

    Besides the size limit this refuses what PostgreSQL's ``jsonb`` cannot hold, so that a client's odd
    value is a rejected event rather than a failed insert: NaN/Infinity, the NUL character, lone
    surrogates.
    """
    try:
        text = _CONTEXT_ENCODER.encode(context)
        size = len(text.encode())
    except ValueError as exc:  # NaN / Infinity (UnicodeEncodeError, a lone surrogate, is a ValueError too)
        if isinstance(exc, UnicodeEncodeError):
            return None, {"context": "contains invalid Unicode (a lone surrogate)"}
        return None, {"context": "must not contain NaN or Infinity"}
    except RecursionError:
        return None, {"context": "is nested too deeply"}
    if size > max_bytes:
        return None, {"context": f"is {size} bytes of JSON; at most {max_bytes} are allowed"}
    # Counting brackets is cheap; only a context with enough of them is walked.
    if text.count("[") + text.count("{") > MAX_CONTEXT_DEPTH and depth(context) > MAX_CONTEXT_DEPTH:
        return None, {"context": f"is nested more than {MAX_CONTEXT_DEPTH} levels deep"}
    if "\\u0000" in text:
        return None, {"context": "must not contain the NUL character (\\u0000)"}
    return text, {}


def depth(value: Any) -> int:
    """How many objects and lists deep ``value`` nests (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if type(item) is dict else item if type(item) is list else None
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def canonical_uuid(value: Any) -> str | None:
    """The canonical text (lower case, dashed) of a UUID or of its dashed string, else None."""
    if type(value) is str:
        lowered = value.lower()
        return lowered if _UUID.fullmatch(lowered) else None
    return str(value) if isinstance(value, uuid.UUID) else None


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime from an ISO-8601 string, or None when ``value`` is not one."""
    if type(value) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return None if parsed.tzinfo is None else parsed


def parse_batch(body: bytes, *, max_bytes: int, max_events: int) -> tuple[datetime | None, list[Any]]:
    """``(sent_at, events)`` of a batch body; the events are not checked yet.

    Raises ``BatchTooLarge`` over ``max_bytes`` (checked before parsing) or ``max_events``, and
    ``MalformedBatch`` when the body is not UTF-8 JSON, not an object, has no ``events`` list, or has a
    ``sent_at`` that is not an aware ISO-8601 date-time.
    """
    if len(body) > max_bytes:
        raise BatchTooLarge(f"The body is {len(body)} bytes; at most {max_bytes} bytes are accepted per request. "
                            "Send the events in smaller batches.")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise MalformedBatch(f"The body is not UTF-8 text (byte {exc.start}: {exc.reason}).") from exc
    except json.JSONDecodeError as exc:
        raise MalformedBatch(f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits, or deep nesting
        raise MalformedBatch(f"The body cannot be read as JSON: {exc}.") from exc
    if type(data) is not dict:
        raise MalformedBatch('The body must be a JSON object: {"sent_at": ..., "events": [...]}.')
    events = data.get("events")
    if type(events) is not list:
        problem = "is required" if events is None else "must be a list"
        raise MalformedBatch(errors={"events": f"{problem}: a list of event objects"})
    sent_at = None
    if data.get("sent_at") is not None:
        sent_at = parse_datetime(data["sent_at"])
        if sent_at is None:
            raise MalformedBatch(errors={"sent_at": DATETIME_MESSAGE})
    if len(events) > max_events:
        raise BatchTooLarge(f"The batch has {len(events)} events; at most {max_events} are accepted per request. "
                            "Send them in smaller batches.")
    return sent_at, events


class ClientEventChecker:
    """Checks the events of one batch against the catalogue and the caller's rights.

    Built once per batch with everything that does not change from event to event (the caller, the
    classrooms they belong to, the clock-skew shift and the accepted time window), so the per-event call
    does only per-event work.
    """

    def __init__(self, *, user_id: int, classroom_ids: Collection[int], received_at: datetime,
                 sent_at: datetime | None, max_future_skew: timedelta, max_age: timedelta,
                 max_context_bytes: int, new_event_id: Callable[[], str]):
        self.user_id = user_id
        self.classroom_ids = classroom_ids
        self.received_at = received_at
        # The device's clock is off by (server time - device time) when the batch left; occurred_at moves
        # by the same amount. Without sent_at, the device clock is trusted.
        self.shift = received_at - sent_at if sent_at is not None else timedelta(0)
        self.latest = received_at + max_future_skew
        self.earliest = received_at - max_age
        self.max_future_skew = max_future_skew
        self.max_age = max_age
        self.max_context_bytes = max_context_bytes
        self.new_event_id = new_event_id

    def check(self, raw: Any) -> StagedEvent | dict[str, str]:
        """The ``StagedEvent`` of a valid raw event, else ``{field: message}`` for every problem found.

        Context problems are keyed ``context.<key>`` (or ``context`` for the whole object).
        """
        if type(raw) is not dict:
            return {"event": "must be a JSON object"}
        errors: dict[str, str] = {}
        if not _EVENT_FIELDS.issuperset(raw):
            for key in raw:
                if key in _OWNER_FIELDS:
                    errors[key] = "is not accepted: events always belong to the caller"
                elif key not in _EVENT_FIELDS:
                    errors[key] = f"is not a known field; an event has: {', '.join(EVENT_FIELDS)}"

        event_id = raw.get("event_id")
        if event_id is None:
            event_id = self.new_event_id()
        elif type(event_id) is not str or (event_id := canonical_uuid(event_id)) is None:
            errors["event_id"] = "must be a UUID string (8-4-4-4-12 hexadecimal digits) or be left out"

        event_type = raw.get("event_type")
        spec = _CLIENT_CATALOGUE.get(event_type) if type(event_type) is str else None
        context = raw.get("context")
        if context is None:
            context = {}
        text = None
        if spec is None:
            errors["event_type"] = self._type_problem(event_type)
        else:
            problems = spec.validate_context(context)
            if not problems:
                text, problems = context_json(context, self.max_context_bytes)
            for key, message in problems.items():
                errors["context" if key == "context" else f"context.{key}"] = message

        classroom_id = raw.get("classroom_id")
        if classroom_id is not None:
            if type(classroom_id) is not int:
                errors["classroom_id"] = "must be an integer or null"
            elif classroom_id not in self.classroom_ids:
                errors["classroom_id"] = f"is not a classroom you belong to ({classroom_id})"

        occurred_at = raw.get("occurred_at")
        stamped = occurred_at is None and raw.get("event_id") is not None
        if occurred_at is None:
            occurred_at = self.received_at
        else:
            parsed = parse_datetime(occurred_at)
            if parsed is None:
                errors["occurred_at"] = DATETIME_MESSAGE
            else:
                try:
                    occurred_at = parsed + self.shift
                except OverflowError:  # e.g. year 9999 moved later by a sent_at of year 1
                    occurred_at = None
                if occurred_at is None:
                    errors["occurred_at"] = ("is out of the representable range after correcting the device "
                                             "clock by sent_at")
                elif occurred_at > self.latest:
                    errors["occurred_at"] = (f"is more than {int(self.max_future_skew.total_seconds())} seconds in "
                                             "the future (after correcting the device clock by sent_at)")
                elif occurred_at < self.earliest:
                    errors["occurred_at"] = f"is more than {self.max_age.days} days old"

        if errors:
            return errors
        return StagedEvent(event_id, self.user_id, event_type, context, text, classroom_id, occurred_at, stamped)

    @staticmethod
    def _type_problem(event_type: Any) -> str:
        if event_type is None:
            return f"is required; clients may send: {_CLIENT_TYPES_TEXT}"
        if type(event_type) is str and event_type in event_types.CATALOGUE:
            return (f"{event_type!r} comes only from server-side grading and cannot be sent by clients; "
                    f"clients may send: {_CLIENT_TYPES_TEXT}")
        return f"unknown event type {event_type!r}; clients may send: {_CLIENT_TYPES_TEXT}"
