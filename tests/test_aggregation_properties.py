"""Property: whatever the event stream, the stored rollups equal a recomputation from the events.

Streams mix overlapping sessions, missing starts and ends, idle gaps, midnight and clock-change
crossings, learners in several time zones, timed activities (reading, games, exam answers) with their
per-activity seconds and game scores, repeated session ids in other spellings,
duplicates (re-sent event ids, and identical events under new ids) and late arrivals (a second batch
after a first rollup). Runs on SQLite and PostgreSQL alike.
"""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning_events import aggregation
from learning_events.models import (
    ClassroomDailyStats,
    ClassroomWordDailyStats,
    DirtyDay,
    LearnerClassroomDailyStats,
    LearnerClassroomWordDailyStats,
    LearnerDailyStats,
    LearnerWordDailyStats,
    LearningEvent,
)
from tests.rollups import event, log, recompute, stored
from tests.testapp.models import Room

pytestmark = pytest.mark.django_db

# Around the night of 28-29 March 2026: Paris springs forward, Auckland is near its own midnight.
BASE = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
SPAN_MINUTES = 36 * 60
DAYS = [date(2026, 3, 27) + timedelta(days=n) for n in range(5)]
ZONES = ["Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]
SESSIONS = [uuid.UUID(int=n + 1) for n in range(3)]
SPELLINGS = [lambda u: str(u), lambda u: str(u).upper(), lambda u: u.hex]


@st.composite
def streams(draw):
    """A list of (learner index, room index or None, event type, minute, context) tuples."""
    items = []
    for _ in range(draw(st.integers(1, 40))):
        learner = draw(st.integers(0, len(ZONES) - 1))
        room = draw(st.sampled_from([None, 0, 1]))
        minute = draw(st.floats(0, SPAN_MINUTES, allow_nan=False))
        kind = draw(st.sampled_from(["practice_start", "practice_end", "word_correct", "word_incorrect",
                                     "word_correct", "game_complete", "content_complete", "content_view",
                                     "exam_answer"]))
        if kind in ("practice_start", "practice_end"):
            context = {"session_id": draw(st.sampled_from(SPELLINGS))(draw(st.sampled_from(SESSIONS)))}
        elif kind.startswith("word_"):
            context = {"word_id": draw(st.integers(1, 4))}
            if draw(st.booleans()):
                context["session_id"] = draw(st.sampled_from(SPELLINGS))(draw(st.sampled_from(SESSIONS)))
        else:
            duration = draw(st.sampled_from([None, 0, 0.5, 59.999999, 600, 3600.25, 10**9]))
            if kind == "exam_answer":  # the first answer of a timed submission carries its duration
                context = {"exam_id": 1, "question_id": 1, "submission_id": 1, "correct": draw(st.booleans())}
            elif kind == "game_complete":  # scores exact in binary, so that sums in any order are equal
                context = {"game_id": 1, "score": draw(st.sampled_from([0, 1, 2.5, -3, 0.25, 100]))}
            else:
                context = {"content_id": 1, "content_type": "story"}
            if duration is not None or kind == "game_complete":
                context["duration_seconds"] = duration or 0
        # A burst: several answers a few seconds to a dozen minutes apart, so sessions actually chain.
        repeat = draw(st.integers(1, 4))
        gap = draw(st.sampled_from([0, 0.1, 3, 9.99, 10, 11]))
        for n in range(repeat):
            items.append((learner, room, kind, min(minute + n * gap, SPAN_MINUTES), context))
    return items


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=streams(), late=streams(), resend=st.integers(0, 5))
def test_stored_rollups_equal_a_recomputation_from_the_events(make_user, first, late, resend):
    for model in (LearningEvent, DirtyDay, LearnerDailyStats, LearnerClassroomDailyStats, ClassroomDailyStats,
                  LearnerWordDailyStats, LearnerClassroomWordDailyStats, ClassroomWordDailyStats):
        model.objects.all().delete()
    learners = _learners(make_user)
    rooms = _rooms()

    def items(stream):
        return [event(learners[who], kind, BASE + timedelta(minutes=minute), rooms[room] if room is not None else None,
                      **context) | {"event_id": uuid.uuid4()}
                for who, room, kind, minute, context in stream]

    first_items = items(first)
    log(*first_items)
    aggregation.rollup_dirty_days()
    # Late arrivals, re-sent ids (skipped) and identical events under new ids (counted).
    log(*items(late), *first_items[:resend], *[item | {"event_id": uuid.uuid4()} for item in first_items[:resend]])
    aggregation.rollup_dirty_days()
    user_ids = [u.pk for u in learners]
    expected = recompute(user_ids, DAYS)
    assert stored() == expected
    for day in DAYS:  # a full rollup of every day changes nothing
        aggregation.rollup_day(day)
    assert stored() == expected
    assert DirtyDay.objects.count() == 0



def _learners(make_user):
    from django.contrib.auth import get_user_model

    existing = list(get_user_model().objects.filter(username__startswith="prop-").order_by("username"))
    return existing or [make_user(time_zone=zone, username=f"prop-{i}") for i, zone in enumerate(ZONES)]


def _rooms():
    return list(Room.objects.order_by("id")) or [Room.objects.create(name=f"Room {i}") for i in range(2)]
