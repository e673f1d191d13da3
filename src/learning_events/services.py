"""Public writes of the pipeline: log events from server code, in the caller's transaction.

Every function validates before it writes and raises ``InvalidEvent`` on a bad event. None opens its own
transaction boundary beyond an atomic block that joins the caller's: when the caller's action rolls back,
its events roll back with it, and the reverse.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import event_types
from .conf import app_settings
from .exceptions import InvalidEvent
from .models import DirtyDay, LearningEvent
from .timezones import local_date, time_zones_of


def validate_event(event_type: str, context: Any) -> dict[str, str]:
    """Problems of one event's type and context, as ``{field: message}``; empty when valid."""
    spec = event_types.CATALOGUE.get(event_type)
    if spec is None:
        return {"event_type": f"unknown event type {event_type!r}; known: {', '.join(event_types.CATALOGUE)}"}
    errors = spec.validate_context(context)
    if not errors:
        size = len(json.dumps(context, separators=(",", ":"), ensure_ascii=False).encode())
        if size > app_settings.MAX_CONTEXT_BYTES:
            errors["context"] = f"is {size} bytes of JSON; at most {app_settings.MAX_CONTEXT_BYTES} are allowed"
    return errors


def _build_event(
    *,
    user: Any,
    event_type: str,
    context: Mapping[str, Any] | None,
    classroom: Any = None,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | str | None = None,
) -> LearningEvent:
    context = dict(context or {})
    errors = validate_event(event_type, context)
    if occurred_at is not None and timezone.is_naive(occurred_at):
        errors["occurred_at"] = "must be timezone-aware"
    if event_id is not None and not isinstance(event_id, uuid.UUID):
        try:
            event_id = uuid.UUID(str(event_id))
        except ValueError:
            errors["event_id"] = "must be a UUID"
    if errors:
        raise InvalidEvent(errors, event_type)
    classroom_id = getattr(classroom, "pk", classroom)
    return LearningEvent(
        user_id=getattr(user, "pk", user),
        event_type=event_type,
        context=context,
        classroom_id=classroom_id,
        occurred_at=occurred_at or timezone.now(),
        event_id=event_id or uuid.uuid4(),
    )


def mark_days_dirty(events: Iterable[LearningEvent]) -> None:
    """Record the (learner, local day) of each event, so the periodic rollup recomputes those days."""
    events = list(events)
    zones = time_zones_of(e.user_id for e in events)
    days = {(e.user_id, local_date(e.occurred_at, zones[e.user_id])) for e in events}
    now = timezone.now()
    DirtyDay.objects.bulk_create(
        [DirtyDay(user_id=user_id, date=day, marked_at=now) for user_id, day in sorted(days)],
        update_conflicts=True,
        unique_fields=["user", "date"],
        update_fields=["marked_at"],
    )


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
    event = _build_event(
        user=user, event_type=event_type, context=context, classroom=classroom,
        occurred_at=occurred_at, event_id=event_id,
    )
    with transaction.atomic():
        event.save(force_insert=True)
        mark_days_dirty([event])
    return event


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
    built = []
    for index, item in enumerate(events):
        try:
            built.append(_build_event(
                user=item["user"], event_type=item["event_type"], context=item.get("context"),
                classroom=item.get("classroom"), occurred_at=item.get("occurred_at"),
                event_id=item.get("event_id"),
            ))
        except InvalidEvent as exc:
            raise InvalidEvent({f"[{index}].{k}": v for k, v in exc.errors.items()}, exc.event_type) from exc
    if not built:
        return 0
    with transaction.atomic():
        stored = insert_new_events(built)
        mark_days_dirty(stored)
    return len(stored)


def insert_new_events(events: list[LearningEvent]) -> list[LearningEvent]:
    """Insert the events whose ``event_id`` is not stored yet; return those inserted.

    Repeated ids inside ``events`` are inserted once (the first wins).
    """
    unique: dict[uuid.UUID, LearningEvent] = {}
    for event in events:
        unique.setdefault(event.event_id, event)
    existing = set(
        LearningEvent.objects.filter(event_id__in=list(unique)).values_list("event_id", flat=True)
    )
    fresh = [e for eid, e in unique.items() if eid not in existing]
    LearningEvent.objects.bulk_create(fresh, batch_size=1000)
    return fresh


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
                     classroom: Any = None, occurred_at: datetime | None = None) -> int:
    """Log every graded answer of one exam submission in one insert.

    ``answers`` items carry ``question_id``, ``correct`` and optionally ``answer`` (the learner's text).
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
            },
        }
        for a in answers
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
