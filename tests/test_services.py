"""log_event, log_word_practice, log_events: validation, idempotency, transactions, dirty days."""

import datetime
import uuid
import zoneinfo

import pytest
from django.db import transaction

from learning_events import services
from learning_events.exceptions import InvalidEvent
from learning_events.models import DirtyDay, LearningEvent

pytestmark = pytest.mark.django_db


def test_log_event_stores_the_event_with_its_room_and_marks_the_local_day_dirty(make_user, room):
    learner = make_user(time_zone="America/Lima")  # UTC-5
    at = datetime.datetime(2026, 11, 20, 2, 30, tzinfo=datetime.UTC)  # 19 Nov, 21:30 in Lima
    event = services.log_event(learner, "content_view", {"content_id": 3, "content_type": "story"}, room,
                               occurred_at=at)
    stored = LearningEvent.objects.get()
    assert (stored.pk, stored.user_id, stored.event_type, stored.context, stored.classroom_id, stored.occurred_at) == (
        event.pk, learner.pk, "content_view", {"content_id": 3, "content_type": "story"}, room.pk, at)
    assert list(DirtyDay.objects.values_list("user_id", "date")) == [(learner.pk, datetime.date(2026, 11, 19))]


def test_log_word_practice_picks_the_type_from_the_grade(user):
    right = services.log_word_practice(user, 7, True, context={"session_id": str(uuid.uuid4()), "response_ms": 900})
    wrong = services.log_word_practice(user, 7, False)
    assert (right.event_type, right.context["word_id"], right.context["response_ms"]) == ("word_correct", 7, 900)
    assert (wrong.event_type, wrong.context) == ("word_incorrect", {"word_id": 7})


def test_log_exam_answers_puts_the_submissions_duration_on_its_first_answer_only(user):
    at = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
    answers = [{"question_id": 5, "correct": True}, {"question_id": 3, "correct": False, "answer": "x"}]
    assert services.log_exam_answers(user, exam_id=1, submission_id=2, answers=answers, occurred_at=at,
                                     duration_seconds=95.5) == 2
    # The bulk insert stores rows in no particular order: the answers are told apart by their question.
    assert {e.context["question_id"]: e.context for e in LearningEvent.objects.all()} == {
        5: {"exam_id": 1, "submission_id": 2, "question_id": 5, "correct": True, "duration_seconds": 95.5},
        3: {"exam_id": 1, "submission_id": 2, "question_id": 3, "correct": False, "answer": "x"},
    }
    # Timed, but 95.5 seconds before noon reach no other day.
    assert list(DirtyDay.objects.values_list("date", flat=True)) == [at.date()]


@pytest.mark.parametrize(
    ("event_type", "context", "errors"),
    [
        ("word_correct", {}, {"word_id": "is required"}),
        ("word_correct", {"word_id": "7"}, {"word_id": "must be an integer"}),
        ("word_correct", {"word_id": True}, {"word_id": "must be an integer"}),
        ("practice_start", {"session_id": "not-a-uuid"}, {"session_id": "must be a UUID string"}),
        ("content_view", {"content_id": 1, "content_type": "poem"}, {"content_type": 'must be "story" or "article"'}),
        ("exam_answer", {"exam_id": 1, "question_id": 2, "submission_id": 3, "correct": "yes"},
         {"correct": "must be true or false"}),
        ("game_complete", {"game_id": 1, "score": 5, "duration_seconds": -1},
         {"duration_seconds": "must be a number, zero or more"}),
        ("exam_answer", {"exam_id": 1, "question_id": 2, "submission_id": 3, "correct": True, "duration_seconds": "9"},
         {"duration_seconds": "must be a number, zero or more"}),
        ("word_correct", {"word_id": 1, "x": "a" * 9000}, {"context": "is 9020 bytes of JSON; at most 8192 are allowed"}),
    ],
)
def test_invalid_contexts_raise_a_clear_error_and_store_nothing(user, event_type, context, errors):
    with pytest.raises(InvalidEvent) as info:
        services.log_event(user, event_type, context)
    assert info.value.errors == errors
    assert LearningEvent.objects.count() == 0


def test_unknown_type_is_named_in_the_error(user):
    with pytest.raises(InvalidEvent) as info:
        services.log_event(user, "word_guessed", {"word_id": 1})
    assert info.value.errors["event_type"].startswith("unknown event type 'word_guessed'")


def test_events_roll_back_with_the_callers_transaction(user):
    class ActionFailed(Exception):
        pass

    with pytest.raises(ActionFailed):
        with transaction.atomic():
            services.log_word_practice(user, 1, True)
            raise ActionFailed
    assert LearningEvent.objects.count() == 0
    assert DirtyDay.objects.count() == 0


def test_log_events_is_one_insert_and_skips_stored_ids(user, django_assert_max_num_queries):
    known = services.log_word_practice(user, 1, True)
    items = [{"user": user, "event_type": "exam_answer",
              "context": {"exam_id": 1, "question_id": q, "submission_id": 9, "correct": q % 2 == 0}}
             for q in range(50)]
    items.append({"user": user, "event_type": "word_correct", "context": {"word_id": 1}, "event_id": known.event_id})
    # PostgreSQL: savepoints around a COPY refused for the stored id, then the staged insert (DDL, one
    # INSERT); SQLite: a lookup and one insert. Then time zones and dirty days, whatever the number of events.
    with django_assert_max_num_queries(9):
        stored = services.log_events(items)
    assert stored == 50
    assert LearningEvent.objects.filter(event_type="exam_answer").count() == 50


def test_log_events_of_fresh_events_takes_a_fixed_number_of_queries(user, django_assert_max_num_queries):
    items = [{"user": user, "event_type": "word_correct", "context": {"word_id": n}} for n in range(100)]
    # PostgreSQL: one COPY in a savepoint (not counted as a query); SQLite: a lookup and one insert. Then
    # time zones and dirty days.
    with django_assert_max_num_queries(6):
        stored = services.log_events(items)
    assert (stored, LearningEvent.objects.filter(event_type="word_correct").count()) == (100, 100)


def test_log_events_rejects_the_whole_call_naming_the_bad_item(user):
    items = [{"user": user, "event_type": "word_correct", "context": {"word_id": 1}},
             {"user": user, "event_type": "word_correct", "context": {}}]
    with pytest.raises(InvalidEvent) as info:
        services.log_events(items)
    assert info.value.errors == {"[1].word_id": "is required"}
    assert LearningEvent.objects.count() == 0


def test_naive_occurred_at_is_rejected(user):
    with pytest.raises(InvalidEvent) as info:
        services.log_word_practice(user, 1, True, occurred_at=datetime.datetime(2026, 1, 1))
    assert info.value.errors == {"occurred_at": "must be timezone-aware"}


def test_time_zone_fallback_for_unknown_zone_names(make_user):
    learner = make_user(time_zone="Not/AZone")
    at = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    services.log_word_practice(learner, 1, True, occurred_at=at)
    assert list(DirtyDay.objects.values_list("date", flat=True)) == [datetime.date(2026, 3, 1)]
