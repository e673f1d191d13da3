"""Hostile and broken input over HTTP: a clear 4xx, or a per-event rejection kept as a dead letter; never a
500, and never a partial silent write (the stored events and dead letters are counted after each case)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from learning_events.ingest import MAX_CONTEXT_DEPTH, depth
from learning_events.models import LearningEvent, RejectedEvent
from school import factories

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/events/batch/"
VIEW = {"event_type": "content_view", "context": {"content_id": 1, "content_type": "story"}}
CLIENT_TYPES = "practice_start, practice_end, content_view, content_complete, game_complete"
BIG = 2**70  # past a signed 64-bit integer


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def caller(learner, client_for):
    return client_for(learner)


def post(client, body: bytes | str, content_type: str = "application/json"):
    return client.generic("POST", BATCH, body.encode() if isinstance(body, str) else body, content_type=content_type)


def stored() -> tuple[int, int]:
    return LearningEvent.objects.count(), RejectedEvent.objects.count()


# --- the whole body refused: nothing stored ---------------------------------------------------------

@pytest.mark.parametrize(("body", "content_type", "status", "answer"), [
    ('{"events": [', "application/json", 400,
     {"detail": "The body is not valid JSON: Expecting value (line 1, column 13)."}),
    ("", "application/json", 400, {"detail": "The body is not valid JSON: Expecting value (line 1, column 1)."}),
    (b'{"events": [{"event_type": "content_view\xff"}]}', "application/json", 400,
     {"detail": "The body is not UTF-8 text (byte 40: invalid start byte)."}),
    (nested(10_000), "application/json", 400, {"detail": "The body cannot be read as JSON: maximum recursion depth "
                                                         "exceeded while decoding a JSON array from a unicode string."}),
    ('{"events": [{"event_type": "content_view", "context": {"content_id": ' + "9" * 5000 + "}}]}",
     "application/json", 400,
     {"detail": "The body cannot be read as JSON: Exceeds the limit (4300 digits) for integer string conversion: "
                "value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit."}),
    ("[]", "application/json", 400, {"detail": 'The body must be a JSON object: {"sent_at": ..., "events": [...]}.'}),
    ('{"events": {"0": {}}}', "application/json", 400, {"events": ["must be a list: a list of event objects"]}),
    ("{}", "application/json", 400, {"events": ["is required: a list of event objects"]}),
    ('{"sent_at": 1714555800, "events": []}', "application/json", 400, {"sent_at": [
        "must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"]}),
    (json.dumps({"events": [VIEW]}), "text/plain", 415, {"detail": 'Unsupported media type "text/plain" in request.'}),
    ("events=1", "application/x-www-form-urlencoded", 415,
     {"detail": 'Unsupported media type "application/x-www-form-urlencoded" in request.'}),
])
def test_an_unreadable_batch_is_refused_whole(caller, body, content_type, status, answer):
    response = post(caller, body, content_type)
    assert (response.status_code, response.json(), stored()) == (status, answer, (0, 0))


def test_a_batch_over_the_byte_limit_is_413(caller, settings):
    settings.LEARNING_EVENTS_BATCH_MAX_BYTES = 1000
    response = post(caller, json.dumps({"events": [VIEW] * 20}))
    assert (response.status_code, response.json(), stored()) == (413, {
        "detail": "The body is 1752 bytes; at most 1000 bytes are accepted per request. Send the events in "
                  "smaller batches."}, (0, 0))


def test_a_batch_over_the_event_limit_is_413(caller, settings):
    settings.LEARNING_EVENTS_BATCH_MAX_EVENTS = 3
    response = post(caller, json.dumps({"events": [VIEW] * 4}))
    assert (response.status_code, response.json(), stored()) == (413, {
        "detail": "The batch has 4 events; at most 3 are accepted per request. Send them in smaller batches."}, (0, 0))


# --- one bad event among good ones: rejected and kept, the good one stored ---------------------------

NOW = "2026-05-01T09:30:00+00:00"


@pytest.mark.parametrize(("event", "errors"), [
    ("not an object", {"event": "must be a JSON object"}),
    ({"event_type": "teleport", "context": {}},
     {"event_type": f"unknown event type 'teleport'; clients may send: {CLIENT_TYPES}"}),
    ({"event_type": "word_correct", "context": {"word_id": 1}},
     {"event_type": f"'word_correct' comes only from server-side grading and cannot be sent by clients; "
                    f"clients may send: {CLIENT_TYPES}"}),
    ({"event_type": 7}, {"event_type": f"unknown event type 7; clients may send: {CLIENT_TYPES}"}),
    ({**VIEW, "context": "content 1"}, {"context": "must be a JSON object"}),
    ({**VIEW, "context": {"content_id": "1", "content_type": "story"}}, {"context.content_id": "must be an integer"}),
    ({**VIEW, "context": {"content_id": BIG, "content_type": "story"}}, {"context.content_id": "must be an integer"}),
    ({"event_type": "content_complete", "context": {"content_id": 1, "content_type": "story",
                                                    "duration_seconds": 1e400}},
     {"context.duration_seconds": "must be a number, zero or more"}),
    ({**VIEW, "context": {**VIEW["context"], "deep": json.loads(nested(900))}},
     {"context": "is nested more than 16 levels deep"}),
    ({**VIEW, "context": {**VIEW["context"], "notes": "x" * 9000}},
     {"context": "is 9050 bytes of JSON; at most 8192 are allowed"}),
    ({**VIEW, "classroom_id": "1"}, {"classroom_id": "must be an integer or null"}),
    ({**VIEW, "classroom_id": BIG}, {"classroom_id": f"is not a classroom you belong to ({BIG})"}),
    ({**VIEW, "user": 1, "user_id": 2},
     {"user": "is not accepted: events always belong to the caller",
      "user_id": "is not accepted: events always belong to the caller"}),
    ({**VIEW, "event_id": 12}, {"event_id": "must be a UUID string (8-4-4-4-12 hexadecimal digits) or be left out"}),
    ({**VIEW, "occurred_at": "1970-01-01T00:00:00+00:00"}, {"occurred_at": "is more than 30 days old"}),
    ({**VIEW, "occurred_at": "9999-12-31T23:59:59-23:59"},
     {"occurred_at": "is more than 300 seconds in the future (after correcting the device clock by sent_at)"}),
    ({**VIEW, "occurred_at": "2026-05-01 09:30"},
     {"occurred_at": "must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"}),
    ({**VIEW, "occurred_at": 1714555800},
     {"occurred_at": "must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"}),
])
def test_a_bad_event_is_rejected_and_kept_beside_a_stored_good_one(caller, learner, event, errors):
    response = post(caller, json.dumps({"events": [VIEW, event]}))
    assert (response.status_code, response.json()) == (200, {
        "accepted": 1, "duplicates": 0, "rejected": [{"index": 1, "event_id": None, "errors": errors}]})
    assert stored() == (1, 1)
    assert LearningEvent.objects.get().user_id == learner.pk
    letter = RejectedEvent.objects.get()
    assert (letter.user_id, letter.payload, letter.errors) == (learner.pk, as_kept(event), errors)


def as_kept(event):
    """The dead letter's payload: the event, or its JSON text where a JSON column cannot hold it (Infinity,
    or nesting deeper than a context may)."""
    try:
        json.dumps(event, allow_nan=False)
    except ValueError:
        return {"unstorable_json": json.dumps(event)}
    return event if depth(event) <= MAX_CONTEXT_DEPTH + 1 else {"unstorable_json": json.dumps(event)}


@pytest.mark.parametrize(("sent_at", "occurred_at"), [
    ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"),  # the clock correction overflows upwards
    ("9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"),  # ... and downwards
])
def test_a_clock_correction_out_of_range_is_a_rejection(caller, sent_at, occurred_at):
    event = {**VIEW, "occurred_at": occurred_at}
    response = post(caller, json.dumps({"sent_at": sent_at, "events": [event]}))
    assert (response.status_code, response.json(), stored()) == (200, {
        "accepted": 0, "duplicates": 0, "rejected": [{"index": 0, "event_id": None, "errors": {
            "occurred_at": "is out of the representable range after correcting the device clock by sent_at"}}]},
        (0, 1))


def test_events_cannot_be_written_for_someone_else(caller, learner, classroom, other_teacher):
    """Not through user fields (above), nor through a classroom the caller does not belong to."""
    foreign = factories.ClassroomFactory(teacher=other_teacher)
    response = post(caller, json.dumps({"sent_at": timezone.now().isoformat(), "events": [
        {**VIEW, "classroom_id": classroom.pk}, {**VIEW, "classroom_id": foreign.pk}]}))
    assert (response.status_code, response.json()) == (200, {"accepted": 1, "duplicates": 0, "rejected": [
        {"index": 1, "event_id": None, "errors": {"classroom_id": f"is not a classroom you belong to ({foreign.pk})"}}]})
    assert list(LearningEvent.objects.values_list("user_id", "classroom_id")) == [(learner.pk, classroom.pk)]


# --- the platform's own endpoints -----------------------------------------------------------------

@pytest.mark.parametrize(("path", "body", "status", "answer"), [
    ("/api/v1/exams/", nested(10_000), 400, {"detail": "JSON parse error - the document is nested too deeply."}),
    ("/api/v1/auth/token/", '{"username": ' + nested(5000) + "}", 400,
     {"detail": "JSON parse error - the document is nested too deeply."}),
    ("/api/v1/classrooms/", '{"name": ', 400, {"detail": "JSON parse error - Expecting value: line 1 column 10 (char 9)"}),
    ("/api/v1/classrooms/", b'{"name": "\xff", "language": "es"}', 400,
     {"detail": "JSON parse error - 'utf-8' codec can't decode byte 0xff in position 10: invalid start byte"}),
    ("/api/v1/practice-sessions/", json.dumps({"word_list_id": "{word_list}", "classroom_id": BIG}), 400,
     {"classroom_id": ["Ensure this value is less than or equal to 9223372036854775807."]}),
    ("/api/v1/practice-sessions/", json.dumps({"word_list_id": BIG}), 400,
     {"word_list_id": [f"No word list has id {BIG}."]}),
    ("/api/v1/games/{game}/completions/", '{"score": 1e400, "duration_seconds": 5}', 400,
     {"score": ["A valid number is required."]}),
    ("/api/v1/words/", json.dumps({"text": "a\u0000b", "translation": "x", "language": "es"}), 400,
     {"text": ["Null characters are not allowed."]}),
])
def test_platform_endpoints_refuse_bad_bodies(client_for, teacher, path, body, status, answer):
    game = factories.GameFactory()
    if isinstance(body, str):
        body = body.replace('"{word_list}"', str(game.word_list_id)).encode()
    response = client_for(teacher).generic("POST", path.format(game=game.pk), body, content_type="application/json")
    assert (response.status_code, response.json(), stored()) == (status, answer, (0, 0))


def test_a_platform_body_over_the_upload_limit_is_413(client_for, teacher, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(teacher).post("/api/v1/words/", {"text": "x" * 2000, "translation": "y", "language": "es"},
                                        format="json")
    assert (response.status_code, response.json()) == (
        413, {"detail": "The request body is larger than the 1000 bytes accepted."})
