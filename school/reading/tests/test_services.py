import pytest
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
