"""The OpenAPI schema: valid, its error responses documented everywhere, and every list paginated.

The lists are found by walking the schema and the URL resolver, never from a hand-kept list, so a new list
endpoint is checked the day it is added.
"""

import re

import jsonschema
import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.mixins import ListModelMixin
from rest_framework.pagination import LimitOffsetPagination

from school import factories
from school.api.pagination import MAX_PAGE_SIZE
from school.classrooms import services as classroom_services
from school.exams import services as exam_services

API = "/api/v1/"
PAGE_KEYS = {"count", "next", "previous", "results"}


@pytest.fixture(scope="module")
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(openapi: dict):
    """``(method, path, operation)`` of every operation of the schema."""
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def resolve(openapi: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def json_success_schema(openapi: dict, operation: dict) -> dict | None:
    content = operation["responses"].get("200", {}).get("content", {})
    return resolve(openapi, content["application/json"]["schema"]) if "application/json" in content else None


def is_paginated(openapi: dict, operation: dict) -> bool:
    schema = json_success_schema(openapi, operation)
    return schema is not None and set(schema.get("properties", {})) == PAGE_KEYS


# --- the schema ------------------------------------------------------------------------------------


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_error_components(openapi):
    schemas = openapi["components"]["schemas"]
    assert schemas["Error"] == {"type": "object", "description": "Why the request failed, in one sentence.",
                                "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
    assert schemas["ValidationError"]["additionalProperties"] == {"$ref": "#/components/schemas/FieldErrors"}


@pytest.mark.parametrize("body", [
    {"name": ["This field is required."]},
    {"non_field_errors": ["Set exactly one of: word_list, exam, content, game."]},
    {"questions": [{}, {"choices": ["Give at least 2 distinct options."]}]},  # a list of objects, per item
    {"word_ids": {"0": ["A valid integer is required."]}},  # a list of values, keyed by position
    {"detail": ["A model's own message."]},
])
def test_validation_error_describes_drf_field_errors(openapi, body):
    jsonschema.validate(body, component(openapi, "ValidationError"))


@pytest.mark.parametrize("body", [{"detail": "Not a list."}, {"name": "Not a list."}, ["a", "list"]])
def test_validation_error_is_not_anything(openapi, body):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, component(openapi, "ValidationError"))


def component(openapi: dict, name: str) -> dict:
    """The component ``name`` as a JSON Schema whose references resolve inside the OpenAPI document."""
    return {**openapi["components"]["schemas"][name], "components": openapi["components"]}


@pytest.mark.parametrize(("method", "path", "codes"), [
    ("GET", "/api/v1/me/", {"200", "401", "403", "503"}),
    ("GET", "/api/v1/words/", {"200", "400", "401", "403", "503"}),
    ("GET", "/api/v1/words/{id}/", {"200", "401", "403", "404", "503"}),
    ("POST", "/api/v1/words/", {"201", "400", "401", "403", "409", "413", "503"}),
    ("PATCH", "/api/v1/word-lists/{id}/", {"200", "400", "401", "403", "404", "409", "413", "503"}),
    ("POST", "/api/v1/practice-sessions/", {"201", "400", "401", "403", "404", "409", "413", "503"}),  # classroom_id
    ("POST", "/api/v1/practice-sessions/{session_id}/end/", {"200", "401", "403", "404", "409", "503"}),  # no body
    ("POST", "/api/v1/auth/token/", {"200", "400", "401", "409", "413", "429", "503"}),  # anyone may ask: no 403
    ("POST", "/api/v1/auth/logout/", {"204", "401", "403", "409", "503"}),
    ("POST", "/api/v1/auth/logout-all/", {"204", "401", "403", "409", "503"}),
    ("GET", "/api/v1/events/schema/", {"200", "503"}),  # public, unauthenticated
])
def test_operations_document_the_errors_they_can_answer(openapi, method, path, codes):
    assert set(openapi["paths"][path][method.lower()]["responses"]) == codes


def test_every_operation_declares_the_503_of_a_database_outage(openapi):
    """What any view answers when the database is out of reach (school/api/exceptions.py,
    school/background/tests/test_faults.py shows it): declared once per operation, with its Retry-After."""
    declared = {(method, path): operation["responses"].get("503") for method, path, operation in operations(openapi)}
    assert {("POST", "/api/v1/events/batch/"), ("GET", "/api/v1/exports/events/")} <= set(declared)
    assert {key: response for key, response in declared.items() if response != {
        "description": "The database is unavailable for a moment: send the same request again after Retry-After "
                       "seconds.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "headers": {"Retry-After": {"schema": {"type": "integer"},
                                    "description": "Seconds to wait before trying again."}},
    }} == {}


def test_every_operation_documents_its_errors(openapi):
    missing = []
    for method, path, operation in operations(openapi):
        responses, parameters = operation["responses"], operation.get("parameters", [])
        expected = set()
        if {} not in operation.get("security", [{}]):
            expected |= {"401", "403"}
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            expected.add("400")
        if any(p["in"] == "path" for p in parameters):
            expected.add("404")
        if method != "GET":
            expected.add("409")
        missing += [f"{method} {path} {code}" for code in sorted(expected - set(responses))]
    assert missing == []


def test_shared_error_responses_are_json(openapi):
    refs = {"#/components/schemas/Error", "#/components/schemas/ValidationError"}
    response = openapi["paths"]["/api/v1/words/{id}/"]["get"]["responses"]["404"]
    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    response = openapi["paths"]["/api/v1/words/"]["post"]["responses"]["400"]
    assert {s["$ref"] for s in response["content"]["application/json"]["schema"]["anyOf"]} == refs


# --- the docs pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_swagger_ui_loads_from_the_site_itself_with_no_inline_script(client):
    html = client.get("/api/schema/swagger/").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [attributes for attributes, body in scripts] == [
        ' src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"',
        ' src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js"',
        ' src="/api/schema/swagger/?script="',
    ]
    assert all(body.strip() == "" for attributes, body in scripts)
    start = client.get("/api/schema/swagger/?script=")
    assert start["Content-Type"] == "application/javascript"
    assert 'url: "/api/schema/",' in start.content.decode()


@pytest.mark.django_db
def test_the_redoc_url_now_shows_swagger_ui(client):
    response = client.get("/api/schema/redoc/?lang=en")
    assert (response.status_code, response["Location"]) == (302, "/api/schema/swagger/?lang=en")


@pytest.mark.django_db
def test_a_url_matching_no_api_route_is_a_json_404(client_for, outsider):
    response = client_for(outsider).get("/api/v1/words/not-a-number/")
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_413(client_for, teacher, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(teacher).post("/api/v1/words/", {"text": "x" * 2000, "translation": "y", "language": "es"})
    assert (response.status_code, response.json()) == (
        413, {"detail": "The request body is larger than the 1000 bytes accepted."})


@pytest.mark.django_db
def test_a_form_with_too_many_fields_is_400(client_for, teacher, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"field{i}=1" for i in range(11))
    response = client_for(teacher).post("/api/v1/words/", body, content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.json()) == (400, {"detail": "The request has too many fields."})


# --- pagination ------------------------------------------------------------------------------------


def test_no_operation_answers_a_bare_list(openapi):
    bare = [f"{method} {path}" for method, path, operation in operations(openapi)
            if (json_success_schema(openapi, operation) or {}).get("type") == "array"]
    assert bare == []


def test_paginated_operations_take_limit_and_offset(openapi):
    paginated = [(path, operation) for method, path, operation in operations(openapi)
                 if method == "GET" and is_paginated(openapi, operation)]
    assert len(paginated) >= 9  # the platform's lists, found by the walk
    assert [path for path, operation in paginated
            if not {"limit", "offset"} <= {p["name"] for p in operation.get("parameters", [])}] == []


def api_list_views():
    """``(route, view class)`` of every API view that lists a queryset, found by walking the URL resolver."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "view_class", None)
                if view_class is not None and issubclass(view_class, ListModelMixin):
                    yield prefix + str(pattern.pattern), view_class

    return [(route, view) for route, view in walk(get_resolver().url_patterns, "") if route.startswith("api/")]


def test_every_list_view_paginates_by_limit_and_offset():
    views = api_list_views()
    assert len(views) >= 9
    assert [route for route, view in views if not isinstance(view().paginator, LimitOffsetPagination)] == []


@pytest.fixture
def two_of_everything(teacher, classroom):
    """Two items in every list the teacher sees (and in a learner's own ``me/`` lists), so a page of one has a
    next page; ids by path segment, and the learner under ``me``."""
    learners = [factories.UserFactory(), factories.UserFactory()]
    for learner in learners:
        factories.MembershipFactory(classroom=classroom, student=learner)
    factories.ClassroomFactory(teacher=teacher)
    words = factories.WordFactory.create_batch(2)
    word_list = factories.WordListFactory(words=words)
    factories.WordListFactory()
    exam = factories.ExamFactory(owner=teacher)
    question = factories.QuestionFactory(exam=exam)
    factories.ExamFactory()
    for learner in learners:
        exam_services.submit_exam(learner=learner, exam=exam, answers=[{"question_id": question.pk, "answer": "gato"}])
    factories.ContentFactory.create_batch(2)
    factories.GameFactory.create_batch(2, word_list=word_list)
    for title in ("First", "Second"):
        classroom_services.create_assignment(classroom=classroom, title=title, word_list=word_list)
    return {"classrooms": classroom.pk, "exams": exam.pk, "me": learners[0]}


@pytest.mark.django_db
def test_every_paginated_list_pages(openapi, teacher, client_for, two_of_everything):
    checked = []
    for method, path, operation in operations(openapi):
        if method != "GET" or not is_paginated(openapi, operation):
            continue
        resource = path.removeprefix(API).split("/")[0]
        client = client_for(two_of_everything["me"] if resource == "me" else teacher)  # me/: the caller's own
        url = path.replace("{id}", str(two_of_everything.get(resource)))
        first = client.get(url, {"limit": 1}).json()
        second = client.get(url, {"limit": 1, "offset": 1}).json()
        assert set(first) == set(second) == PAGE_KEYS, url
        assert first["count"] >= 2, f"seed two items for {url}"
        assert (len(first["results"]), first["previous"], len(second["results"])) == (1, None, 1), url
        assert first["next"] is not None and second["previous"] is not None, url
        assert first["results"] != second["results"], url
        checked.append(path)
    assert len(checked) >= 9


@pytest.mark.django_db
def test_a_limit_over_the_ceiling_is_cut_to_it(teacher, client_for):
    factories.GameFactory.create_batch(2)
    for limit in (MAX_PAGE_SIZE + 1, 10**30):
        response = client_for(teacher).get("/api/v1/games/", {"limit": limit, "offset": 1})
        assert response.status_code == 200
        assert (response.json()["count"], len(response.json()["results"])) == (2, 1)
        assert f"limit={MAX_PAGE_SIZE}" in response.json()["previous"]
