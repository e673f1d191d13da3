"""The whole API fuzzed against its own OpenAPI schema with schemathesis, in-process through the WSGI app.

Every operation is called with generated inputs, valid and invalid, as a teacher, a learner and a staff
member, over a small data set; every response must be no server error and must match the schema (status
code, content type, body). Bounded and derandomized, so it runs the same few cases every time.
"""

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from school import factories
from school.config.wsgi import application
from school.vocabulary import services as vocabulary_services

CONFIG = schemathesis.Config.from_dict({
    "seed": 7,
    "generation": {"max-examples": 12, "deterministic": True, "database": "none",
                   "with-security-parameters": False},
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
})
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)


@pytest.fixture(params=["teacher", "learner", "staff"])
def world(request, transactional_db):
    """A small school: a classroom with its teacher and a learner, material of every kind, a practice session
    of the caller; returns the caller's token and the ids that path parameters may point at."""
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
        "practice-sessions": str(session.uuid),
    }
    return {"token": Token.objects.create(user=caller).key, "ids": ids}


def point_at_existing(case, ids: dict) -> None:
    """Half the generated path ids (the even ones) are replaced by the id of a seeded object, so operations
    run past their 404 too; the rest stay as generated, mostly unknown ids."""
    resource = case.path.removeprefix("/api/v1/").split("/")[0]
    for name, value in case.path_parameters.items():
        if isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
            case.path_parameters[name] = ids[resource]
        elif isinstance(value, str) and is_uuid(value) and uuid.UUID(value).int % 2 == 0:
            case.path_parameters[name] = ids[resource]


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@schema.parametrize()
# The data set is made once per operation and role, not per example: examples may build on each other's writes.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_api_conforms_to_its_schema(case, world):
    point_at_existing(case, world["ids"])
    case.call_and_validate(headers={"Authorization": f"Token {world['token']}"}, checks=CHECKS)
