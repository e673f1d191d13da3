"""The dashboards' own selectors, and the pipeline's shared reads the learner's page relies on (the streak
and the weakest words with the latest result), checked on the school's database."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from learning_events import insights
from learning_events.models import LearnerDailyStats, LearnerWordDailyStats
from learning_events.selectors import learner_weakest_words

from school import factories
from school.dashboards import selectors
from school.dashboards.templatetags.dashboards import duration, percent

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 20)


def active_on(user, *offsets: int) -> None:
    LearnerDailyStats.objects.bulk_create(
        [LearnerDailyStats(user=user, date=TODAY + timedelta(days=n), words_practiced=1) for n in offsets])


def days(*offsets: int) -> date | None:
    return TODAY + timedelta(days=offsets[0]) if offsets else None


@pytest.mark.parametrize(("offsets", "streak"), [
    ((), {"current": 0, "last_active": None}),
    ((0,), {"current": 1, "last_active": days(0)}),
    ((0, -1, -2, -4), {"current": 3, "last_active": days(0)}),
    ((-1, -2), {"current": 2, "last_active": days(-1)}),  # today is not over: yesterday's streak still counts
    ((-2, -3), {"current": 0, "last_active": days(-2)}),
    ((0, -2), {"current": 1, "last_active": days(0)}),
    ((1, -1), {"current": 1, "last_active": days(-1)}),  # a day after "today" (another zone's tomorrow) is not
])
def test_learner_streak(offsets, streak, django_assert_num_queries):
    user = factories.UserFactory()
    active_on(user, *offsets)
    active_on(factories.UserFactory(), 0, -1, -2, -3)  # someone else's days do not count
    with django_assert_num_queries(1):
        assert insights.learner_streak(user.pk, as_of=TODAY) == streak


def test_today_is_the_persons_own_local_day(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2025, 3, 20, 20, 0, tzinfo=UTC))
    ahead = factories.UserFactory(profile__time_zone="Pacific/Kiritimati")  # UTC+14
    behind = factories.UserFactory(profile__time_zone="Pacific/Pago_Pago")  # UTC-11
    without_profile = factories.UserFactory(profile=None)
    assert [selectors.today_for(u) for u in (ahead, behind, without_profile)] == [
        date(2025, 3, 21), date(2025, 3, 20), date(2025, 3, 20)]


def word_day(user, day: date, word_id: int, attempts: int, correct: int, last_correct: bool, hour: int = 9):
    at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    return LearnerWordDailyStats(user=user, date=day, word_id=word_id, attempts=attempts, correct=correct,
                                 first_seen=at, last_seen=at, last_correct=last_correct)


def test_weakest_words_rank_by_accuracy_within_the_range_with_the_latest_result():
    user = factories.UserFactory()
    d1, d2 = date(2025, 3, 18), date(2025, 3, 19)
    LearnerWordDailyStats.objects.bulk_create([
        word_day(user, d1, 1, 2, 0, False), word_day(user, d2, 1, 2, 2, True),  # 2/4, last try right
        word_day(user, d1, 2, 3, 1, True),  # 1/3
        word_day(user, d2, 3, 6, 2, False),  # 2/6 = 1/3 too, more attempts: first
        word_day(user, d2, 4, 5, 5, True),  # never missed: not weak
        word_day(user, d2, 5, 2, 0, False),  # too few attempts
        word_day(user, date(2025, 3, 10), 6, 9, 0, False),  # outside the range
        word_day(factories.UserFactory(), d2, 7, 9, 0, False),  # someone else's
    ])
    weakest = [
        {"word_id": 3, "attempts": 6, "correct": 2, "accuracy": 2 / 6, "last_correct": False},
        {"word_id": 2, "attempts": 3, "correct": 1, "accuracy": 1 / 3, "last_correct": True},
        {"word_id": 1, "attempts": 4, "correct": 2, "accuracy": 0.5, "last_correct": True},
    ]
    never_missed = {"word_id": 4, "attempts": 5, "correct": 5, "accuracy": 1.0, "last_correct": True}
    assert learner_weakest_words(user.pk, min_attempts=3, start=d1, end=d2, with_last_correct=True) == [
        *weakest, never_missed]
    assert insights.never_perfect(learner_weakest_words(  # what the learner's page shows
        user.pk, min_attempts=3, start=d1, end=d2, with_last_correct=True)) == weakest
    assert learner_weakest_words(user.pk, min_attempts=3, limit=1, start=d1, end=d2, with_last_correct=True) == [
        weakest[0]]
    assert learner_weakest_words(user.pk, min_attempts=3, limit=1, start=d1, end=d2) == [  # one query less
        {"word_id": 3, "attempts": 6, "correct": 2, "accuracy": 2 / 6}]


@pytest.mark.parametrize(("ratio", "shown"), [(None, "–"), (0.0, "0%"), (6 / 11, "55%"), (1.0, "100%")])
def test_percent(ratio, shown):
    assert percent(ratio) == shown


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0 min"), (None, "0 min"), (59, "< 1 min"), (60, "1 min"), (1500, "25 min"), (3600, "1 h 00 min"),
    (31678, "8 h 47 min"),
])
def test_duration(seconds, shown):
    assert duration(seconds) == shown
