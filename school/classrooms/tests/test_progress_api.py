"""The progress endpoints: ``GET classrooms/{id}/assignments/progress/`` for the classroom's teacher and staff,
``GET me/assignments/`` for the signed-in learner's own; whole answers, refusals with their messages."""

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone
from learning_events import services

from school import factories
from school.classrooms.models import Assignment, Membership

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 11 March, 01:00 in Tokyo
SET_AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def school(classroom, learner):
    """Two learners with the same display name (one in Tokyo), a word list of two words and a story assigned;
    the learner answered one word and read the story; the Tokyo learner did nothing."""
    words = factories.WordFactory.create_batch(2)
    word_list = factories.WordListFactory(words=words)
    story = factories.ContentFactory()
    namesake = factories.UserFactory(username="namesake")
    factories.MembershipFactory(classroom=classroom, student=namesake)
    for user, time_zone in ((learner, "UTC"), (namesake, "Asia/Tokyo")):
        user.learner_profile.display_name, user.learner_profile.time_zone = "Ana Lima", time_zone
        user.learner_profile.save()
    words_due = Assignment.objects.create(classroom=classroom, title="Words", word_list=word_list,
                                          due_date=date(2026, 3, 10))
    reading = Assignment.objects.create(classroom=classroom, title="Read", content=story)
    Assignment.objects.filter(pk__in=[words_due.pk, reading.pk]).update(created_at=SET_AT)
    services.log_word_practice(learner, words[0].pk, True, classroom, occurred_at=datetime(2026, 3, 6, 8, tzinfo=UTC))
    services.log_event(learner, "content_complete", {"content_id": story.pk, "content_type": "story"}, classroom,
                       occurred_at=datetime(2026, 3, 7, 8, tzinfo=UTC))
    return {"words": words_due, "reading": reading, "word_list": word_list, "story": story, "namesake": namesake}


def assignment_json(assignment: Assignment, **target) -> dict:
    return {"id": assignment.pk, "classroom": assignment.classroom_id, "title": assignment.title,
            "due_date": assignment.due_date and assignment.due_date.isoformat(), "kind": assignment.kind,
            "word_list": None, "exam": None, "content": None, "game": None, **target,
            "created_at": "2026-03-05T09:00:00Z"}


def test_the_teacher_reads_every_learner_of_every_assignment(client_for, teacher, classroom, learner, school):
    response = client_for(teacher).get(f"/api/v1/classrooms/{classroom.pk}/assignments/progress/")
    namesake = school["namesake"]
    me_row = {"learner_id": learner.pk, "username": learner.username, "display_name": "Ana Lima",
              "name": f"Ana Lima ({learner.username})"}
    namesake_row = {"learner_id": namesake.pk, "username": "namesake", "display_name": "Ana Lima",
                    "name": "Ana Lima (namesake)"}
    assert (response.status_code, response.json()) == (200, {"count": 2, "next": None, "previous": None, "results": [
        {"assignment": assignment_json(school["words"], word_list=school["word_list"].pk),
         "counts": {"not_started": 1, "in_progress": 1, "done": 0}, "overdue": 1,
         "learners": [  # the same display name: ordered, and told apart, by username
             {**namesake_row, "status": "not_started", "started_at": None, "done_at": None, "overdue": True,
              "words_answered": 0, "words_total": 2},
             {**me_row, "status": "in_progress", "started_at": "2026-03-06T08:00:00Z", "done_at": None,
              "overdue": False, "words_answered": 1, "words_total": 2},
         ]},
        {"assignment": assignment_json(school["reading"], content=school["story"].pk),
         "counts": {"not_started": 1, "in_progress": 0, "done": 1}, "overdue": 0,
         "learners": [
             {**namesake_row, "status": "not_started", "started_at": None, "done_at": None, "overdue": False,
              "words_answered": None, "words_total": None},
             {**me_row, "status": "done", "started_at": "2026-03-07T08:00:00Z", "done_at": "2026-03-07T08:00:00Z",
              "overdue": False, "words_answered": None, "words_total": None},
         ]},
    ]})


def test_the_progress_is_paged_by_assignment(client_for, teacher, classroom, school):
    response = client_for(teacher).get(f"/api/v1/classrooms/{classroom.pk}/assignments/progress/",
                                       {"limit": 1, "offset": 1})
    body = response.json()
    assert (response.status_code, body["count"], [r["assignment"]["id"] for r in body["results"]]) == (
        200, 2, [school["reading"].pk])


def test_staff_read_any_classrooms_progress(client_for, classroom, school):
    response = client_for(factories.UserFactory(is_staff=True)).get(
        f"/api/v1/classrooms/{classroom.pk}/assignments/progress/")
    assert (response.status_code, response.json()["count"]) == (200, 2)


@pytest.mark.parametrize(("who", "path", "status", "detail"), [
    ("learner", "/api/v1/classrooms/{classroom}/assignments/progress/", 403,
     "Only this classroom's teacher can do this."),
    ("other_teacher", "/api/v1/classrooms/{classroom}/assignments/progress/", 403,
     "Only this classroom's teacher can do this."),
    ("teacher", "/api/v1/classrooms/999999/assignments/progress/", 404, "No Classroom matches the given query."),
    ("anonymous", "/api/v1/classrooms/{classroom}/assignments/progress/", 401,
     "Authentication credentials were not provided."),
    ("anonymous", "/api/v1/me/assignments/", 401, "Authentication credentials were not provided."),
])
def test_refusals(client_for, teacher, other_teacher, classroom, learner, school, who, path, status, detail):
    user = {"learner": learner, "teacher": teacher, "other_teacher": other_teacher, "anonymous": None}[who]
    response = client_for(user).get(path.format(classroom=classroom.pk))
    assert (response.status_code, response.json()) == (status, {"detail": detail})


def test_a_learner_reads_their_own_assignments(client_for, classroom, learner, school):
    response = client_for(learner).get("/api/v1/me/assignments/")
    assert (response.status_code, response.json()) == (200, {"count": 2, "next": None, "previous": None, "results": [
        {"assignment": assignment_json(school["words"], word_list=school["word_list"].pk),
         "classroom_name": classroom.name,
         "progress": {"status": "in_progress", "started_at": "2026-03-06T08:00:00Z", "done_at": None,
                      "overdue": False, "words_answered": 1, "words_total": 2}},
        {"assignment": assignment_json(school["reading"], content=school["story"].pk),
         "classroom_name": classroom.name,
         "progress": {"status": "done", "started_at": "2026-03-07T08:00:00Z", "done_at": "2026-03-07T08:00:00Z",
                      "overdue": False, "words_answered": None, "words_total": None}},
    ]})


def test_learners_see_only_their_own_progress(client_for, classroom, school):
    """The namesake in Tokyo: nothing done, the word list overdue there (already 11 March), none of the
    learner's progress."""
    response = client_for(school["namesake"]).get("/api/v1/me/assignments/")
    assert [(r["assignment"]["id"], r["progress"]["status"], r["progress"]["overdue"])
            for r in response.json()["results"]] == [
        (school["words"].pk, "not_started", True), (school["reading"].pk, "not_started", False)]


def test_someone_in_no_classroom_has_no_assignments(client_for, teacher, learner, school):
    Membership.objects.filter(student=learner).delete()  # the learner left
    for user in (teacher, learner):
        response = client_for(user).get("/api/v1/me/assignments/")
        assert (response.status_code, response.json()) == (
            200, {"count": 0, "next": None, "previous": None, "results": []})
