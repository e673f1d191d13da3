"""The insights API against the stand-in host: who may read whose insights, ``as_of``, the JSON shape."""

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.utils import timezone

from learning_events import aggregation, insights
from learning_events.api import insights as insights_api
from tests.clients import client_for
from tests.rollups import event, log
from tests.testapp.models import Room

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 11 March in Tokyo


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def people(make_user):
    """A room with its teacher and a learner in Tokyo, another room's teacher, another learner, staff."""
    teacher, other_teacher = make_user(username="teacher"), make_user(username="other")
    learner = make_user(username="kei", time_zone="Asia/Tokyo")
    room = Room.objects.create(name="Room 1", teacher=teacher)
    room.members.add(learner)
    Room.objects.create(name="Room 2", teacher=other_teacher)
    log(event(learner, "word_correct", datetime(2026, 3, 10, 16, 0, tzinfo=UTC), room, word_id=4))  # 11 March
    aggregation.rollup_dirty_days()
    return {"teacher": teacher, "other_teacher": other_teacher, "learner": learner, "room": room,
            "other_learner": make_user(username="lee"), "staff": make_user(username="admin", is_staff=True)}


@pytest.mark.parametrize("reader", ["learner", "teacher", "staff"])
def test_the_learner_their_teacher_and_staff_read_a_learners_insights(people, reader):
    learner = people["learner"]
    response = client_for(people[reader]).get(f"/api/v1/learners/{learner.pk}/insights/")
    assert response.status_code == 200
    body = response.json()
    # Default: today in the learner's time zone (11 March in Tokyo while it is 10 March in UTC).
    assert {key: body[key] for key in ("learner", "name", "time_zone", "as_of", "streak", "summary")} == {
        "learner": learner.pk, "name": "kei", "time_zone": "Asia/Tokyo", "as_of": "2026-03-11",
        "streak": {"current": 1, "last_active": "2026-03-11"},
        "summary": "In the last 7 days kei practised 1 word on 1 day (up from 0), with 100% accuracy. In the last "
                   "28 days kei practised 1 word on 1 day (up from 0), with 100% accuracy. Current streak: 1 day.",
    }
    assert body["last_7_days"]["current"] == {
        "from": "2026-03-05", "to": "2026-03-11", "active_days": 1, "words_practiced": 1, "words_correct": 1,
        "unique_words": 1, "accuracy": 1.0, "time_spent": 0, "time_per_active_day": 0}


@pytest.mark.parametrize("reader", ["other_learner", "other_teacher"])
def test_other_people_may_not_read_a_learners_insights(people, reader):
    response = client_for(people[reader]).get(f"/api/v1/learners/{people['learner'].pk}/insights/")
    assert (response.status_code, response.json()) == (
        403, {"detail": "Only the learner, their rooms' teachers and staff can read their statistics."})


def test_an_unknown_learner_is_not_found(people):
    response = client_for(people["teacher"]).get("/api/v1/learners/999999/insights/")
    assert (response.status_code, response.json()) == (404, {"detail": "No User matches the given query."})


def test_as_of_picks_the_day(people):
    response = client_for(people["learner"]).get(f"/api/v1/learners/{people['learner'].pk}/insights/?as_of=2026-03-10")
    body = response.json()
    assert (response.status_code, body["as_of"], body["streak"], body["summary"]) == (
        200, "2026-03-10", {"current": 0, "last_active": None}, "No practice in the last 28 days.")


@pytest.mark.parametrize(("query", "errors"), [
    ("as_of=yesterday", {"as_of": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ("as_of=2026-02-30", {"as_of": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ("as_of=2026-03-12", {"as_of": ["Must not be after 2026-03-11."]}),  # the learner's tomorrow
    ("as_of=1970-02-28", {"as_of": ["Must not be before 1970-03-01."]}),
])
def test_a_bad_as_of_is_refused_with_a_clear_message(people, query, errors):
    response = client_for(people["learner"]).get(f"/api/v1/learners/{people['learner'].pk}/insights/?{query}")
    assert (response.status_code, response.json()) == (400, errors)


def test_classroom_insights_for_its_teacher_and_staff(people):
    room = people["room"]
    for reader in ("teacher", "staff"):
        response = client_for(people[reader]).get(f"/api/v1/classrooms/{room.pk}/insights/")
        body = response.json()
        # Default: today in UTC; the learner's 11 March is still ahead of it.
        assert (response.status_code, body["classroom"], body["as_of"], body["members"], body["falling_behind"],
                body["summary"]) == (
            200, room.pk, "2026-03-10", 1,
            [{"reason": "inactive", "user_id": people["learner"].pk, "name": "kei", "last_active": None,
              "days_inactive": None, "accuracy": None, "previous_accuracy": None, "accuracy_points": None}],
            "No practice in the last 28 days. Falling behind: kei (never active).",
        )
    # Tomorrow in UTC is allowed: learners ahead of UTC are already living it.
    tomorrow = client_for(people["teacher"]).get(f"/api/v1/classrooms/{room.pk}/insights/?as_of=2026-03-11")
    assert (tomorrow.status_code, tomorrow.json()["falling_behind"], tomorrow.json()["last_7_days"]["current"]) == (
        200, [], {"from": "2026-03-05", "to": "2026-03-11", "active_days": 1, "words_practiced": 1,
                  "words_correct": 1, "unique_words": 1, "accuracy": 1.0, "time_spent": 0,
                  "time_per_active_day": 0, "active_learners": 1})
    too_late = client_for(people["teacher"]).get(f"/api/v1/classrooms/{room.pk}/insights/?as_of=2026-03-12")
    assert (too_late.status_code, too_late.json()) == (400, {"as_of": ["Must not be after 2026-03-11."]})


@pytest.mark.parametrize("reader", ["learner", "other_teacher", "other_learner"])
def test_others_may_not_read_classroom_insights(people, reader):
    response = client_for(people[reader]).get(f"/api/v1/classrooms/{people['room'].pk}/insights/")
    assert (response.status_code, response.json()) == (
        403, {"detail": "Only this room's teacher can read its statistics."})


def test_an_unknown_classroom_is_not_found(people):
    response = client_for(people["teacher"]).get("/api/v1/classrooms/999999/insights/")
    assert (response.status_code, response.json()) == (404, {"detail": "No Room matches the given query."})


@pytest.mark.parametrize("url", ["/api/v1/learners/1/insights/", "/api/v1/classrooms/1/insights/"])
def test_anonymous_callers_are_refused(url):
    response = client_for().get(url)
    assert (response.status_code, response.json()) == (
        401, {"detail": "Authentication credentials were not provided."})


def test_without_the_host_hook_a_learner_reads_their_own_and_staff_any(people, settings):
    settings.LEARNING_EVENTS_LEARNER_ACCESS = None
    learner = people["learner"]
    url = f"/api/v1/learners/{learner.pk}/insights/"
    refused = client_for(people["teacher"]).get(url)
    assert (refused.status_code, refused.json()) == (403, {"detail": "You may read only your own statistics."})
    missing = client_for(people["staff"]).get("/api/v1/learners/999999/insights/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "No user matches the given query."})
    for reader in ("learner", "staff"):
        response = client_for(people[reader]).get(url)
        assert (response.status_code, response.json()["name"]) == (200, "kei")


@pytest.mark.parametrize(("example", "summary"), [
    (insights_api._LEARNER_EXAMPLE, insights.learner_summary),
    (insights_api._CLASSROOM_EXAMPLE, insights.classroom_summary),
])
def test_the_schemas_examples_say_what_the_code_would_say(example, summary):
    def with_dates(value):
        if isinstance(value, dict):
            return {key: (date.fromisoformat(item) if key in ("last_active", "last_practiced") and item
                          else with_dates(item)) for key, item in value.items()}
        return [with_dates(item) for item in value] if isinstance(value, list) else value

    assert summary(with_dates(example)) == example["summary"]


def test_the_docs_show_the_schemas_example():
    text = (Path(__file__).resolve().parents[1] / "docs" / "insights.md").read_text()
    block = re.search(r"```json\n(\{.*?\n\})\n```", text, re.DOTALL).group(1)
    assert json.loads(block) == insights_api._LEARNER_EXAMPLE
