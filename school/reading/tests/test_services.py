from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
from django.utils import timezone
from learning_events.exceptions import InvalidEvent
from learning_events.models import LearningEvent

from school import factories
from school.reading import services
from school.reading.models import Reading

pytestmark = pytest.mark.django_db


def refuse(*args, **kwargs):
    raise InvalidEvent({"context.content_id": "must be an integer"}, "content_view")


def test_view_rolls_back_when_its_event_cannot_be_logged(learner, monkeypatch):
    monkeypatch.setattr(services, "log_content_view", refuse)
    with pytest.raises(InvalidEvent):
        services.view_content(learner=learner, content=factories.ContentFactory())
    assert not Reading.objects.exists()


def test_complete_rolls_back_when_its_event_cannot_be_logged(learner):
    content = factories.ContentFactory()
    reading = services.view_content(learner=learner, content=content)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "log_content_complete", refuse)
        with pytest.raises(InvalidEvent):
            services.complete_content(learner=learner, content=content, duration_seconds=12)
    reading.refresh_from_db()
    assert (reading.completed_at, reading.duration_seconds) == (None, None)
    assert list(LearningEvent.objects.values_list("event_type", flat=True)) == ["content_view"]


def test_view_of_a_content_built_in_code_logs_its_kind_as_plain_text(learner):
    content = factories.ContentFactory(kind=factories.Content.Kind.ARTICLE)  # holds the enum member, not "article"
    services.view_content(learner=learner, content=content)
    assert list(LearningEvent.objects.values_list("context", flat=True)) == [
        {"content_id": content.pk, "content_type": "article"}]


OPENED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _read(learner, content, *, seconds_later: float, **complete):
    """View ``content`` at OPENED and complete it ``seconds_later``; return the reading and its event's context."""
    with patch.object(timezone, "now", return_value=OPENED):
        services.view_content(learner=learner, content=content)
    with patch.object(timezone, "now", return_value=OPENED + timedelta(seconds=seconds_later)):
        reading, created = services.complete_content(learner=learner, content=content, **complete)
    assert created is False
    return reading, LearningEvent.objects.get(event_type="content_complete").context


def test_without_a_duration_a_viewed_reading_lasts_from_its_view_to_its_completion(learner):
    content = factories.ContentFactory(kind="story")
    reading, context = _read(learner, content, seconds_later=95.25)
    assert (reading.duration_seconds, context) == (
        95.25, {"content_id": content.pk, "content_type": "story", "duration_seconds": 95.25})


def test_a_reading_left_open_counts_at_most_max_reading_seconds(learner):
    reading, context = _read(learner, factories.ContentFactory(), seconds_later=2 * services.MAX_READING_SECONDS)
    assert (reading.duration_seconds, context["duration_seconds"]) == (services.MAX_READING_SECONDS,) * 2


def test_the_clients_duration_wins_over_the_readings_own(learner):
    reading, context = _read(learner, factories.ContentFactory(), seconds_later=600, duration_seconds=42)
    assert (reading.duration_seconds, context["duration_seconds"]) == (42, 42)


def test_a_completion_without_a_view_has_no_duration(learner):
    reading, created = services.complete_content(learner=learner, content=factories.ContentFactory())
    assert (created, reading.duration_seconds) == (True, None)
    assert "duration_seconds" not in LearningEvent.objects.get().context
