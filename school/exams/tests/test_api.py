from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from learning_events.models import LearningEvent

from school import factories
from school.exams.models import Exam, Question, Submission, SubmittedAnswer

pytestmark = pytest.mark.django_db

MC = {"kind": "multiple_choice", "prompt": "Dog?", "choices": ["perro", "gato"], "correct_answer": "perro"}
SHORT = {"kind": "short_text", "prompt": "Translate 'la casa'", "correct_answer": "the house"}


def stored_events():
    return [
        (e.user_id, e.event_type, e.context, e.classroom_id)
        for e in LearningEvent.objects.order_by("context__question_id")
    ]


# --- create -----------------------------------------------------------------------------------------


def test_teacher_creates_an_exam_with_questions_in_order(teacher, client_for):
    response = client_for(teacher).post(
        "/api/v1/exams/", {"title": "Home", "language": "es", "questions": [MC, SHORT]})
    assert response.status_code == 201
    exam = Exam.objects.get()
    first, second = exam.questions.order_by("position")
    assert response.json() == {
        "id": exam.pk, "title": "Home", "language": "es", "owner": teacher.username, "question_count": 2,
        "created_at": exam.created_at.isoformat().replace("+00:00", "Z"),
        "questions": [
            {"id": first.pk, "position": 0, "kind": "multiple_choice", "prompt": "Dog?",
             "choices": ["perro", "gato"], "correct_answer": "perro"},
            {"id": second.pk, "position": 1, "kind": "short_text", "prompt": "Translate 'la casa'",
             "choices": [], "correct_answer": "the house"},
        ],
    }
    assert exam.owner == teacher


def test_learner_cannot_create_an_exam(learner, client_for):
    response = client_for(learner).post("/api/v1/exams/", {"title": "X", "language": "es", "questions": [MC]})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only teachers can create or change this."}
    assert not Exam.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"title": ["This field is required."], "language": ["This field is required."],
              "questions": ["This field is required."]}),
        ({"title": "X", "language": "es", "questions": []},
         {"questions": {"non_field_errors": ["This list may not be empty."]}}),
        ({"title": "X", "language": "es", "questions": [{**MC, "choices": []}]},
         {"questions": {"0": {"choices": ["A multiple-choice question needs at least 2 choices."]}}}),
        ({"title": "X", "language": "es", "questions": [{k: v for k, v in MC.items() if k != "choices"}]},
         {"questions": {"0": {"choices": ["A multiple-choice question needs at least 2 choices."]}}}),
        ({"title": "X", "language": "es", "questions": [{**MC, "choices": ["perro"]}]},
         {"questions": {"0": {"choices": ["A multiple-choice question needs at least 2 choices."]}}}),
        ({"title": "X", "language": "es", "questions": [{**MC, "choices": ["perro", "perro"]}]},
         {"questions": {"0": {"choices": ["Choices must be distinct."]}}}),
        ({"title": "X", "language": "es", "questions": [{**MC, "correct_answer": "casa"}]},
         {"questions": {"0": {"correct_answer": ["The correct answer must be one of the choices."]}}}),
        ({"title": "X", "language": "es", "questions": [{**SHORT, "choices": ["a", "b"]}]},
         {"questions": {"0": {"choices": ["Only multiple-choice questions have choices."]}}}),
        ({"title": "X", "language": "es", "questions": [SHORT, {**SHORT, "kind": "essay"}]},
         {"questions": {"1": {"kind": ['"essay" is not a valid choice.']}}}),
        ({"title": "X", "language": "es", "questions": [{"kind": "short_text"}]},
         {"questions": {"0": {"prompt": ["This field is required."], "correct_answer": ["This field is required."]}}}),
        ({"title": "X", "language": "es", "questions": "not a list"},
         {"questions": {"non_field_errors": ['Expected a list of items but got type "str".']}}),
    ],
)
def test_create_exam_with_a_bad_body_is_400_and_stores_nothing(teacher, client_for, body, errors):
    response = client_for(teacher).post("/api/v1/exams/", body)
    assert response.status_code == 400
    assert response.json() == errors
    assert not Exam.objects.exists() and not Question.objects.exists()


def test_anonymous_is_401_everywhere(exam, client_for):
    client = client_for()
    for url in ("/api/v1/exams/", f"/api/v1/exams/{exam.pk}/", f"/api/v1/exams/{exam.pk}/submissions/"):
        assert client.get(url).status_code == 401
    assert client.post(f"/api/v1/exams/{exam.pk}/submissions/", {"answers": []}).status_code == 401
    assert client.post("/api/v1/exams/", {"title": "X", "language": "es", "questions": [MC]}).status_code == 401


# --- list and detail --------------------------------------------------------------------------------


def test_list_filters_by_language(exam, learner, client_for):
    factories.ExamFactory(title="Tiere", language="de")
    response = client_for(learner).get("/api/v1/exams/?language=es")
    assert response.status_code == 200
    assert response.json()["results"] == [{
        "id": exam.pk, "title": "Animals", "language": "es", "owner": exam.owner.username, "question_count": 2,
        "created_at": exam.created_at.isoformat().replace("+00:00", "Z"),
    }]
    all_titles = [e["title"] for e in client_for(learner).get("/api/v1/exams/").json()["results"]]
    assert all_titles == ["Animals", "Tiere"]


def test_learner_sees_questions_without_correct_answers(exam, questions, learner, client_for):
    response = client_for(learner).get(f"/api/v1/exams/{exam.pk}/")
    assert response.status_code == 200
    assert response.json()["questions"] == [
        {"id": questions[0].pk, "position": 0, "kind": "multiple_choice", "prompt": "Cat?",
         "choices": ["perro", "gato", "casa"]},
        {"id": questions[1].pk, "position": 1, "kind": "short_text", "prompt": "Translate 'el gato'", "choices": []},
    ]


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_owner_and_staff_see_correct_answers(exam, client_for, who):
    viewer = exam.owner if who == "owner" else factories.UserFactory(is_staff=True)
    response = client_for(viewer).get(f"/api/v1/exams/{exam.pk}/")
    assert [q["correct_answer"] for q in response.json()["questions"]] == ["gato", "The cat"]


def test_other_teacher_does_not_see_correct_answers(exam, other_teacher, client_for):
    questions = client_for(other_teacher).get(f"/api/v1/exams/{exam.pk}/").json()["questions"]
    assert [("correct_answer" in q) for q in questions] == [False, False]


def test_exam_without_owner_is_shown_with_null_owner(learner, client_for):
    exam = factories.ExamFactory(owner=None)
    assert client_for(learner).get(f"/api/v1/exams/{exam.pk}/").json()["owner"] is None


def test_unknown_exam_is_404(learner, client_for):
    client = client_for(learner)
    assert client.get("/api/v1/exams/999999/").status_code == 404
    assert client.get("/api/v1/exams/999999/submissions/").status_code == 404
    response = client.post("/api/v1/exams/999999/submissions/", {"answers": []})
    assert response.status_code == 404
    assert response.json() == {"detail": "No Exam matches the given query."}


# --- submit -----------------------------------------------------------------------------------------


def test_learner_submits_in_a_classroom_gets_graded_and_each_answer_is_an_event(
        exam, questions, classroom, learner, client_for):
    mc, short = questions
    response = client_for(learner).post(f"/api/v1/exams/{exam.pk}/submissions/", {
        "classroom_id": classroom.pk,
        "answers": [{"question_id": short.pk, "answer": "  the   CAT "}, {"question_id": mc.pk, "answer": "perro"}],
    })
    assert response.status_code == 201
    submission = Submission.objects.get()
    assert response.json() == {
        "id": submission.pk, "exam_id": exam.pk, "learner_id": learner.pk, "learner": learner.username,
        "classroom_id": classroom.pk, "submitted_at": submission.submitted_at.isoformat().replace("+00:00", "Z"),
        "correct_count": 1, "question_count": 2, "score": 0.5, "started_at": None, "duration_seconds": None,
        "results": [
            {"question_id": mc.pk, "answer": "perro", "correct": False},
            {"question_id": short.pk, "answer": "  the   CAT ", "correct": True},
        ],
    }
    assert list(SubmittedAnswer.objects.values_list("question_id", "answer", "correct")) == [
        (mc.pk, "perro", False), (short.pk, "  the   CAT ", True)]
    assert stored_events() == [
        (learner.pk, "exam_answer", {"exam_id": exam.pk, "submission_id": submission.pk, "question_id": mc.pk,
                                     "correct": False, "answer": "perro"}, classroom.pk),
        (learner.pk, "exam_answer", {"exam_id": exam.pk, "submission_id": submission.pk, "question_id": short.pk,
                                     "correct": True, "answer": "  the   CAT "}, classroom.pk),
    ]
    assert set(LearningEvent.objects.values_list("occurred_at", flat=True)) == {submission.submitted_at}


def test_submission_outside_a_classroom_logs_events_without_one(exam, questions, outsider, client_for):
    mc, short = questions
    response = client_for(outsider).post(f"/api/v1/exams/{exam.pk}/submissions/", {
        "classroom_id": None,
        "answers": [{"question_id": mc.pk, "answer": "gato"}, {"question_id": short.pk, "answer": "the cat"}],
    })
    assert response.status_code == 201
    assert (response.json()["score"], response.json()["classroom_id"]) == (1.0, None)
    assert [(e[1], e[2]["correct"], e[3]) for e in stored_events()] == [
        ("exam_answer", True, None), ("exam_answer", True, None)]


NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _submit_started(client, exam, questions, started_at):
    mc, short = questions
    return client.post(f"/api/v1/exams/{exam.pk}/submissions/", {"started_at": started_at, "answers": [
        {"question_id": short.pk, "answer": "the cat"}, {"question_id": mc.pk, "answer": "gato"}]})


def test_a_submission_with_its_start_is_timed_and_its_first_answer_carries_the_time(
        exam, questions, classroom, learner, client_for, frozen_clock):
    mc, short = questions
    response = _submit_started(client_for(learner), exam, questions, "2026-03-10T13:47:29.500000+02:00")
    assert response.status_code == 201
    body = response.json()
    assert (body["started_at"], body["submitted_at"], body["duration_seconds"]) == (
        "2026-03-10T11:47:29.500000Z", "2026-03-10T12:00:00Z", 750.5)
    submission = Submission.objects.get()
    assert (submission.started_at, submission.duration_seconds) == (NOW - timedelta(seconds=750.5), 750.5)
    # The first answer by position (the multiple-choice one, sent second) carries the duration, once.
    assert stored_events() == [
        (learner.pk, "exam_answer", {"exam_id": exam.pk, "submission_id": submission.pk, "question_id": mc.pk,
                                     "correct": True, "answer": "gato", "duration_seconds": 750.5}, None),
        (learner.pk, "exam_answer", {"exam_id": exam.pk, "submission_id": submission.pk, "question_id": short.pk,
                                     "correct": True, "answer": "the cat"}, None),
    ]


@pytest.mark.parametrize(("started_at", "stored_start", "duration"), [
    ("2026-03-10T12:05:00Z", NOW, 0.0),  # a client clock ahead by the tolerance: the submission's instant
    ("2026-03-10T06:00:00Z", NOW - timedelta(hours=6), 21600.0),  # the longest a timed activity counts
])
def test_a_start_within_the_limits_is_accepted(exam, questions, learner, client_for, frozen_clock,
                                               started_at, stored_start, duration):
    response = _submit_started(client_for(learner), exam, questions, started_at)
    assert response.status_code == 201
    submission = Submission.objects.get()
    assert (submission.started_at, submission.duration_seconds, response.json()["duration_seconds"]) == (
        stored_start, duration, duration)


@pytest.mark.parametrize(("started_at", "message"), [
    ("2026-03-10T12:05:00.000001Z", "Must not be in the future: at most 300 seconds after the server's clock."),
    ("2026-03-10T05:59:59.999999Z", "Must be at most 21600 seconds before the submission."),
    ("yesterday", "Datetime has wrong format. Use one of these formats instead: "
                  "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."),
    ("2026-03-10T11:50:00", "Must include a time zone offset (e.g. Z or +02:00)."),
])
def test_a_bad_start_is_400_and_stores_nothing(exam, questions, learner, client_for, frozen_clock,
                                                started_at, message):
    response = _submit_started(client_for(learner), exam, questions, started_at)
    assert (response.status_code, response.json()) == (400, {"started_at": [message]})
    _assert_nothing_stored()


def test_the_longest_start_is_the_pipelines_setting(exam, questions, learner, client_for, frozen_clock, settings):
    settings.LEARNING_EVENTS_MAX_SESSION_SECONDS = 3600
    response = _submit_started(client_for(learner), exam, questions, "2026-03-10T10:59:59Z")
    assert (response.status_code, response.json()) == (
        400, {"started_at": ["Must be at most 3600 seconds before the submission."]})


def _assert_nothing_stored():
    assert not Submission.objects.exists()
    assert not SubmittedAnswer.objects.exists()
    assert not LearningEvent.objects.exists()


def test_missing_duplicate_and_foreign_answers_are_named(exam, questions, learner, client_for):
    mc, short = questions
    foreign = factories.QuestionFactory()
    response = client_for(learner).post(f"/api/v1/exams/{exam.pk}/submissions/", {"answers": [
        {"question_id": mc.pk, "answer": "gato"}, {"question_id": mc.pk, "answer": "casa"},
        {"question_id": foreign.pk, "answer": "gato"}, {"question_id": 999999, "answer": "x"},
    ]})
    assert response.status_code == 400
    assert response.json() == {"answers": [
        f"Missing answers to questions: {short.pk}.",
        f"Questions answered more than once: {mc.pk}.",
        f"Questions not in this exam: {foreign.pk}, 999999.",
    ]}
    _assert_nothing_stored()


def test_empty_answers_name_every_question(exam, questions, learner, client_for):
    response = client_for(learner).post(f"/api/v1/exams/{exam.pk}/submissions/", {"answers": []})
    assert response.status_code == 400
    assert response.json() == {"answers": [f"Missing answers to questions: {questions[0].pk}, {questions[1].pk}."]}
    _assert_nothing_stored()


def test_multiple_choice_answer_must_be_one_of_its_choices(exam, questions, learner, client_for):
    mc, short = questions
    response = client_for(learner).post(f"/api/v1/exams/{exam.pk}/submissions/", {"answers": [
        {"question_id": mc.pk, "answer": "Gato"}, {"question_id": short.pk, "answer": "the cat"}]})
    assert response.status_code == 400
    assert response.json() == {"answers": [f"Question {mc.pk}: 'Gato' is not one of its choices."]}
    _assert_nothing_stored()


def test_exam_without_questions_cannot_be_submitted(learner, client_for):
    exam = factories.ExamFactory()
    response = client_for(learner).post(f"/api/v1/exams/{exam.pk}/submissions/", {"answers": []})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This exam has no questions, so it cannot be submitted."]}
    _assert_nothing_stored()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"answers": ["This field is required."]}),
        ({"answers": "gato"}, {"answers": {"non_field_errors": ['Expected a list of items but got type "str".']}}),
        ({"answers": [{"question_id": "one", "answer": "gato"}]},
         {"answers": {"0": {"question_id": ["A valid integer is required."]}}}),
        ({"answers": [{"question_id": 1}]}, {"answers": {"0": {"answer": ["This field is required."]}}}),
        ({"answers": [{"question_id": 1, "answer": "x" * 201}]},
         {"answers": {"0": {"answer": ["Ensure this field has no more than 200 characters."]}}}),
        ({"classroom_id": "first", "answers": []}, {"classroom_id": ["A valid integer is required."]}),
    ],
)
def test_submission_with_a_bad_body_is_400(exam, learner, client_for, body, errors):
    response = client_for(learner).post(f"/api/v1/exams/{exam.pk}/submissions/", body)
    assert response.status_code == 400
    assert response.json() == errors
    _assert_nothing_stored()


def test_submitting_in_a_classroom_you_are_not_in_is_403(exam, questions, classroom, outsider, client_for):
    answers = [{"question_id": q.pk, "answer": q.correct_answer} for q in questions]
    response = client_for(outsider).post(f"/api/v1/exams/{exam.pk}/submissions/",
                                         {"classroom_id": classroom.pk, "answers": answers})
    assert response.status_code == 403
    assert response.json() == {"detail": "You are not a member of this classroom."}
    _assert_nothing_stored()


def test_submitting_in_an_unknown_classroom_is_404(exam, questions, learner, client_for):
    answers = [{"question_id": q.pk, "answer": q.correct_answer} for q in questions]
    response = client_for(learner).post(f"/api/v1/exams/{exam.pk}/submissions/",
                                        {"classroom_id": 999999, "answers": answers})
    assert response.status_code == 404
    assert response.json() == {"detail": "No Classroom matches the given query."}
    _assert_nothing_stored()


# --- list submissions -------------------------------------------------------------------------------


def _submit(client, exam, questions, answers):
    response = client.post(f"/api/v1/exams/{exam.pk}/submissions/", {
        "answers": [{"question_id": q.pk, "answer": a} for q, a in zip(questions, answers, strict=True)]})
    assert response.status_code == 201
    return response.json()


def test_learners_list_their_own_submissions_and_the_owner_lists_all(exam, questions, learner, outsider, client_for):
    mine = _submit(client_for(learner), exam, questions, ["gato", "the cat"])
    theirs = _submit(client_for(outsider), exam, questions, ["casa", "a cat"])
    url = f"/api/v1/exams/{exam.pk}/submissions/"
    assert client_for(learner).get(url).json()["results"] == [mine]
    assert client_for(outsider).get(url).json()["results"] == [theirs]
    assert client_for(exam.owner).get(url).json()["results"] == [theirs, mine]
    assert theirs["score"] == 0.0 and mine["score"] == 1.0


def test_other_teacher_lists_only_their_own_submissions(exam, questions, learner, other_teacher, client_for):
    _submit(client_for(learner), exam, questions, ["gato", "the cat"])
    response = client_for(other_teacher).get(f"/api/v1/exams/{exam.pk}/submissions/")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_ids_beyond_any_stored_one_are_404_or_named(exam, questions, learner, client_for):
    huge = 2**70
    client = client_for(learner)
    assert client.get(f"/api/v1/exams/{huge}/").status_code == 404
    answers = [{"question_id": q.pk, "answer": q.correct_answer} for q in questions]
    response = client.post(f"/api/v1/exams/{exam.pk}/submissions/", {"classroom_id": huge, "answers": answers})
    assert response.status_code == 404
    response = client.post(f"/api/v1/exams/{exam.pk}/submissions/",
                           {"answers": [*answers, {"question_id": huge, "answer": "x"}]})
    assert response.json() == {"answers": [f"Questions not in this exam: {huge}."]}
    _assert_nothing_stored()
