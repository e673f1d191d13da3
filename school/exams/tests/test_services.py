import re
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from learning_events import aggregation
from learning_events.exceptions import InvalidEvent
from learning_events.models import (
    ClassroomDailyStats,
    LearnerClassroomDailyStats,
    LearnerDailyStats,
    LearningEvent,
)
from learning_events.timezones import local_date, time_zones_of

from school import factories
from school.exams import services
from school.exams.models import Exam, Question, Submission, SubmittedAnswer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("The cat", True), ("  the   CAT\n", True), ("thecat", False), ("the cats", False), ("", False)],
)
def test_short_text_is_trimmed_case_insensitive_with_inner_whitespace_collapsed(answer, expected):
    question = Question(kind=Question.Kind.SHORT_TEXT, correct_answer="The  cat")
    assert services.is_correct(question, answer) is expected


@pytest.mark.parametrize(("answer", "expected"), [("gato", True), ("Gato", False), (" gato", False)])
def test_multiple_choice_is_an_exact_match_of_the_option(answer, expected):
    question = Question(kind=Question.Kind.MULTIPLE_CHOICE, choices=["gato", "Gato", " gato"], correct_answer="gato")
    assert services.is_correct(question, answer) is expected


def test_create_exam_refuses_a_bad_question_and_stores_nothing(teacher):
    with pytest.raises(ValidationError) as caught:
        services.create_exam(owner=teacher, title="X", language="es", questions=[
            {"kind": "multiple_choice", "prompt": "?", "choices": ["a", "b"], "correct_answer": "c"}])
    assert caught.value.message_dict == {"correct_answer": ["The correct answer must be one of the choices."]}
    assert not Exam.objects.exists()


def _exam_with(n_questions: int) -> tuple[Exam, list[dict]]:
    exam = factories.ExamFactory()
    questions = factories.QuestionFactory.create_batch(n_questions, exam=exam)
    return exam, [{"question_id": q.pk, "answer": "gato"} for q in questions]


def _queries_to_submit(learner, classroom, n_questions: int) -> int:
    exam, answers = _exam_with(n_questions)
    with CaptureQueriesContext(connection) as queries:
        services.submit_exam(learner=learner, exam=exam, answers=answers, classroom=classroom)
    assert LearningEvent.objects.filter(context__exam_id=exam.pk).count() == n_questions
    return len(queries)


def test_submission_costs_the_same_queries_for_5_or_50_questions(learner, classroom):
    assert _queries_to_submit(learner, classroom, 5) == _queries_to_submit(learner, classroom, 50)


def test_events_of_a_submission_are_one_insert(learner, classroom):
    exam, answers = _exam_with(50)
    with CaptureQueriesContext(connection) as queries:
        services.submit_exam(learner=learner, exam=exam, answers=answers, classroom=classroom)
    event_inserts = [q["sql"] for q in queries if re.search(r'INSERT (OR IGNORE )?INTO "learning_events_learningevent"',
                                                               q["sql"])]
    # SQLite: one INSERT of the 50 rows. PostgreSQL: one COPY straight into the events table, which goes
    # through psycopg's copy protocol and so never shows in Django's query log; no INSERT at all.
    assert len(event_inserts) == (0 if connection.vendor == "postgresql" else 1)
    assert LearningEvent.objects.filter(context__exam_id=exam.pk).count() == 50


def test_submission_rolls_back_when_its_events_cannot_be_logged(learner, monkeypatch):
    exam, answers = _exam_with(3)

    def refuse(*args, **kwargs):
        raise InvalidEvent({"context.exam_id": "must be an integer"}, "exam_answer")

    monkeypatch.setattr(services, "log_exam_answers", refuse)
    with pytest.raises(InvalidEvent):
        services.submit_exam(learner=learner, exam=exam, answers=answers)
    assert not Submission.objects.exists()
    assert not SubmittedAnswer.objects.exists()


def test_a_timed_submission_counts_toward_time_on_task_and_exam_time(learner, classroom):
    exam, answers = _exam_with(3)
    submitted = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    with patch.object(timezone, "now", return_value=submitted):
        submission = services.submit_exam(learner=learner, exam=exam, answers=answers, classroom=classroom,
                                          started_at=submitted - timedelta(minutes=20))
    aggregation.rollup_dirty_days()
    day = local_date(submitted, time_zones_of([learner.pk])[learner.pk])
    rows = [LearnerDailyStats.objects.get(user=learner, date=day),
            LearnerClassroomDailyStats.objects.get(user=learner, classroom=classroom, date=day),
            ClassroomDailyStats.objects.get(classroom=classroom, date=day)]
    assert [(r.exam_answers, r.time_spent, r.exam_seconds) for r in rows] == [(3, 1200, 1200)] * 3
    assert submission.duration_seconds == 1200.0


def test_an_untimed_submission_adds_no_time(learner, classroom):
    exam, answers = _exam_with(2)
    services.submit_exam(learner=learner, exam=exam, answers=answers, classroom=classroom)
    aggregation.rollup_dirty_days()
    row = LearnerDailyStats.objects.get(user=learner)
    assert (row.exam_answers, row.time_spent, row.exam_seconds) == (2, 0, 0)
    assert Submission.objects.get().duration_seconds is None
