"""The whole API fuzzed against its own OpenAPI schema with schemathesis, in-process through the WSGI app.

Every operation is called with generated inputs, valid and invalid, as a teacher, a learner and a staff
member, over a small data set; every response must be no server error and must match the schema (status
code, content type, body). Bounded and derandomized, so it runs the same few cases every time.
"""

import uuid

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from school import factories
from school.accounts.services import issue_token
from school.config.wsgi import application
from school.vocabulary import services as vocabulary_services

CONFIG = schemathesis.Config.from_dict({
    "seed": 7,
    "generation": {"max-examples": 12, "deterministic": True, "database": "none",
                   "with-security-parameters": False},
    "phases": {"stateful": {"enabled": False}},
})
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Body fields that hold the id of a resource, by the resource's path segment.
BODY_IDS = {"classroom_id": "classrooms", "classroom": "classrooms", "word_list_id": "word-lists",
            "word_list": "word-lists", "word_id": "words", "exam": "exams", "content": "contents", "game": "games"}

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)


@pytest.fixture(params=["teacher", "learner", "staff"])
def world(request, transactional_db):
    """A small school: a classroom with its teacher and a learner, material of every kind, a practice session
    of the caller; returns the caller's token and the ids that generated ids may be pointed at."""
    teacher = factories.TeacherFactory()
    learner = factories.UserFactory()
    classroom = factories.ClassroomFactory(teacher=teacher)
    factories.MembershipFactory(classroom=classroom, student=learner)
    caller = {"teacher": teacher, "learner": learner, "staff": factories.UserFactory(is_staff=True)}[request.param]
    words = factories.WordFactory.create_batch(3)
    word_list = factories.WordListFactory(owner=teacher, words=words)
    exam = factories.ExamFactory(owner=teacher)
    factories.QuestionFactory.create_batch(2, exam=exam)
    session = vocabulary_services.start_practice(learner=caller, word_list=word_list, classroom=None)
    ids = {
        "classrooms": classroom.pk, "word-lists": word_list.pk, "words": words[0].pk, "exams": exam.pk,
        "contents": factories.ContentFactory().pk, "games": factories.GameFactory(word_list=word_list).pk,
        "practice-sessions": str(session.uuid), "word_ids": [word.pk for word in words], "learners": learner.pk,
    }
    return {"token": issue_token(user=caller)[0], "ids": ids}


def point_at_existing(case, ids: dict) -> None:
    """Half the generated ids, in the path and in a body's id fields, are replaced by the id of a seeded object,
    so operations run past their 404s and unknown-id 400s too; the other half stay as generated."""
    resource = case.path.removeprefix("/api/v1/").split("/")[0]
    for name, value in case.path_parameters.items():
        if is_replaced(value):
            case.path_parameters[name] = ids[resource]
    if not isinstance(case.body, dict):
        return
    for name, value in case.body.items():
        if name in BODY_IDS and is_replaced(value):
            case.body[name] = ids[BODY_IDS[name]]
        elif name == "word_ids" and isinstance(value, list):
            seeded = ids["word_ids"]
            case.body[name] = [seeded[i % len(seeded)] if is_replaced(v) else v for i, v in enumerate(value)]


def is_replaced(value) -> bool:
    """Whether a generated id is in the replaced half: even integers (sent as numbers or as text), and UUIDs
    whose value is even. Deterministic, so a failing case replays the same."""
    text = str(value)
    if not isinstance(value, bool) and text.isascii() and text.isdigit():
        return int(text) % 2 == 0
    try:
        return uuid.UUID(text).int % 2 == 0
    except ValueError:
        return False


@schema.parametrize()
# The data set is made once per operation and role, not per example: examples may build on each other's writes.
@hypothesis.settings(deadline=None, suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture,
                                                          hypothesis.HealthCheck.too_slow])
def test_api_conforms_to_its_schema(case, world):
    point_at_existing(case, world["ids"])
    case.call_and_validate(headers={"Authorization": f"Token {world['token']}"}, checks=CHECKS)
