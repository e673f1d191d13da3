"""HTTP downloads of the exports: staff only, streamed, the same bytes as the commands, 400 on bad input."""

import datetime
import json

import pytest

from learning_events import exports, services, xapi
from tests.clients import client_for

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
EVENTS, TRACES = "/api/v1/exports/events/", "/api/v1/exports/traces/"


@pytest.fixture
def staff_api(make_user):
    return client_for(make_user(is_staff=True))


@pytest.fixture
def history(user, room):
    services.log_word_practice(user, 7, False, room, occurred_at=T0)
    services.log_word_practice(user, 7, True, occurred_at=T0 + datetime.timedelta(days=1))
    services.log_event(user, "content_view", {"content_id": 1, "content_type": "story"}, room,
                       occurred_at=T0 + datetime.timedelta(days=1))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("url", [EVENTS, TRACES])
def test_anonymous_users_must_sign_in(url):
    response = client_for().get(url)
    assert (response.status_code, response.json()) == (401, {"detail": "Authentication credentials were not provided."})


@pytest.mark.parametrize("url", [EVENTS, TRACES])
def test_learners_may_not_download_exports(api, url, history):
    response = api.get(url)
    assert (response.status_code, response.json()) == (403, {"detail": "Only staff can download exports."})


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("jsonl", "application/x-ndjson; charset=utf-8"), ("csv", "text/csv; charset=utf-8"),
     ("parquet", "application/vnd.apache.parquet")],
)
def test_staff_download_the_event_export_streamed(staff_api, history, room, fmt, content_type):
    response = staff_api.get(EVENTS, {"format": fmt, "since": "2026-03-02", "until": "2026-03-03",
                                      "classroom": room.pk, "types": "word_incorrect,content_view"})
    filters = exports.ExportFilters(since=datetime.date(2026, 3, 2), until=datetime.date(2026, 3, 3),
                                    classroom_id=room.pk, event_types=("word_incorrect", "content_view"))
    assert (response.status_code, response.streaming, response["Content-Type"]) == (200, True, content_type)
    assert response["Content-Disposition"] == f'attachment; filename="learning-events_2026-03-02_2026-03-03.{fmt}"'
    assert response["Cache-Control"] == "no-store"
    assert body(response) == b"".join(exports.render(exports.events_export(filters), fmt))


def test_staff_download_traces_as_json_lines_by_default(staff_api, history):
    response = staff_api.get(TRACES, {"since": "2026-03-03"})
    assert (response.status_code, response["Content-Disposition"]) == (
        200, 'attachment; filename="learning-traces_2026-03-03_end.jsonl"')
    filters = exports.ExportFilters(since=datetime.date(2026, 3, 3))
    data = body(response)
    assert data == b"".join(exports.render(exports.traces_export(filters), "jsonl"))
    assert data.count(b"\n") == 1 and b'"seen_before":1' in data


@pytest.mark.parametrize(
    ("url", "query", "errors"),
    [
        (EVENTS, {"format": "xlsx"}, {"format": ["'xlsx' is not a format; choose one of jsonl, csv, parquet, xapi"]}),
        (EVENTS, {"format": "json"}, {"format": ["'json' is not a format; choose one of jsonl, csv, parquet, xapi"]}),
        (TRACES, {"format": "xapi"}, {"format": ["'xapi' is not a format; choose one of jsonl, csv, parquet"]}),
        (EVENTS, {"since": "2026-02-30"}, {"since": ["'2026-02-30' is not a date; use YYYY-MM-DD"]}),
        (TRACES, {"since": "2026-03-03", "until": "2026-03-02"},
         {"until": ["2026-03-02 is before since (2026-03-03)"]}),
        (EVENTS, {"classroom": "abc"}, {"classroom": ["'abc' is not a classroom id (an integer)"]}),
        (TRACES, {"classroom": "999"}, {"classroom": ["no classroom has id 999"]}),
        (EVENTS, {"types": "word_guessed"}, {"types": [
            "unknown event type(s) word_guessed; known: practice_start, practice_end, word_correct, word_incorrect, "
            "exam_answer, content_view, content_complete, game_complete"]}),
        (TRACES, {"types": "word_correct"}, {"types": ["traces are graded word attempts; types does not apply"]}),
        (EVENTS, {"format": "xml", "until": "soon"},
         {"format": ["'xml' is not a format; choose one of jsonl, csv, parquet, xapi"],
          "until": ["'soon' is not a date; use YYYY-MM-DD"]}),
    ],
)
def test_bad_arguments_are_a_400_naming_them(staff_api, url, query, errors):
    response = staff_api.get(url, query)
    assert (response.status_code, response["Content-Type"], response.json()) == (400, "application/json", errors)


def test_staff_download_the_events_as_xapi_statements_streamed(staff_api, history, room, settings):
    settings.LEARNING_EVENTS_XAPI_HOME_PAGE = "https://school.example"
    response = staff_api.get(EVENTS, {"format": "xapi", "since": "2026-03-02", "classroom": room.pk})
    assert (response.status_code, response.streaming, response["Content-Type"], response["Content-Disposition"]) == (
        200, True, "application/x-ndjson; charset=utf-8", 'attachment; filename="learning-statements_2026-03-02_end.jsonl"')
    filters = exports.ExportFilters(since=datetime.date(2026, 3, 2), classroom_id=room.pk)
    data = body(response)
    assert data == b"".join(exports.render(xapi.statements_export(filters), "xapi"))
    assert [json.loads(line)["verb"]["id"] for line in data.decode().splitlines()] == [
        "http://adlnet.gov/expapi/verbs/answered", "http://adlnet.gov/expapi/verbs/experienced"]


def test_xapi_without_a_home_page_is_a_400_saying_which_setting(staff_api, history):
    response = staff_api.get(EVENTS, {"format": "xapi"})
    assert (response.status_code, response.json()) == (400, {"format": [
        "xapi needs LEARNING_EVENTS_XAPI_HOME_PAGE, the IRI of the platform that names learners' accounts "
        "(docs/xapi.md)"]})
