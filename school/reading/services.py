"""Writes about reading: add stories and articles, and record a learner viewing and completing one.

Each action logs its learning event in the same transaction, so the reading and its event commit or roll
back together.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from learning_events.services import log_content_complete, log_content_view

from .models import Content, Reading

MAX_READING_SECONDS = 24 * 60 * 60
"""The longest reading time accepted; more is a client's mistake (e.g. milliseconds sent as seconds)."""


def create_content(*, kind: str, title: str, body: str, language: str, level: str) -> Content:
    """Add a story or an article. Raises ``ValidationError`` on a bad kind or level."""
    content = Content(kind=kind, title=title, body=body, language=language, level=level)
    content.full_clean()
    content.save()
    return content


def _content_type(content: Content) -> str:
    # An instance built in code holds the Content.Kind member, which the event schema rejects as not a plain str.
    return Content.Kind(content.kind).value


@transaction.atomic
def view_content(*, learner, content: Content, classroom=None) -> Reading:
    """Open a new reading of ``content`` and log ``content_view``.

    ``classroom`` must already be checked as one the learner belongs to.
    """
    reading = Reading.objects.create(learner=learner, content=content, classroom=classroom)
    log_content_view(learner, content_id=content.pk, content_type=_content_type(content), classroom=classroom,
                     occurred_at=reading.viewed_at)
    return reading


@transaction.atomic
def complete_content(*, learner, content: Content, classroom=None, reading: Reading | None = None,
                     duration_seconds: float | None = None) -> tuple[Reading, bool]:
    """Mark a reading of ``content`` completed and log ``content_complete``; return it and whether it is new.

    The reading is ``reading`` when given (the learner's own, already looked up), else the learner's latest
    open reading of ``content`` (in ``classroom`` when given), else a new one. Its duration is the client's
    ``duration_seconds`` when given; else, for a reading opened before (``view_content``), the time from
    opening to completion, at most ``MAX_READING_SECONDS``; else (a completion with no view) none. The
    reading stores it and the event carries it, with the reading's classroom. Raises ``ValidationError``
    when the given reading is already completed or happened in another classroom than ``classroom``.
    """
    if reading is not None:
        reading = Reading.objects.select_for_update().get(pk=reading.pk)
        if reading.completed_at is not None:
            raise ValidationError({"reading_id": "This reading is already completed."})
        if classroom is not None and reading.classroom_id != classroom.pk:
            raise ValidationError({"classroom_id": "This reading did not happen in this classroom."})
    else:
        open_readings = Reading.objects.select_for_update().filter(
            learner=learner, content=content, completed_at__isnull=True)
        if classroom is not None:
            open_readings = open_readings.filter(classroom=classroom)
        reading = open_readings.order_by("-viewed_at", "-id").first()
    created = reading is None
    if created:
        reading = Reading(learner=learner, content=content, classroom=classroom)
    reading.completed_at = timezone.now()
    if duration_seconds is None and not created:
        opened_for = (reading.completed_at - reading.viewed_at).total_seconds()
        duration_seconds = min(max(opened_for, 0.0), MAX_READING_SECONDS)
    reading.duration_seconds = duration_seconds
    reading.save()
    log_content_complete(learner, content_id=content.pk, content_type=_content_type(content),
                         classroom=reading.classroom_id,
                         duration_seconds=duration_seconds, occurred_at=reading.completed_at)
    return reading, created
