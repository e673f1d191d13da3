from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from learning_events.models import LearnerDailyStats, LearnerWordDailyStats

from school import factories
from school.dashboards import selectors
from school.dashboards.templatetags.dashboards import duration, percent

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 20)


def active_on(user, *offsets: int) -> None:
    LearnerDailyStats.objects.bulk_create(
        [LearnerDailyStats(user=user, date=TODAY + timedelta(days=n), words_practiced=1) for n in offsets])


@pytest.mark.parametrize(("offsets", "streak"), [
    ((), 0),
    ((0,), 1),
    ((0, -1, -2, -4), 3),
    ((-1, -2), 2),  # today is not over: yesterday's streak still counts
    ((-2, -3), 0),
    ((0, -2), 1),
    ((1, -1), 1),  # a day after "today" (another time zone's tomorrow) is not counted
])
def test_current_streak(offsets, streak):
    user = factories.UserFactory()
    active_on(user, *offsets)
    active_on(factories.UserFactory(), 0, -1, -2, -3)  # someone else's days do not count
    assert selectors.current_streak(user.pk, TODAY) == streak


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


def test_weakest_words_rank_missed_words_by_accuracy_within_the_range():
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
    assert selectors.weakest_words(user.pk, d1, d2, min_attempts=3) == [
        {"word_id": 3, "attempts": 6, "correct": 2, "accuracy": 2 / 6, "last_correct": False},
        {"word_id": 2, "attempts": 3, "correct": 1, "accuracy": 1 / 3, "last_correct": True},
        {"word_id": 1, "attempts": 4, "correct": 2, "accuracy": 0.5, "last_correct": True},
    ]
    assert [w["word_id"] for w in selectors.weakest_words(user.pk, d1, d2, min_attempts=3, limit=1)] == [3]


def test_with_words_names_the_pipelines_word_ids():
    word = factories.WordFactory(text="gato", translation="cat")
    assert selectors.with_words([{"word_id": word.pk}, {"word_id": 999999}]) == [
        {"word_id": word.pk, "word": word}, {"word_id": 999999, "word": None}]


@pytest.mark.parametrize(("ratio", "shown"), [(None, "–"), (0.0, "0%"), (6 / 11, "55%"), (1.0, "100%")])
def test_percent(ratio, shown):
    assert percent(ratio) == shown


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0 min"), (None, "0 min"), (59, "< 1 min"), (60, "1 min"), (1500, "25 min"), (3600, "1 h 00 min"),
    (31678, "8 h 47 min"),
])
def test_duration(seconds, shown):
    assert duration(seconds) == shown
