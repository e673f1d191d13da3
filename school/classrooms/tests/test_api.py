import datetime

import pytest

from school import factories
from school.classrooms.models import Membership

pytestmark = pytest.mark.django_db


def test_teacher_creates_a_classroom_and_sees_its_join_code(teacher, client_for):
    response = client_for(teacher).post("/api/v1/classrooms/", {"name": "Spanish 1", "language": "es"})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Spanish 1" and body["teacher"] == teacher.username
    assert len(body["join_code"]) == 8


def test_learner_cannot_create_a_classroom(outsider, client_for):
    response = client_for(outsider).post("/api/v1/classrooms/", {"name": "Mine"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only teachers can create classrooms."}


def test_create_classroom_without_name_is_400(teacher, client_for):
    response = client_for(teacher).post("/api/v1/classrooms/", {})
    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}


def test_anonymous_is_401(client_for):
    assert client_for().get("/api/v1/classrooms/").status_code == 401


def test_learner_joins_by_code_case_insensitively_and_twice_is_harmless(classroom, outsider, client_for):
    client = client_for(outsider)
    first = client.post("/api/v1/classrooms/join/", {"join_code": classroom.join_code.lower()})
    second = client.post("/api/v1/classrooms/join/", {"join_code": classroom.join_code})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert list(Membership.objects.filter(student=outsider).values_list("classroom_id", flat=True)) == [classroom.pk]


def test_join_with_unknown_code_is_400(outsider, client_for):
    response = client_for(outsider).post("/api/v1/classrooms/join/", {"join_code": "NOPE2345"})
    assert response.status_code == 400
    assert response.json() == {"join_code": ["No classroom has this join code."]}


def test_learner_lists_only_their_classrooms_without_join_codes(classroom, learner, client_for):
    factories.ClassroomFactory()  # someone else's
    response = client_for(learner).get("/api/v1/classrooms/")
    assert response.status_code == 200
    assert [(c["id"], c["join_code"]) for c in response.json()["results"]] == [(classroom.pk, None)]


def test_classroom_detail_unknown_is_404_and_foreign_is_403(classroom, outsider, client_for):
    client = client_for(outsider)
    assert client.get("/api/v1/classrooms/999999/").status_code == 404
    response = client.get(f"/api/v1/classrooms/{classroom.pk}/")
    assert response.status_code == 403
    assert response.json() == {"detail": "You are not a member of this classroom."}


def test_only_the_teacher_renames(classroom, learner, other_teacher, client_for):
    url = f"/api/v1/classrooms/{classroom.pk}/"
    assert client_for(learner).patch(url, {"name": "X"}).status_code == 403
    assert client_for(other_teacher).patch(url, {"name": "X"}).status_code == 403
    response = client_for(classroom.teacher).patch(url, {"name": "Spanish 2"})
    assert response.status_code == 200 and response.json()["name"] == "Spanish 2"


def test_members_list_for_teacher_only(classroom, learner, other_teacher, client_for):
    url = f"/api/v1/classrooms/{classroom.pk}/members/"
    response = client_for(classroom.teacher).get(url)
    assert response.status_code == 200
    assert [m["student_id"] for m in response.json()["results"]] == [learner.pk]
    assert client_for(other_teacher).get(url).status_code == 403
    assert client_for(learner).get(url).status_code == 403


def test_teacher_assigns_a_word_list_and_members_see_it(classroom, learner, client_for):
    word_list = factories.WordListFactory()
    url = f"/api/v1/classrooms/{classroom.pk}/assignments/"
    response = client_for(classroom.teacher).post(
        url, {"title": "Animals", "due_date": "2026-12-01", "word_list": word_list.pk})
    assert response.status_code == 201
    assert response.json()["kind"] == "word_list"
    listed = client_for(learner).get(url).json()["results"]
    assert [(a["title"], a["due_date"], a["word_list"]) for a in listed] == [
        ("Animals", datetime.date(2026, 12, 1).isoformat(), word_list.pk)]


def test_assignment_needs_exactly_one_target(classroom, client_for):
    url = f"/api/v1/classrooms/{classroom.pk}/assignments/"
    exam = factories.ExamFactory()
    game = factories.GameFactory()
    for body in ({"title": "None"}, {"title": "Two", "exam": exam.pk, "game": game.pk}):
        response = client_for(classroom.teacher).post(url, body)
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Set exactly one of: word_list, exam, content, game."]}


def test_assignment_with_unknown_target_is_400(classroom, client_for):
    response = client_for(classroom.teacher).post(
        f"/api/v1/classrooms/{classroom.pk}/assignments/", {"title": "X", "exam": 999999})
    assert response.status_code == 400
    assert "exam" in response.json()


def test_learner_cannot_assign(classroom, learner, client_for):
    word_list = factories.WordListFactory()
    response = client_for(learner).post(
        f"/api/v1/classrooms/{classroom.pk}/assignments/", {"title": "X", "word_list": word_list.pk})
    assert response.status_code == 403
