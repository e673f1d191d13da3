"""Read API of the rollups, against the stand-in host: ranges, permissions, members, hardest words."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from learning_events import aggregation
from tests import words
from tests.clients import client_for
from tests.rollups import ZERO, event, log
from tests.testapp.models import Room
from tests.words import unnamed

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 11 March in Tokyo


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def day(d: date, **figures):
    return {"date": d.isoformat(), **ZERO, **figures}


# --- /me/stats/ -------------------------------------------------------------------------------------------


def test_my_stats_give_each_local_day_and_totals(make_user):
    learner = make_user(time_zone="Asia/Tokyo")
    sid = str(uuid.uuid4())
    log(event(learner, "practice_start", datetime(2026, 3, 9, 1, 0, tzinfo=UTC), session_id=sid),
        event(learner, "word_correct", datetime(2026, 3, 9, 1, 2, tzinfo=UTC), word_id=1, session_id=sid),
        event(learner, "word_incorrect", datetime(2026, 3, 9, 1, 5, tzinfo=UTC), word_id=2, session_id=sid),
        event(learner, "word_correct", datetime(2026, 3, 10, 16, 0, tzinfo=UTC), word_id=1))  # 11 March, Tokyo
    aggregation.rollup_dirty_days()
    response = client_for(learner).get("/api/v1/me/stats/?from=2026-03-09&to=2026-03-11")
    assert response.status_code == 200
    assert response.json() == {
        "from": "2026-03-09", "to": "2026-03-11", "time_zone": "Asia/Tokyo",
        "totals": {**ZERO, "words_practiced": 3, "words_correct": 2, "words_incorrect": 1, "unique_words": 2,
                   "accuracy": 2 / 3, "sessions": 1, "time_spent": 300},
        "days": [
            day(date(2026, 3, 9), words_practiced=2, words_correct=1, words_incorrect=1, unique_words=2,
                accuracy=0.5, sessions=1, time_spent=300),
            day(date(2026, 3, 10)),
            day(date(2026, 3, 11), words_practiced=1, words_correct=1, unique_words=1, accuracy=1.0),
        ],
    }


def test_my_stats_default_to_the_last_28_local_days(make_user):
    learner = make_user(time_zone="Asia/Tokyo")
    response = client_for(learner).get("/api/v1/me/stats/")
    body = response.json()
    assert (response.status_code, body["from"], body["to"]) == (200, "2026-02-12", "2026-03-11")
    assert [d["date"] for d in body["days"]] == [(date(2026, 2, 12) + timedelta(days=n)).isoformat()
                                                 for n in range(28)]
    assert body["totals"] == {**ZERO, "unique_words": 0}


@pytest.mark.parametrize(("query", "errors"), [
    ("from=2026-13-01", {"from": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ("to=yesterday", {"to": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ("from=2026-03-10&to=2026-03-09", {"to": ["Must not be before from (2026-03-10)."]}),
    ("from=2026-03-12", {"to": ["Must not be before from (2026-03-12)."]}),
    ("from=2025-01-01&to=2026-01-02",
     {"to": ["A range spans at most 366 days; from 2025-01-01 to 2026-01-02 spans 367."]}),
])
def test_bad_ranges_are_refused_with_a_clear_message(user, query, errors):
    response = client_for(user).get(f"/api/v1/me/stats/?{query}")
    assert (response.status_code, response.json()) == (400, errors)


def test_a_range_of_366_days_is_allowed(user):
    response = client_for(user).get("/api/v1/me/stats/?from=2025-01-01&to=2026-01-01")
    assert (response.status_code, len(response.json()["days"])) == (200, 366)


@pytest.mark.parametrize("url", ["/api/v1/me/stats/", "/api/v1/classrooms/1/stats/", "/api/v1/classrooms/1/words/"])
def test_anonymous_callers_are_refused(url):
    response = client_for().get(url)
    assert (response.status_code, response.json()) == (
        401, {"detail": "Authentication credentials were not provided."})


# --- /classrooms/{id}/stats/ --------------------------------------------------------------------------------


@pytest.fixture
def classroom(make_user):
    teacher = make_user(username="teacher")
    room = Room.objects.create(name="Room 1", teacher=teacher)
    ann, bob, cid = (make_user(username=name, time_zone="Europe/Madrid") for name in ("ann", "bob", "cid"))
    room.members.add(ann, bob, cid)
    log(event(ann, "word_correct", datetime(2026, 3, 9, 10, 0, tzinfo=UTC), room, word_id=1),
        event(ann, "word_incorrect", datetime(2026, 3, 10, 10, 0, tzinfo=UTC), room, word_id=2),
        event(ann, "word_correct", datetime(2026, 3, 10, 11, 0, tzinfo=UTC), word_id=3),  # not in the room
        event(bob, "game_complete", datetime(2026, 3, 10, 12, 0, tzinfo=UTC), room, game_id=1, score=5,
              duration_seconds=120))
    aggregation.rollup_dirty_days()
    return room, teacher, (ann, bob, cid)


def test_the_teacher_reads_the_classrooms_days_and_every_learner(classroom):
    room, teacher, (ann, bob, cid) = classroom
    response = client_for(teacher).get(f"/api/v1/classrooms/{room.pk}/stats/?from=2026-03-09&to=2026-03-10")
    assert response.status_code == 200
    learner_zero = {key: value for key, value in ZERO.items() if key != "unique_words"}
    assert response.json() == {
        "classroom": room.pk, "from": "2026-03-09", "to": "2026-03-10",
        "totals": {**ZERO, "words_practiced": 2, "words_correct": 1, "words_incorrect": 1, "unique_words": 2,
                   "accuracy": 0.5, "games_completed": 1, "time_spent": 120, "game_seconds": 120, "game_score": 5.0,
                   "active_learners": 2},
        "days": [
            day(date(2026, 3, 9), words_practiced=1, words_correct=1, unique_words=1, accuracy=1.0,
                active_learners=1),
            day(date(2026, 3, 10), words_practiced=1, words_incorrect=1, unique_words=1, accuracy=0.0,
                games_completed=1, time_spent=120, game_seconds=120, game_score=5.0, active_learners=2),
        ],
        "learners": [
            {**learner_zero, "user_id": ann.pk, "name": "ann", "words_practiced": 2, "words_correct": 1,
             "words_incorrect": 1, "accuracy": 0.5, "active_days": 2, "last_active": "2026-03-10"},
            {**learner_zero, "user_id": bob.pk, "name": "bob", "games_completed": 1, "time_spent": 120,
             "game_seconds": 120, "game_score": 5.0,
             "active_days": 1, "last_active": "2026-03-10"},
            {**learner_zero, "user_id": cid.pk, "name": "cid", "active_days": 0, "last_active": None},
        ],
    }


def test_staff_read_any_classroom(classroom, make_user):
    room, _, _ = classroom
    response = client_for(make_user(is_staff=True)).get(f"/api/v1/classrooms/{room.pk}/stats/")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["stats", "words"])
def test_members_and_other_people_may_not_read_a_classroom(classroom, make_user, path):
    room, _, (ann, _, _) = classroom
    for user in (ann, make_user()):
        response = client_for(user).get(f"/api/v1/classrooms/{room.pk}/{path}/")
        assert (response.status_code, response.json()) == (
            403, {"detail": "Only this room's teacher can read its statistics."})


@pytest.mark.parametrize("path", ["stats", "words"])
def test_an_unknown_classroom_is_not_found(user, path):
    response = client_for(user).get(f"/api/v1/classrooms/999/{path}/")
    assert (response.status_code, response.json()) == (404, {"detail": "No Room matches the given query."})


def test_without_host_hooks_staff_read_and_members_come_from_activity(classroom, make_user, settings):
    settings.LEARNING_EVENTS_CLASSROOM_STATS_ACCESS = None
    settings.LEARNING_EVENTS_CLASSROOM_MEMBERS = None
    room, teacher, (ann, bob, _) = classroom
    refused = client_for(teacher).get(f"/api/v1/classrooms/{room.pk}/stats/")
    assert (refused.status_code, refused.json()) == (403, {"detail": "Only staff can read classroom statistics."})
    missing = client_for(teacher).get("/api/v1/classrooms/999/stats/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "No classroom matches the given query."})
    response = client_for(make_user(is_staff=True)).get(f"/api/v1/classrooms/{room.pk}/stats/")
    assert [(row["user_id"], row["name"]) for row in response.json()["learners"]] == [(ann.pk, "ann"), (bob.pk, "bob")]


# --- /classrooms/{id}/words/ --------------------------------------------------------------------------------


def test_hardest_words_rank_by_accuracy_among_words_tried_enough(make_user):
    teacher, learner = make_user(username="teacher"), make_user()
    room = Room.objects.create(name="Room", teacher=teacher)
    results = {1: [True] * 5, 2: [False, True, True, True, True, True], 3: [False, False, True, True, True],
               4: [False, False, False, False], 5: [True, False, False, True, True]}
    log(*[event(learner, "word_correct" if ok else "word_incorrect",
                datetime(2026, 3, 10, 9, 0, tzinfo=UTC) + timedelta(minutes=n), room, word_id=word)
          for word, outcomes in results.items() for n, ok in enumerate(outcomes)])
    aggregation.rollup_dirty_days()
    response = client_for(teacher).get(f"/api/v1/classrooms/{room.pk}/words/")
    assert (response.status_code, response.json()) == (200, {
        "classroom": room.pk, "min_attempts": 5, "from": None, "to": None,
        # Without the host's LEARNING_EVENTS_WORD_NAMES hook, words go by id.
        "words": [
            unnamed(3, attempts=5, correct=3, accuracy=0.6),
            unnamed(5, attempts=5, correct=3, accuracy=0.6),
            unnamed(2, attempts=6, correct=5, accuracy=5 / 6),
            unnamed(1, attempts=5, correct=5, accuracy=1.0),
        ],
    })
    fewer = client_for(teacher).get(f"/api/v1/classrooms/{room.pk}/words/?min_attempts=4&limit=1")
    assert fewer.json()["words"] == [unnamed(4, attempts=4, correct=0, accuracy=0.0)]
    later = client_for(teacher).get(f"/api/v1/classrooms/{room.pk}/words/?from=2026-03-11")
    assert (later.json()["from"], later.json()["words"]) == ("2026-03-11", [])


def test_hardest_words_carry_the_hosts_names_asked_once(make_user, settings):
    settings.LEARNING_EVENTS_WORD_NAMES = words.HOOK
    teacher, learner = make_user(username="teacher"), make_user()
    room = Room.objects.create(name="Room", teacher=teacher)
    results = {3: "+-", 7: "--", 12: "+++-", 99: "-"}  # word 99 is not in the host's vocabulary (deleted)
    log(*[event(learner, "word_correct" if outcome == "+" else "word_incorrect",
                datetime(2026, 3, 10, 9, 0, tzinfo=UTC) + timedelta(minutes=n), room, word_id=word)
          for word, outcomes in results.items() for n, outcome in enumerate(outcomes)])
    aggregation.rollup_dirty_days()
    words.CALLS.clear()
    response = client_for(teacher).get(f"/api/v1/classrooms/{room.pk}/words/?min_attempts=1")
    assert (response.status_code, response.json()["words"]) == (200, [
        {"word_id": 7, "text": "perro", "translation": "dog", "language": "es", "attempts": 2, "correct": 0,
         "accuracy": 0.0},
        {"word_id": 99, "text": None, "translation": None, "language": None, "attempts": 1, "correct": 0,
         "accuracy": 0.0},
        {"word_id": 3, "text": "gato", "translation": "cat", "language": "es", "attempts": 2, "correct": 1,
         "accuracy": 0.5},
        {"word_id": 12, "text": 'el "ojo"', "translation": "eye, the", "language": "es", "attempts": 4,
         "correct": 3, "accuracy": 0.75},
    ])
    assert words.CALLS == [[3, 7, 12, 99]]  # one call for the whole list, never one per word
    empty = client_for(teacher).get(f"/api/v1/classrooms/{room.pk}/words/?min_attempts=50")
    assert (empty.status_code, empty.json()["words"], words.CALLS) == (200, [], [[3, 7, 12, 99]])  # no call


@pytest.mark.parametrize(("query", "errors"), [
    ("min_attempts=0", {"min_attempts": ["Ensure this value is greater than or equal to 1."]}),
    ("min_attempts=many", {"min_attempts": ["A valid integer is required."]}),
    ("limit=101", {"limit": ["Ensure this value is less than or equal to 100."]}),
    ("from=2026-03-10&to=2026-03-01", {"to": ["Must not be before from (2026-03-10)."]}),
    ("to=03/01/2026", {"to": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
])
def test_bad_word_queries_are_refused(make_user, query, errors):
    teacher = make_user()
    room = Room.objects.create(name="Room", teacher=teacher)
    response = client_for(teacher).get(f"/api/v1/classrooms/{room.pk}/words/?{query}")
    assert (response.status_code, response.json()) == (400, errors)
