"""Who may do what: every API operation and dashboard page, as each kind of person, with its exact status.

The table below lists every route under ``/api/v1/`` and ``/dashboard/`` with each HTTP method its view
allows; ``test_the_table_covers_every_route`` walks Django's URL resolver and fails when a route or a
method is missing from the table (a new endpoint must say who may call it) or when the table names one
that no longer exists.

The people: ``learner`` belongs to the classroom, as does ``classmate``; ``stranger`` is a learner of
another classroom, taught by ``other_teacher``; ``teacher`` teaches the classroom and owns its material;
``staff`` is a staff member. Objects addressed are the classroom, the learner and their practice session,
and the teacher's word list, exam, story and game. Each person's call runs in a savepoint rolled back
afterwards, so every call meets the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from school import factories
from school.vocabulary import services as vocabulary_services

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "learner", "classmate", "stranger", "teacher", "other_teacher", "staff")


def expect(anonymous, learner, classmate, stranger, teacher, other_teacher, staff) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, learner, classmate, stranger, teacher, other_teacher, staff)))


EVERYONE_SIGNED_IN = expect(401, 200, 200, 200, 200, 200, 200)
TEACHERS_CREATE = expect(401, 403, 403, 403, 201, 201, 201)  # teachers and staff add shared material
MEMBERS_OF_THE_CLASSROOM_ACT = expect(401, 201, 201, 403, 403, 403, 403)  # in the classroom: its learners only
CLASSROOM_TEACHER_READS = expect(401, 403, 403, 403, 200, 403, 200)
CLASSROOM_PEOPLE_READ = expect(401, 200, 200, 403, 200, 403, 200)
OWN_SESSION_ONLY = expect(401, 200, 404, 404, 404, 404, 404)  # someone else's session is not revealed
STAFF_ONLY = expect(401, 403, 403, 403, 403, 403, 200)
LEARNER_AND_TEACHER = expect(401, 200, 403, 403, 200, 403, 200)
PAGE_LOGIN = "/accounts/login/?next="


@dataclass(frozen=True)
class Call:
    """One operation: its path (formatted with the world's ids), its JSON body, and who gets what."""

    path: str
    statuses: dict[str, int]
    body: Callable[[dict[str, Any]], dict] | None = None


MATRIX: dict[tuple[str, str], Call] = {
    # --- accounts
    ("api/v1/auth/token/", "POST"): Call(
        "/api/v1/auth/token/", expect(200, 200, 200, 200, 200, 200, 200),
        lambda w: {"username": w["learner"].username, "password": factories.PASSWORD}),
    ("api/v1/auth/logout/", "POST"): Call("/api/v1/auth/logout/", expect(401, 204, 204, 204, 204, 204, 204)),
    ("api/v1/auth/logout-all/", "POST"): Call("/api/v1/auth/logout-all/", expect(401, 204, 204, 204, 204, 204, 204)),
    ("api/v1/me/", "GET"): Call("/api/v1/me/", EVERYONE_SIGNED_IN),
    # --- classrooms
    ("api/v1/classrooms/", "GET"): Call("/api/v1/classrooms/", EVERYONE_SIGNED_IN),
    ("api/v1/classrooms/", "POST"): Call("/api/v1/classrooms/", TEACHERS_CREATE,
                                         lambda w: {"name": "New", "language": "es"}),
    ("api/v1/classrooms/join/", "POST"): Call(
        "/api/v1/classrooms/join/", expect(401, 201, 201, 201, 400, 201, 201),  # its teacher does not join it
        lambda w: {"join_code": w["classroom"].join_code}),
    ("api/v1/classrooms/<int:pk>/", "GET"): Call("/api/v1/classrooms/{classroom}/", CLASSROOM_PEOPLE_READ),
    ("api/v1/classrooms/<int:pk>/", "PATCH"): Call("/api/v1/classrooms/{classroom}/", CLASSROOM_TEACHER_READS,
                                                   lambda w: {"name": "Renamed"}),
    ("api/v1/classrooms/<int:pk>/members/", "GET"): Call("/api/v1/classrooms/{classroom}/members/",
                                                         CLASSROOM_TEACHER_READS),
    ("api/v1/classrooms/<int:pk>/assignments/", "GET"): Call("/api/v1/classrooms/{classroom}/assignments/",
                                                             CLASSROOM_PEOPLE_READ),
    ("api/v1/classrooms/<int:pk>/assignments/progress/", "GET"): Call(
        "/api/v1/classrooms/{classroom}/assignments/progress/", CLASSROOM_TEACHER_READS),
    ("api/v1/me/assignments/", "GET"): Call("/api/v1/me/assignments/", EVERYONE_SIGNED_IN),  # the caller's own
    ("api/v1/classrooms/<int:pk>/assignments/", "POST"): Call(
        "/api/v1/classrooms/{classroom}/assignments/", expect(401, 403, 403, 403, 201, 403, 201),
        lambda w: {"title": "Homework", "word_list": w["word_list"].pk}),
    # --- vocabulary
    ("api/v1/words/", "GET"): Call("/api/v1/words/", EVERYONE_SIGNED_IN),
    ("api/v1/words/", "POST"): Call("/api/v1/words/", TEACHERS_CREATE,
                                    lambda w: {"text": "gato", "translation": "cat", "language": "es"}),
    ("api/v1/words/<int:pk>/", "GET"): Call("/api/v1/words/{word}/", EVERYONE_SIGNED_IN),
    ("api/v1/word-lists/", "GET"): Call("/api/v1/word-lists/", EVERYONE_SIGNED_IN),
    ("api/v1/word-lists/", "POST"): Call("/api/v1/word-lists/", TEACHERS_CREATE,
                                         lambda w: {"name": "Animals", "language": "es"}),
    ("api/v1/word-lists/<int:pk>/", "GET"): Call("/api/v1/word-lists/{word_list}/", EVERYONE_SIGNED_IN),
    ("api/v1/word-lists/<int:pk>/", "PATCH"): Call(  # its owner, the teacher
        "/api/v1/word-lists/{word_list}/", expect(401, 403, 403, 403, 200, 403, 200), lambda w: {"name": "Renamed"}),
    ("api/v1/word-lists/<int:pk>/words/", "POST"): Call(
        "/api/v1/word-lists/{word_list}/words/", expect(401, 403, 403, 403, 200, 403, 200),
        lambda w: {"word_ids": [w["spare_word"].pk]}),
    ("api/v1/practice-sessions/", "POST"): Call(
        "/api/v1/practice-sessions/", MEMBERS_OF_THE_CLASSROOM_ACT,
        lambda w: {"word_list_id": w["word_list"].pk, "classroom_id": w["classroom"].pk}),
    ("api/v1/practice-sessions/<uuid:session_id>/", "GET"): Call("/api/v1/practice-sessions/{session}/",
                                                                 OWN_SESSION_ONLY),
    ("api/v1/practice-sessions/<uuid:session_id>/answers/", "POST"): Call(
        "/api/v1/practice-sessions/{session}/answers/", expect(401, 201, 404, 404, 404, 404, 404),
        lambda w: {"word_id": w["word"].pk, "answer": "cat"}),
    ("api/v1/practice-sessions/<uuid:session_id>/end/", "POST"): Call("/api/v1/practice-sessions/{session}/end/",
                                                                      OWN_SESSION_ONLY),
    # --- exams
    ("api/v1/exams/", "GET"): Call("/api/v1/exams/", EVERYONE_SIGNED_IN),
    ("api/v1/exams/", "POST"): Call("/api/v1/exams/", TEACHERS_CREATE, lambda w: {
        "title": "Quiz", "language": "es",
        "questions": [{"kind": "short_text", "prompt": "Cat?", "correct_answer": "gato"}]}),
    ("api/v1/exams/<int:pk>/", "GET"): Call("/api/v1/exams/{exam}/", EVERYONE_SIGNED_IN),
    ("api/v1/exams/<int:pk>/submissions/", "GET"): Call("/api/v1/exams/{exam}/submissions/", EVERYONE_SIGNED_IN),
    ("api/v1/exams/<int:pk>/submissions/", "POST"): Call(
        "/api/v1/exams/{exam}/submissions/", MEMBERS_OF_THE_CLASSROOM_ACT,
        lambda w: {"classroom_id": w["classroom"].pk, "answers": [{"question_id": w["question"].pk, "answer": "gato"}]}),
    # --- reading
    ("api/v1/contents/", "GET"): Call("/api/v1/contents/", EVERYONE_SIGNED_IN),
    ("api/v1/contents/", "POST"): Call("/api/v1/contents/", TEACHERS_CREATE, lambda w: {
        "kind": "story", "title": "Un gato", "language": "es", "level": "A1", "body": "Había una vez."}),
    ("api/v1/contents/<int:pk>/", "GET"): Call("/api/v1/contents/{content}/", EVERYONE_SIGNED_IN),
    ("api/v1/contents/<int:pk>/view/", "POST"): Call("/api/v1/contents/{content}/view/", MEMBERS_OF_THE_CLASSROOM_ACT,
                                                     lambda w: {"classroom_id": w["classroom"].pk}),
    ("api/v1/contents/<int:pk>/complete/", "POST"): Call(
        "/api/v1/contents/{content}/complete/", MEMBERS_OF_THE_CLASSROOM_ACT,
        lambda w: {"classroom_id": w["classroom"].pk, "duration_seconds": 60}),
    # --- games
    ("api/v1/games/", "GET"): Call("/api/v1/games/", EVERYONE_SIGNED_IN),
    ("api/v1/games/", "POST"): Call("/api/v1/games/", TEACHERS_CREATE,
                                    lambda w: {"title": "Match", "kind": "matching", "word_list": w["word_list"].pk}),
    ("api/v1/games/<int:pk>/", "GET"): Call("/api/v1/games/{game}/", EVERYONE_SIGNED_IN),
    ("api/v1/games/<int:pk>/completions/", "POST"): Call(
        "/api/v1/games/{game}/completions/", MEMBERS_OF_THE_CLASSROOM_ACT,
        lambda w: {"classroom_id": w["classroom"].pk, "score": 3, "duration_seconds": 30}),
    # --- the pipeline: capture, statistics, insights, exports
    ("api/v1/events/batch/", "POST"): Call("/api/v1/events/batch/", EVERYONE_SIGNED_IN, lambda w: {
        "events": [{"event_type": "content_view", "context": {"content_id": w["content"].pk, "content_type": "story"}}]}),
    ("api/v1/events/schema/", "GET"): Call("/api/v1/events/schema/", expect(200, 200, 200, 200, 200, 200, 200)),
    ("api/v1/exports/events/", "GET"): Call("/api/v1/exports/events/", STAFF_ONLY),
    ("api/v1/exports/traces/", "GET"): Call("/api/v1/exports/traces/", STAFF_ONLY),
    ("api/v1/me/stats/", "GET"): Call("/api/v1/me/stats/", EVERYONE_SIGNED_IN),  # always the caller's own
    ("api/v1/classrooms/<int:classroom_id>/stats/", "GET"): Call("/api/v1/classrooms/{classroom}/stats/",
                                                                 CLASSROOM_TEACHER_READS),
    ("api/v1/classrooms/<int:classroom_id>/words/", "GET"): Call("/api/v1/classrooms/{classroom}/words/",
                                                                 CLASSROOM_TEACHER_READS),
    ("api/v1/classrooms/<int:classroom_id>/insights/", "GET"): Call("/api/v1/classrooms/{classroom}/insights/",
                                                                    CLASSROOM_TEACHER_READS),
    # --- the memory model
    ("api/v1/me/reviews/", "GET"): Call("/api/v1/me/reviews/", EVERYONE_SIGNED_IN),  # always the caller's own
    ("api/v1/classrooms/<int:classroom_id>/retention/", "GET"): Call("/api/v1/classrooms/{classroom}/retention/",
                                                                     CLASSROOM_TEACHER_READS),
    ("api/v1/learners/<int:learner_id>/insights/", "GET"): Call("/api/v1/learners/{learner}/insights/",
                                                                LEARNER_AND_TEACHER),
    # --- dashboards (pages: a login redirect for anonymous people, Django's 403 page)
    ("dashboard/", "GET"): Call("/dashboard/", expect(302, 302, 302, 302, 200, 200, 200)),  # learners: their page
    ("dashboard/classrooms/<int:classroom_id>/", "GET"): Call("/dashboard/classrooms/{classroom}/",
                                                              expect(302, 403, 403, 403, 200, 403, 200)),
    ("dashboard/learners/<int:learner_id>/", "GET"): Call("/dashboard/learners/{learner}/",
                                                          expect(302, 200, 403, 403, 200, 403, 200)),
}


def routes() -> set[tuple[str, str]]:
    """Every (route, method) under /api/v1/ and /dashboard/ that the URL resolver serves."""
    found = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
                continue
            assert isinstance(pattern, URLPattern)
            route = prefix + str(pattern.pattern)
            if route.startswith(("api/v1/", "dashboard/")):
                found.update((route, method) for method in methods_of(pattern.callback))

    walk(get_resolver().url_patterns, "")
    return found


def methods_of(callback) -> list[str]:
    """The methods a view answers (other than HEAD and OPTIONS): a class-based view's handlers that its
    ``http_method_names`` allow; a function view (the dashboards' pages) answers GET."""
    view_class = getattr(callback, "view_class", None)
    if view_class is None:
        return ["GET"]
    return [name.upper() for name in view_class.http_method_names
            if name not in ("head", "options") and hasattr(view_class, name)]


def test_the_table_covers_every_route():
    served, listed = routes(), set(MATRIX)
    assert {"missing from the table": sorted(served - listed), "no longer served": sorted(listed - served)} == {
        "missing from the table": [], "no longer served": []}


@pytest.fixture
def world(db) -> dict[str, Any]:
    teacher, other_teacher = factories.TeacherFactory(), factories.TeacherFactory()
    classroom = factories.ClassroomFactory(teacher=teacher)
    other_classroom = factories.ClassroomFactory(teacher=other_teacher)
    learner, classmate, stranger = factories.UserFactory(), factories.UserFactory(), factories.UserFactory()
    factories.MembershipFactory(classroom=classroom, student=learner)
    factories.MembershipFactory(classroom=classroom, student=classmate)
    factories.MembershipFactory(classroom=other_classroom, student=stranger)
    word = factories.WordFactory(translation="cat")
    word_list = factories.WordListFactory(owner=teacher, words=[word])
    exam = factories.ExamFactory(owner=teacher)
    question = factories.QuestionFactory(exam=exam, kind="short_text", choices=[], correct_answer="gato")
    session = vocabulary_services.start_practice(learner=learner, word_list=word_list, classroom=classroom)
    return {
        "anonymous": None, "learner": learner, "classmate": classmate, "stranger": stranger, "teacher": teacher,
        "other_teacher": other_teacher, "staff": factories.UserFactory(is_staff=True),
        "classroom": classroom, "word": word, "spare_word": factories.WordFactory(), "word_list": word_list,
        "exam": exam, "question": question, "session": session, "content": factories.ContentFactory(),
        "game": factories.GameFactory(word_list=word_list),
    }


def ids(world: dict[str, Any]) -> dict[str, Any]:
    return {"classroom": world["classroom"].pk, "learner": world["learner"].pk, "session": world["session"].uuid,
            "word": world["word"].pk, "word_list": world["word_list"].pk, "exam": world["exam"].pk,
            "content": world["content"].pk, "game": world["game"].pk}


def status_of(world, client_for, role: str, method: str, call: Call) -> int:
    """The status ``role`` gets, in a savepoint rolled back afterwards."""
    path = call.path.format(**ids(world))
    person = world[role]
    if path.startswith("/dashboard/"):
        client = Client()
        if person is not None:
            client.force_login(person)
    else:
        client = client_for(person)
    with transaction.atomic():
        if call.body is None:
            response = client.generic(method, path)
        else:
            response = getattr(client, method.lower())(path, call.body(world), content_type="application/json")
        transaction.set_rollback(True)
    if response.status_code == 302:
        # Where a redirect goes is part of the answer: the login page, or a learner's own page.
        assert response["Location"] == (PAGE_LOGIN + path if person is None else f"/dashboard/learners/{person.pk}/")
    return response.status_code


@pytest.mark.parametrize(("route", "method"), sorted(MATRIX), ids=[f"{m} {r}" for r, m in sorted(MATRIX)])
def test_who_gets_what(world, client_for, route, method):
    call = MATRIX[(route, method)]
    assert {role: status_of(world, client_for, role, method, call) for role in ROLES} == call.statuses
