"""Vocabulary services: grading, and that each practice action commits or rolls back with its event."""

import pytest
from learning_events.exceptions import InvalidEvent
from learning_events.models import LearningEvent

from school import factories
from school.vocabulary import services
from school.vocabulary.models import PracticeAnswer, PracticeSession


@pytest.mark.parametrize(("answer", "translation", "correct"), [
    ("dog", "dog", True),
    ("  DOG\n", "dog", True),
    ("good   morning", "Good Morning", True),
    ("good\tmorning", " good morning ", True),
    ("STRASSE", "straße", True),  # case-folded, not only lower-cased
    ("goodmorning", "good morning", False),
    ("dogs", "dog", False),
    ("", "dog", False),
])
def test_grade(answer, translation, correct):
    assert services.grade(answer, translation) is correct


@pytest.fixture
def word_list(db):
    return factories.WordListFactory(words=[factories.WordFactory(text="hola", translation="hello")])


def refuse_events(*args, **kwargs):
    raise InvalidEvent({"context": "refused by the test"}, "any")


def test_start_rolls_back_when_its_event_cannot_be_stored(word_list, learner, monkeypatch):
    monkeypatch.setattr(services, "log_practice_start", refuse_events)
    with pytest.raises(InvalidEvent):
        services.start_practice(learner=learner, word_list=word_list)
    assert not PracticeSession.objects.exists()


def test_answer_rolls_back_when_its_event_cannot_be_stored(word_list, learner, monkeypatch):
    session = services.start_practice(learner=learner, word_list=word_list)
    monkeypatch.setattr(services, "log_word_practice", refuse_events)
    with pytest.raises(InvalidEvent):
        services.answer_flashcard(session=session, word_id=word_list.words.get().pk, answer="hello")
    assert not PracticeAnswer.objects.exists()
    assert list(LearningEvent.objects.values_list("event_type", flat=True)) == ["practice_start"]


def test_end_rolls_back_when_its_event_cannot_be_stored(word_list, learner, monkeypatch):
    session = services.start_practice(learner=learner, word_list=word_list)
    monkeypatch.setattr(services, "log_practice_end", refuse_events)
    with pytest.raises(InvalidEvent):
        services.end_practice(session=session)
    session.refresh_from_db()
    assert session.ended_at is None


def test_answer_checks_the_stored_state_not_a_stale_instance(word_list, learner):
    """A session object read before another request ended it must not accept answers."""
    session = services.start_practice(learner=learner, word_list=word_list)
    stale = PracticeSession.objects.get(pk=session.pk)
    services.end_practice(session=session)
    with pytest.raises(services.PracticeSessionEnded):
        services.answer_flashcard(session=stale, word_id=word_list.words.get().pk, answer="hello")
    with pytest.raises(services.PracticeSessionEnded):
        services.end_practice(session=stale)
    assert not PracticeAnswer.objects.exists()
