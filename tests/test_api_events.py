"""POST /api/v1/events/batch/ and GET /api/v1/events/schema/: statuses, messages, authentication."""

import json
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from learning_events import event_types
from learning_events.models import LearningEvent, RejectedEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/batch/"
VIEW = {"content_id": 12, "content_type": "story"}


def post_raw(client, body: bytes, **extra):
    return client.generic("POST", URL, body, content_type="application/json", **extra)


def test_a_batch_is_stored_for_the_caller_and_answered_per_event(api, user, room):
    good = {"event_id": str(uuid.uuid4()), "event_type": "content_view", "context": VIEW, "classroom_id": room.pk,
            "occurred_at": timezone.now().isoformat()}
    graded = {"event_type": "word_correct", "context": {"word_id": 1}}
    response = api.post(URL, {"sent_at": timezone.now().isoformat(), "events": [good, graded]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": [{
        "index": 1, "event_id": None, "errors": {"event_type": (
            "'word_correct' comes only from server-side grading and cannot be sent by clients; clients may send: "
            "practice_start, practice_end, content_view, content_complete, game_complete")}}]}
    assert list(LearningEvent.objects.values_list("event_id", "user_id", "classroom_id")) == [
        (uuid.UUID(good["event_id"]), user.pk, room.pk)]
    assert list(RejectedEvent.objects.values_list("user_id", "payload")) == [(user.pk, graded)]

    again = api.post(URL, {"events": [good]}, format="json")
    assert (again.status_code, again.json()) == (200, {"accepted": 0, "duplicates": 1, "rejected": []})


def test_anonymous_callers_get_401(db):
    response = APIClient().post(URL, {"events": []}, format="json")
    assert (response.status_code, response.json()) == (401, {"detail": "Authentication credentials were not provided."})
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_gets_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    response = client.post(URL, {"events": []}, format="json")
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})


def test_session_authentication_works_too(user):
    client = APIClient()
    client.force_login(user)
    response = client.post(URL, {"events": [{"event_type": "content_view", "context": VIEW}]}, format="json")
    assert (response.status_code, response.json()) == (200, {"accepted": 1, "duplicates": 0, "rejected": []})


def test_session_authentication_needs_the_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(URL, {"events": []}, format="json")
    assert (response.status_code, response.json()) == (
        403, {"detail": "CSRF Failed: CSRF cookie not set."})


@pytest.mark.parametrize(("body", "expected"), [
    (b"not json", {"detail": "The body is not valid JSON: Expecting value (line 1, column 1)."}),
    (b"\xfe\xff", {"detail": "The body is not UTF-8 text (byte 0: invalid start byte)."}),
    (b'"events"', {"detail": 'The body must be a JSON object: {"sent_at": ..., "events": [...]}.'}),
    (b'{"event": []}', {"events": ["is required: a list of event objects"]}),
    (b'{"events": "all"}', {"events": ["must be a list: a list of event objects"]}),
    (b'{"events": [], "sent_at": 5}',
     {"sent_at": ["must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"]}),
])
def test_unreadable_bodies_get_400_with_the_reason(api, body, expected):
    response = post_raw(api, body)
    assert (response.status_code, response.json()) == (400, expected)
    assert (LearningEvent.objects.count(), RejectedEvent.objects.count()) == (0, 0)


def test_more_events_than_the_limit_get_413(api, settings):
    settings.LEARNING_EVENTS_BATCH_MAX_EVENTS = 2
    response = api.post(URL, {"events": [{"event_type": "content_view", "context": VIEW}] * 3}, format="json")
    assert (response.status_code, response.json()) == (413, {
        "detail": "The batch has 3 events; at most 2 are accepted per request. Send them in smaller batches."})
    assert LearningEvent.objects.count() == 0


def test_the_default_limit_is_500_events(api):
    events = [{"event_type": "content_view", "context": VIEW}]
    assert api.post(URL, {"events": events * 500}, format="json").json()["accepted"] == 500
    response = api.post(URL, {"events": events * 501}, format="json")
    assert (response.status_code, response.json()) == (413, {
        "detail": "The batch has 501 events; at most 500 are accepted per request. Send them in smaller batches."})


@pytest.mark.parametrize("size", [1024 * 1024 + 1, 3 * 1024 * 1024])
def test_a_body_over_1_mb_gets_413_before_it_is_read(api, size):
    # 3 MB is past Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): still a 413, not Django's 400.
    response = post_raw(api, b" " * size)
    assert (response.status_code, response.json()) == (413, {
        "detail": f"The body is {size} bytes; at most 1048576 bytes are accepted per request. "
                  "Send the events in smaller batches."})


def test_the_byte_limit_follows_the_setting(api, settings):
    settings.LEARNING_EVENTS_BATCH_MAX_BYTES = 20
    response = post_raw(api, b'{"events": [], "x": 1}')
    assert (response.status_code, response.json()) == (413, {
        "detail": "The body is 22 bytes; at most 20 bytes are accepted per request. Send the events in smaller batches."})


def test_a_body_of_exactly_the_limit_is_read(api, settings):
    body = b'{"events": []}'
    settings.LEARNING_EVENTS_BATCH_MAX_BYTES = len(body)
    response = post_raw(api, body)
    assert (response.status_code, response.json()) == (200, {"accepted": 0, "duplicates": 0, "rejected": []})


def test_other_methods_get_405(api):
    response = api.get(URL)
    assert (response.status_code, response.json()) == (405, {"detail": 'Method "GET" not allowed.'})


def test_the_schema_endpoint_serves_the_catalogue_to_anyone(db):
    response = APIClient().get("/api/v1/events/schema/")
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(event_types.catalogue_json_schema()))
    assert sorted(response.json()["types"]) == sorted(event_types.CATALOGUE)
    assert response.json()["types"]["word_correct"]["x-client-may-send"] is False
    assert response.json()["types"]["content_view"]["required"] == ["content_id", "content_type"]
