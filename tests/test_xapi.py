"""Events as xAPI statements: every type and the edge cases, each checked by a validator nobody here wrote
(ralph-malph's xAPI models), and the whole statement asserted for the mapping's table (docs/xapi.md)."""

import datetime
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ralph.models.xapi.base.statements import BaseXapiStatement

from learning_events import event_types, exports, services, xapi
from learning_events.models import LearningEvent

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 10, 0, 0, 123456, tzinfo=datetime.UTC)
HOME = "https://school.example"
BASE = "https://school.example/xapi/activities"
EXT = "https://school.example/xapi/extensions/"
SESSION = "6f1c1e6e-6d4b-4c1f-9d0a-3b3c8a1f2e10"
SALT = b"salt"


@pytest.fixture(autouse=True)
def home_page(settings):
    settings.LEARNING_EVENTS_XAPI_HOME_PAGE = HOME


def valid(statement: dict) -> dict:
    """The statement, after ralph's xAPI model accepted it (raises with ralph's reasons otherwise)."""
    BaseXapiStatement.model_validate(statement)
    return statement


def statement_of(event, **mapper) -> dict:
    return valid(xapi.StatementMapper(salt=SALT, **mapper).statement(xapi.Event(
        str(event.event_id), event.event_type, event.occurred_at, event.user_id, event.classroom_id, event.context,
        event.user.username)))


def agent(user) -> dict:
    return {"objectType": "Agent", "account": {"homePage": HOME, "name": exports.Pseudonymizer(SALT).user(user.pk)}}


def activity(path: str, kind: str, **extensions) -> dict:
    definition = {"type": kind}
    if extensions:
        definition["extensions"] = {EXT + key: value for key, value in extensions.items()}
    return {"objectType": "Activity", "id": f"{BASE}/{path}", "definition": definition}


def verb(name: str) -> dict:
    return {"id": f"http://adlnet.gov/expapi/verbs/{name}", "display": {"en-US": name}}


def grouping(room) -> list:
    return [activity(f"classrooms/{exports.Pseudonymizer(SALT).classroom(room.pk)}", xapi.COURSE)]


VERSION = {EXT + "mapping-version": 1}


def test_a_word_answer_in_a_session_and_a_classroom(user, room):
    event = services.log_word_practice(user, 7, True, room, occurred_at=T0,
                                       context={"session_id": SESSION, "response_ms": 2100, "answer": "perro"})
    assert statement_of(event) == {
        "id": str(event.event_id),
        "actor": agent(user),
        "verb": verb("answered"),
        "object": activity("words/7", xapi.QUESTION),
        "result": {"success": True, "duration": "PT2.1S"},
        "context": {"registration": SESSION,
                    "contextActivities": {"parent": [activity(f"practice-sessions/{SESSION}", xapi.ATTEMPT)],
                                          "grouping": grouping(room)},
                    "extensions": VERSION},
        "timestamp": "2026-03-02T10:00:00.123Z",
    }


def test_an_incorrect_word_alone_has_no_session_no_classroom_and_no_duration(user):
    event = services.log_word_practice(user, 7, False, occurred_at=T0)
    assert statement_of(event) == {
        "id": str(event.event_id), "actor": agent(user), "verb": verb("answered"),
        "object": activity("words/7", xapi.QUESTION), "result": {"success": False},
        "context": {"extensions": VERSION}, "timestamp": "2026-03-02T10:00:00.123Z",
    }


def test_practice_start_and_end_bracket_the_session_as_registration(user, room):
    start = services.log_event(user, "practice_start", {"session_id": SESSION, "word_list_id": 3}, room,
                               occurred_at=T0)
    end = services.log_event(user, "practice_end", {"session_id": SESSION}, occurred_at=T0)
    assert (statement_of(start), statement_of(end)) == ({
        "id": str(start.event_id), "actor": agent(user), "verb": verb("initialized"),
        "object": activity(f"practice-sessions/{SESSION}", xapi.ATTEMPT),
        "context": {"registration": SESSION,
                    "contextActivities": {"parent": [activity("word-lists/3", xapi.MODULE)], "grouping": grouping(room)},
                    "extensions": VERSION},
        "timestamp": "2026-03-02T10:00:00.123Z",
    }, {
        "id": str(end.event_id), "actor": agent(user), "verb": verb("terminated"),
        "object": activity(f"practice-sessions/{SESSION}", xapi.ATTEMPT),
        "context": {"registration": SESSION, "extensions": VERSION}, "timestamp": "2026-03-02T10:00:00.123Z",
    })


def test_an_exam_answer_names_the_question_under_its_exam_and_keeps_the_submission(user, room):
    services.log_exam_answers(user, exam_id=4, submission_id=9, classroom=room, occurred_at=T0, duration_seconds=3725.5,
                              answers=[{"question_id": 1, "correct": True, "answer": "la casa"},
                                       {"question_id": 2, "correct": False, "answer": "el gato"}])
    # By question: on PostgreSQL the rows of one bulk insert need not take ids in the order of the answers.
    first, second = (LearningEvent.objects.get(context__question_id=n) for n in (1, 2))
    assert statement_of(first) == {
        "id": str(first.event_id), "actor": agent(user), "verb": verb("answered"),
        "object": activity("exams/4/questions/1", xapi.QUESTION),
        "result": {"success": True},
        "context": {"contextActivities": {"parent": [activity("exams/4", xapi.ASSESSMENT)], "grouping": grouping(room)},
                    "extensions": {**VERSION, EXT + "submission": 9, EXT + "submission-duration": "PT1H2M5.5S"}},
        "timestamp": "2026-03-02T10:00:00.123Z",
    }
    assert (statement_of(second)["result"], statement_of(second)["context"]["extensions"]) == (
        {"success": False}, {**VERSION, EXT + "submission": 9})


@pytest.mark.parametrize(("event_type", "verb_name", "result"), [
    ("content_view", "experienced", {"duration": "PT1M30S"}),
    ("content_complete", "completed", {"completion": True, "duration": "PT1M30S"}),
])
def test_reading_is_experienced_then_completed(user, event_type, verb_name, result):
    event = services.log_event(user, event_type, {"content_id": 5, "content_type": "article", "duration_seconds": 90},
                               occurred_at=T0)
    assert statement_of(event) == {
        "id": str(event.event_id), "actor": agent(user), "verb": verb(verb_name),
        "object": activity("contents/5", xapi.MEDIA, **{"content-type": "article"}), "result": result,
        "context": {"extensions": VERSION}, "timestamp": "2026-03-02T10:00:00.123Z",
    }


def test_a_view_without_duration_has_no_result(user):
    event = services.log_event(user, "content_view", {"content_id": 5, "content_type": "story"}, occurred_at=T0)
    assert "result" not in statement_of(event)


def test_a_game_is_completed_with_its_raw_score_duration_and_words(user, room):
    event = services.log_event(user, "game_complete", {"game_id": 2, "score": 87.5, "duration_seconds": 61.25,
                                                       "word_ids": [7, 8]}, room, occurred_at=T0)
    assert statement_of(event) == {
        "id": str(event.event_id), "actor": agent(user), "verb": verb("completed"),
        "object": activity("games/2", xapi.GAME),
        "result": {"completion": True, "score": {"raw": 87.5}, "duration": "PT1M1.25S"},
        "context": {"contextActivities": {"other": [activity("words/7", xapi.QUESTION), activity("words/8", xapi.QUESTION)],
                                          "grouping": grouping(room)},
                    "extensions": VERSION},
        "timestamp": "2026-03-02T10:00:00.123Z",
    }


@pytest.mark.parametrize("context", [
    {"game_id": 2, "score": 0, "duration_seconds": 0},  # zero score, zero duration
    {"game_id": 2, "score": -12, "duration_seconds": 0.004, "word_ids": []},  # negative score, rounds to 0 s
    {"game_id": 2, "score": 10**12, "duration_seconds": 90061},  # over a day
])
def test_game_edge_cases_are_valid_statements(user, context):
    event = services.log_event(user, "game_complete", context, occurred_at=T0)
    result = statement_of(event)["result"]
    assert result == {"completion": True, "score": {"raw": context["score"]},
                      "duration": {0: "PT0S", 0.004: "PT0S", 90061: "PT25H1M1S"}[context["duration_seconds"]]}


def test_zero_durations_and_zero_response_times(user):
    word = services.log_word_practice(user, 7, True, occurred_at=T0, context={"response_ms": 0})
    view = services.log_event(user, "content_complete", {"content_id": 5, "content_type": "story", "duration_seconds": 0},
                              occurred_at=T0)
    assert (statement_of(word)["result"], statement_of(view)["result"]) == (
        {"success": True, "duration": "PT0S"}, {"completion": True, "duration": "PT0S"})


def test_answers_stay_home_unless_responses_are_included(user, settings):
    event = services.log_word_practice(user, 7, False, occurred_at=T0,
                                       context={"answer": "¿Dónde está la biblioteca? 图书馆 🙂"})
    assert statement_of(event)["result"] == {"success": False}
    settings.LEARNING_EVENTS_XAPI_INCLUDE_RESPONSES = True
    assert statement_of(event)["result"] == {"success": False, "response": "¿Dónde está la biblioteca? 图书馆 🙂"}


def test_an_empty_answer_is_left_out_since_xapi_forbids_empty_strings(user, settings):
    settings.LEARNING_EVENTS_XAPI_INCLUDE_RESPONSES = True
    event = services.log_word_practice(user, 7, False, occurred_at=T0, context={"answer": ""})
    assert statement_of(event)["result"] == {"success": False}


def test_null_optional_keys_are_left_out(user):
    event = services.log_word_practice(user, 7, True, occurred_at=T0,
                                       context={"session_id": None, "response_ms": None, "answer": None})
    assert statement_of(event) == {
        "id": str(event.event_id), "actor": agent(user), "verb": verb("answered"),
        "object": activity("words/7", xapi.QUESTION), "result": {"success": True},
        "context": {"extensions": VERSION}, "timestamp": "2026-03-02T10:00:00.123Z"}


def test_usernames_name_accounts_and_classrooms_go_by_id_when_chosen(user, room, settings):
    settings.LEARNING_EVENTS_XAPI_ACTOR_NAME = "username"
    event = services.log_word_practice(user, 7, True, room, occurred_at=T0)
    statement = statement_of(event)
    assert (statement["actor"], statement["context"]["contextActivities"]["grouping"]) == (
        {"objectType": "Agent", "account": {"homePage": HOME, "name": user.username}},
        [activity(f"classrooms/{room.pk}", xapi.COURSE)])


def test_a_chosen_activity_base_names_the_activities(user, settings):
    settings.LEARNING_EVENTS_XAPI_ACTIVITY_BASE = "https://lrs.example.org/school-a/"
    event = services.log_word_practice(user, 7, True, occurred_at=T0)
    assert statement_of(event)["object"]["id"] == "https://lrs.example.org/school-a/words/7"


def test_statements_need_a_home_page(settings):
    settings.LEARNING_EVENTS_XAPI_HOME_PAGE = None
    with pytest.raises(xapi.XapiNotConfigured) as raised:
        xapi.StatementMapper()
    assert raised.value.errors == {"format": "xapi needs LEARNING_EVENTS_XAPI_HOME_PAGE, the IRI of the platform "
                                             "that names learners' accounts (docs/xapi.md)"}


def test_every_catalogue_type_has_a_verb_from_the_adl_vocabulary():
    assert set(xapi.VERBS) == set(event_types.CATALOGUE)


def test_a_timestamp_keeps_milliseconds_in_utc():
    assert xapi.timestamp(datetime.datetime(2026, 3, 2, 11, 0, 0, 999999,
                                            tzinfo=datetime.timezone(datetime.timedelta(hours=1)))) == \
        "2026-03-02T10:00:00.999Z"


@given(st.floats(min_value=0, max_value=10**7, allow_nan=False))
def test_every_duration_is_valid_iso_8601_and_keeps_hundredths(seconds):
    text = xapi.iso_duration(seconds)
    parsed = BaseXapiStatement.model_validate({
        "actor": {"account": {"homePage": HOME, "name": "a"}}, "verb": {"id": xapi.ADL_VERBS + "completed"},
        "object": {"id": f"{BASE}/games/1"}, "result": {"duration": text}}).result.duration
    assert abs(parsed.total_seconds() - seconds) <= 0.005 + 1e-9


def test_statement_ids_are_the_event_ids(user):
    event_id = uuid.uuid4()
    event = services.log_event(user, "content_view", {"content_id": 1, "content_type": "story"}, occurred_at=T0,
                               event_id=event_id)
    assert statement_of(event)["id"] == str(event_id)
