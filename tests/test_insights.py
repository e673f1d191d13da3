"""Insight figures and summaries on built scenarios: events logged at chosen times, rolled up day by day,
then every figure and the whole summary asserted; and the pure rules (windows, streaks, falling behind)."""

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest

from learning_events import aggregation, insights
from learning_events.selectors import classroom_members
from tests import words
from tests.rollups import event, log
from tests.testapp.models import Room
from tests.words import unnamed

D = date(2026, 3, 10)  # the as-of day of the scenarios


def practise(user, day: date, answers: dict[int, str], room=None, minutes: int | None = None) -> list[dict]:
    """One day's word answers (``{word_id: "++-"}``, + right, - wrong), one a minute from 09:01 UTC; inside a
    practice session from 09:00 to 09:00 + ``minutes`` when given (so its time on task is ``minutes``)."""
    start = datetime.combine(day, time(9), tzinfo=UTC)
    session = {"session_id": str(uuid.uuid4())} if minutes else {}
    items = [event(user, "practice_start", start, room, **session)] if minutes else []
    n = 0
    for word_id, outcomes in answers.items():
        for outcome in outcomes:
            n += 1
            items.append(event(user, "word_correct" if outcome == "+" else "word_incorrect",
                               start + timedelta(minutes=n), room, word_id=word_id, **session))
    if minutes:
        items.append(event(user, "practice_end", start + timedelta(minutes=minutes), room, **session))
    return items


def roll(items: list[dict]) -> None:
    """Log ``items`` and roll up each of their days."""
    log(*items)
    for day in sorted({item["occurred_at"].date() for item in items}):
        aggregation.rollup_day(day)


def period(start: date, end: date, **figures):
    return {"from": start, "to": end, "active_days": 0, "words_practiced": 0, "words_correct": 0, "unique_words": 0,
            "accuracy": None, "time_spent": 0, "time_per_active_day": None, **figures}


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


# --- a learner -------------------------------------------------------------------------------------------


@pytest.fixture
def ann(make_user):
    """A learner with eight active days in the last 28 (three in a row up to D) and one before them."""
    ann = make_user(username="ann")
    roll([
        *practise(ann, date(2026, 2, 1), {3: "++-", 4: "++"}, minutes=10),
        *practise(ann, date(2026, 2, 15), {3: "+", 12: "---+"}, minutes=12),
        *practise(ann, date(2026, 2, 24), {8: "++-"}),
        *practise(ann, date(2026, 2, 25), {10: "+++", 7: "+-+"}, minutes=15),
        *practise(ann, date(2026, 3, 1), {5: "++"}, minutes=5),
        *practise(ann, date(2026, 3, 5), {12: "-+-", 7: "-+-"}, minutes=12),
        *practise(ann, date(2026, 3, 8), {12: "+-+"}, minutes=6),
        *practise(ann, date(2026, 3, 9), {5: "+++"}),
        event(ann, "content_complete", at(date(2026, 3, 9)), content_id=1, content_type="story",
              duration_seconds=300),
        event(ann, "game_complete", at(D), game_id=1, score=10, duration_seconds=240),
    ])
    return ann


@pytest.mark.django_db
def test_a_learners_insights_hold_every_figure_and_say_them(ann):
    assert insights.learner_insights(ann.pk, name="Ann", as_of=D) == {
        "learner": ann.pk, "name": "Ann", "as_of": D, "min_attempts": 5,
        "last_7_days": {
            "current": period(date(2026, 3, 4), D, active_days=4, words_practiced=12, words_correct=7,
                              unique_words=3, accuracy=7 / 12, time_spent=1620, time_per_active_day=405),
            "previous": period(date(2026, 2, 25), date(2026, 3, 3), active_days=2, words_practiced=8,
                               words_correct=7, unique_words=3, accuracy=7 / 8, time_spent=1200,
                               time_per_active_day=600),
            "change": {"active_days": 2, "words_practiced": 4, "time_spent": 420, "accuracy_points": -29.2},
        },
        "last_28_days": {
            "current": period(date(2026, 2, 11), D, active_days=8, words_practiced=28, words_correct=18,
                              unique_words=6, accuracy=18 / 28, time_spent=3540, time_per_active_day=442),
            "previous": period(date(2026, 1, 14), date(2026, 2, 10), active_days=1, words_practiced=5,
                               words_correct=4, unique_words=2, accuracy=0.8, time_spent=600,
                               time_per_active_day=600),
            "change": {"active_days": 7, "words_practiced": 23, "time_spent": 2940, "accuracy_points": -15.7},
        },
        "streak": {"current": 3, "last_active": D},
        # Word 5 (5 of 5) is never missed: not weak. Word 10 (3 attempts) and 8 (3) are under the minimum.
        "weakest_words": [unnamed(12, attempts=10, correct=4, accuracy=0.4),
                          unnamed(7, attempts=6, correct=3, accuracy=0.5)],
        # Word 8 last on D-14 is stale, word 10 on D-13 is not; word 4 has 2 attempts only.
        "stale_words": [
            unnamed(3, attempts=4, correct=3, accuracy=0.75, last_practiced=date(2026, 2, 15)),
            unnamed(8, attempts=3, correct=2, accuracy=2 / 3, last_practiced=date(2026, 2, 24)),
        ],
        "summary": (
            "In the last 7 days Ann practised 12 words on 4 days (up from 8), with 58% accuracy (down 30 points "
            "from 88%), and spent 27 min on task (6 min per active day). In the last 28 days Ann practised 28 "
            "words on 8 days (up from 5), with 64% accuracy (down 16 points from 80%), and spent 59 min on task "
            "(7 min per active day). Current streak: 3 days. Weakest words: #12 (40% of 10), #7 (50% of 6). "
            "Not practised for 14 days or more: #3 (last on 2026-02-15), #8 (last on 2026-02-24)."
        ),
    }


@pytest.mark.django_db
def test_the_hosts_word_names_reach_the_figures_and_the_summary_in_one_call(ann, settings):
    settings.LEARNING_EVENTS_WORD_NAMES = words.HOOK
    words.CALLS.clear()
    result = insights.learner_insights(ann.pk, name="Ann", as_of=D)
    assert (result["weakest_words"], result["stale_words"]) == (
        [words.named(12, attempts=10, correct=4, accuracy=0.4), words.named(7, attempts=6, correct=3, accuracy=0.5)],
        [words.named(3, attempts=4, correct=3, accuracy=0.75, last_practiced=date(2026, 2, 15)),
         words.named(8, attempts=3, correct=2, accuracy=2 / 3, last_practiced=date(2026, 2, 24))],
    )
    assert result["weakest_words"][0] == {"word_id": 12, "text": 'el "ojo"', "translation": "eye, the",
                                          "language": "es", "attempts": 10, "correct": 4, "accuracy": 0.4}
    assert result["summary"].endswith(
        'Current streak: 3 days. Weakest words: "el \\"ojo\\"" ("eye, the", es; 40% of 10), "perro" ("dog", es; 50% of '
        '6). Not practised for 14 days or more: "gato" ("cat", es; last on 2026-02-15), "chien" ("dog", fr; last '
        'on 2026-02-24).')
    assert words.CALLS == [[3, 7, 8, 12]]  # every word of both lists, named at once


@pytest.mark.django_db
def test_words_the_host_no_longer_has_keep_their_id_and_figures(ann, settings):
    settings.LEARNING_EVENTS_WORD_NAMES = words.HOOK
    result = insights.learner_insights(ann.pk, name="Ann", as_of=date(2026, 3, 20))
    # Word 10 is not in the host's vocabulary (deleted since): by id, names null.
    assert result["stale_words"] == [
        words.named(3, attempts=4, correct=3, accuracy=0.75, last_practiced=date(2026, 2, 15)),
        words.named(8, attempts=3, correct=2, accuracy=2 / 3, last_practiced=date(2026, 2, 24)),
        unnamed(10, attempts=3, correct=3, accuracy=1.0, last_practiced=date(2026, 2, 25)),
        words.named(7, attempts=6, correct=3, accuracy=0.5, last_practiced=date(2026, 3, 5)),
    ]
    assert result["summary"].endswith(
        'Not practised for 14 days or more: "gato" ("cat", es; last on 2026-02-15), "chien" ("dog", fr; last on '
        '2026-02-24), #10 (last on 2026-02-25), "perro" ("dog", es; last on 2026-03-05).')


@pytest.mark.parametrize(("word", "said"), [
    (words.named(7), '"perro" ("dog", es; 50% of 6)'),
    (words.named(20), '"Haus" (50% of 6)'),  # neither translation nor language known
    ({**words.named(7), "language": None}, '"perro" ("dog"; 50% of 6)'),
    ({**words.named(7), "translation": None}, '"perro" (es; 50% of 6)'),
    (unnamed(9), "#9 (50% of 6)"),  # no hook, or a deleted word
    ({"word_id": 9}, "#9 (50% of 6)"),
])
def test_a_word_is_said_by_name_when_the_host_names_it(word, said):
    assert insights.named_word(word, "50% of 6") == said


@pytest.mark.django_db
def test_an_earlier_as_of_day_ignores_what_came_after(ann):
    result = insights.learner_insights(ann.pk, name="Ann", as_of=date(2026, 3, 6))
    assert (result["streak"], result["last_7_days"]["current"]) == (
        # 6 March has no activity yet: the streak still ends on the 5th.
        {"current": 1, "last_active": date(2026, 3, 5)},
        period(date(2026, 2, 28), date(2026, 3, 6), active_days=2, words_practiced=8, words_correct=4,
               unique_words=3, accuracy=0.5, time_spent=1020, time_per_active_day=510),
    )
    # Word 8 (last on 24 February) is not stale yet; word 4 (2 attempts) never is.
    assert result["stale_words"] == [
        unnamed(3, attempts=4, correct=3, accuracy=0.75, last_practiced=date(2026, 2, 15))]


@pytest.mark.django_db
def test_the_minimum_of_attempts_is_a_setting(ann, settings):
    settings.LEARNING_EVENTS_INSIGHTS_MIN_ATTEMPTS = 3
    result = insights.learner_insights(ann.pk, name="Ann", as_of=D)
    assert (result["min_attempts"], result["weakest_words"]) == (3, [
        unnamed(12, attempts=10, correct=4, accuracy=0.4),
        unnamed(7, attempts=6, correct=3, accuracy=0.5),
        unnamed(8, attempts=3, correct=2, accuracy=2 / 3),
    ])


@pytest.mark.django_db
def test_a_learner_with_no_data_gets_zeros_and_a_plain_sentence(user):
    assert insights.learner_insights(user.pk, name="Zoe", as_of=D) == {
        "learner": user.pk, "name": "Zoe", "as_of": D, "min_attempts": 5,
        "last_7_days": {
            "current": period(date(2026, 3, 4), D), "previous": period(date(2026, 2, 25), date(2026, 3, 3)),
            "change": {"active_days": 0, "words_practiced": 0, "time_spent": 0, "accuracy_points": None},
        },
        "last_28_days": {
            "current": period(date(2026, 2, 11), D), "previous": period(date(2026, 1, 14), date(2026, 2, 10)),
            "change": {"active_days": 0, "words_practiced": 0, "time_spent": 0, "accuracy_points": None},
        },
        "streak": {"current": 0, "last_active": None},
        "weakest_words": [], "stale_words": [],
        "summary": "No practice in the last 28 days.",
    }


@pytest.mark.django_db
def test_a_learner_back_from_a_break_is_told_when_and_what_to_review(user):
    roll(practise(user, date(2026, 1, 20), {4: "+--"}))
    roll([event(user, "content_view", at(date(2026, 3, 9)), content_id=2, content_type="article")])
    result = insights.learner_insights(user.pk, name="Zoe", as_of=date(2026, 2, 25))
    assert result["summary"] == ("No practice in the last 28 days. Last active on 2026-01-20. "
                                 "Not practised for 14 days or more: #4 (last on 2026-01-20).")
    back = insights.learner_insights(user.pk, name="Zoe", as_of=D)
    assert (back["last_7_days"]["current"], back["summary"]) == (
        period(date(2026, 3, 4), D, active_days=1, time_per_active_day=0),
        "In the last 7 days Zoe was active on 1 day but practised no words. In the last 28 days Zoe was "
        "active on 1 day but practised no words (down from 3). Current streak: 1 day. "
        "Not practised for 14 days or more: #4 (last on 2026-01-20).",
    )


@pytest.mark.django_db
def test_a_quiet_week_after_an_active_one(user):
    roll(practise(user, date(2026, 3, 2), {1: "+-"}, minutes=3))
    result = insights.learner_insights(user.pk, name="Zoe", as_of=D)
    assert result["summary"] == (
        "In the last 7 days Zoe was not active (active on 1 day in the 7 days before). In the last 28 days Zoe "
        "practised 2 words on 1 day (up from 0), with 50% accuracy, and spent 3 min on task (3 min per active "
        "day). No current streak; last active on 2026-03-02."
    )


@pytest.mark.django_db
def test_local_days_are_the_learners(make_user):
    """A learner in Tokyo: 23:30 UTC on 9 March is their 10 March."""
    learner = make_user(time_zone="Asia/Tokyo")
    log(*practise(learner, date(2026, 3, 9), {1: "+"}),
        event(learner, "word_correct", datetime(2026, 3, 9, 23, 30, tzinfo=UTC), word_id=1))
    aggregation.rollup_dirty_days()
    result = insights.learner_insights(learner.pk, name="Kei", as_of=D)
    assert (result["streak"], result["last_7_days"]["current"]["active_days"]) == (
        {"current": 2, "last_active": D}, 2)


# --- a classroom -----------------------------------------------------------------------------------------


@pytest.fixture
def room(make_user):
    """Six members: ann steady (last active D-6), bob down 20 points, cid last active D-7, dan never active,
    eve down exactly 15 points, fay down steeply on too few attempts."""
    room = Room.objects.create(name="Room 1", teacher=make_user(username="teacher"))
    ann, bob, cid, dan, eve, fay = (make_user(username=name) for name in ("ann", "bob", "cid", "dan", "eve", "fay"))
    room.members.add(ann, bob, cid, dan, eve, fay)
    roll([
        *practise(ann, date(2026, 2, 10), {6: "++-"}, room),
        *practise(ann, date(2026, 3, 2), {1: "++++-"}, room),
        *practise(ann, date(2026, 3, 4), {1: "++++-"}, room),
        *practise(ann, date(2026, 3, 9), {1: "-----"}),  # outside the room: not counted
        *practise(bob, date(2026, 3, 1), {2: "++++-"}, room),
        *practise(bob, date(2026, 3, 8), {2: "+++--"}, room),
        event(bob, "game_complete", at(date(2026, 3, 8), 12), room, game_id=1, score=3, duration_seconds=600),
        *practise(cid, date(2026, 3, 3), {3: "+--"}, room),
        *practise(eve, date(2026, 3, 2), {4: "+++++++---"}, room),
        *practise(eve, date(2026, 3, 9), {4: "+++++++++++---------"}, room),
        *practise(fay, date(2026, 3, 2), {5: "+++++"}, room),
        *practise(fay, date(2026, 3, 10), {5: "--+"}, room),
    ])
    return room


def test_a_classrooms_insights_hold_every_figure_and_say_them(room):
    ids = dict(room.members.values_list("username", "id"))
    result = insights.classroom_insights(room.pk, members=classroom_members(room.pk), as_of=D)

    def behind(name, reason, last_active, days_inactive, accuracy, previous_accuracy, points):
        return {"reason": reason, "user_id": ids[name], "name": name, "last_active": last_active,
                "days_inactive": days_inactive, "accuracy": accuracy, "previous_accuracy": previous_accuracy,
                "accuracy_points": points}

    assert result == {
        "classroom": room.pk, "as_of": D, "min_attempts": 5, "members": 6,
        "last_7_days": {
            "current": period(date(2026, 3, 4), D, active_days=4, words_practiced=33, words_correct=19,
                              unique_words=4, accuracy=19 / 33, time_spent=600, time_per_active_day=150,
                              active_learners=4),
            "previous": period(date(2026, 2, 25), date(2026, 3, 3), active_days=3, words_practiced=28,
                               words_correct=21, unique_words=5, accuracy=0.75, time_spent=0,
                               time_per_active_day=0, active_learners=5),
            "change": {"active_days": 1, "words_practiced": 5, "time_spent": 600, "accuracy_points": -17.4},
        },
        "last_28_days": {
            "current": period(date(2026, 2, 11), D, active_days=7, words_practiced=61, words_correct=40,
                              unique_words=5, accuracy=40 / 61, time_spent=600, time_per_active_day=85,
                              active_learners=5),
            "previous": period(date(2026, 1, 14), date(2026, 2, 10), active_days=1, words_practiced=3,
                               words_correct=2, unique_words=1, accuracy=2 / 3, time_spent=0,
                               time_per_active_day=0, active_learners=1),
            "change": {"active_days": 6, "words_practiced": 58, "time_spent": 600, "accuracy_points": -1.1},
        },
        "streak": {"current": 3, "last_active": D},
        "hardest_words": [unnamed(4, attempts=30, correct=18, accuracy=0.6),
                          unnamed(2, attempts=10, correct=7, accuracy=0.7),
                          unnamed(5, attempts=8, correct=6, accuracy=0.75),
                          unnamed(1, attempts=10, correct=8, accuracy=0.8)],
        "stale_words": [
            unnamed(6, attempts=3, correct=2, accuracy=2 / 3, last_practiced=date(2026, 2, 10)),
        ],
        "falling_behind": [
            behind("dan", "inactive", None, None, None, None, None),
            behind("cid", "inactive", date(2026, 3, 3), 7, None, 1 / 3, None),
            behind("bob", "accuracy_drop", date(2026, 3, 8), 2, 0.6, 0.8, -20.0),
            behind("eve", "accuracy_drop", date(2026, 3, 9), 1, 0.55, 0.7, -15.0),
        ],
        "summary": (
            "In the last 7 days the class (4 learners active) practised 33 words on 4 days (up from 28), with 58% "
            "accuracy (down 17 points from 75%), and spent 10 min on task (2 min per active day). In the last 28 "
            "days the class (5 learners active) practised 61 words on 7 days (up from 3), with 66% accuracy "
            "(down 1 point from 67%), and spent 10 min on task (1 min per active day). Current streak: 3 days. "
            "Hardest words: #4 (60% of 30), #2 (70% of 10), #5 (75% of 8), #1 (80% of 10). Not practised for 14 "
            "days or more: #6 (last on 2026-02-10). Falling behind: dan (never active), cid (not active for 7 "
            "days), bob (accuracy 60%, down 20 points from 80%), eve (accuracy 55%, down 15 points from 70%)."
        ),
    }


@pytest.mark.django_db
def test_an_empty_classroom_says_so(make_user):
    room = Room.objects.create(name="Empty")
    result = insights.classroom_insights(room.pk, members={}, as_of=D)
    assert (result["members"], result["streak"], result["hardest_words"], result["falling_behind"],
            result["summary"]) == (0, {"current": 0, "last_active": None}, [], [], "No practice in the last 28 days.")
    ann = make_user(username="ann")
    room.members.add(ann)
    result = insights.classroom_insights(room.pk, members=classroom_members(room.pk), as_of=D)
    assert result["summary"] == "No practice in the last 28 days. Falling behind: ann (never active)."


@pytest.mark.django_db
def test_a_classroom_where_everyone_keeps_up(make_user):
    room = Room.objects.create(name="Room")
    ann = make_user(username="ann")
    room.members.add(ann)
    roll(practise(ann, date(2026, 3, 9), {1: "+"}, room))
    assert insights.classroom_insights(room.pk, members=classroom_members(room.pk), as_of=D)["summary"] == (
        "In the last 7 days the class (1 learner active) practised 1 word on 1 day (up from 0), with 100% accuracy. "
        "In the last 28 days the class (1 learner active) practised 1 word on 1 day (up from 0), with 100% "
        "accuracy. Current streak: 1 day. Nobody is falling behind."
    )


def test_insights_take_a_fixed_number_of_queries(room, django_assert_num_queries):
    """Whatever the number of members, days and words: no query per member or per day."""
    members, eve = classroom_members(room.pk), room.members.get(username="eve")
    with django_assert_num_queries(18):  # active days 1, four windows 3 each, words 2, three member tables 3
        insights.classroom_insights(room.pk, members=members, as_of=D)
    with django_assert_num_queries(11):  # active days 1, four windows 2 each, words 2
        insights.learner_insights(eve.pk, name="Eve", as_of=D)


def test_insights_name_their_words_with_one_call_of_the_host_hook(room, settings):
    """However many words are listed (hardest and stale), the host is asked once; never per word."""
    settings.LEARNING_EVENTS_WORD_NAMES = words.HOOK
    words.CALLS.clear()
    insights.classroom_insights(room.pk, members=classroom_members(room.pk), as_of=D)
    assert words.CALLS == [[1, 2, 4, 5, 6]]


# --- the pure rules --------------------------------------------------------------------------------------


def test_windows_end_on_the_as_of_day_and_compare_with_the_days_before():
    assert insights.window_bounds(D, 7) == ((date(2026, 3, 4), D), (date(2026, 2, 25), date(2026, 3, 3)))
    assert insights.window_bounds(D, 28) == ((date(2026, 2, 11), D), (date(2026, 1, 14), date(2026, 2, 10)))


def days_before(*offsets: int) -> list[date]:
    return [D - timedelta(days=n) for n in offsets]


@pytest.mark.parametrize(("offsets", "streak"), [
    ((), {"current": 0, "last_active": None}),
    ((0,), {"current": 1, "last_active": D}),
    ((0, 1, 2, 4), {"current": 3, "last_active": D}),
    ((1, 2), {"current": 2, "last_active": D - timedelta(days=1)}),  # today has no activity yet
    ((2, 3), {"current": 0, "last_active": D - timedelta(days=2)}),  # yesterday missed: the streak is broken
    ((0, 2), {"current": 1, "last_active": D}),
    (tuple(range(100)), {"current": 100, "last_active": D}),  # longer than any window
])
def test_streak_rules(offsets, streak):
    active, found = insights.walk_active_dates(days_before(*offsets), as_of=D, since=D - timedelta(days=55))
    assert (active, found) == ({day for day in days_before(*offsets) if day >= D - timedelta(days=55)}, streak)


def test_walking_active_days_stops_at_the_first_day_not_needed():
    def dates():
        yield from days_before(0, 1, 3, 60)
        raise AssertionError("read past the streak and the windows")

    assert insights.walk_active_dates(dates(), as_of=D, since=D - timedelta(days=55)) == (
        set(days_before(0, 1, 3)), {"current": 2, "last_active": D})


def row(user_id, active_days=1, words=0, correct=0, last_active=None):
    return {"user_id": user_id, "name": f"u{user_id}", "active_days": active_days, "words_practiced": words,
            "words_correct": correct, "accuracy": correct / words if words else None, "last_active": last_active}


@pytest.mark.parametrize(("recent", "before", "reason"), [
    (row(1, active_days=0), row(1, words=10, correct=9), "inactive"),
    (row(1, words=5, correct=3), row(1, words=5, correct=4), "accuracy_drop"),  # 20 points
    (row(1, words=20, correct=11), row(1, words=10, correct=7), "accuracy_drop"),  # exactly 15 points
    (row(1, words=100, correct=56), row(1, words=10, correct=7), None),  # 14 points
    (row(1, words=4, correct=0), row(1, words=10, correct=10), None),  # too few attempts now
    (row(1, words=10, correct=0), row(1, words=4, correct=4), None),  # too few attempts before
    (row(1, words=10, correct=9), row(1, words=10, correct=5), None),  # better
    (row(1), row(1, active_days=0), None),  # active, no words
])
def test_falling_behind_rules(recent, before, reason):
    flagged = insights.falling_behind(recent=[recent], before=[before], history=[row(1, last_active=D)], as_of=D,
                                      min_attempts=5)
    assert [entry["reason"] for entry in flagged] == ([reason] if reason else [])


def test_falling_behind_orders_the_inactive_first_then_the_biggest_drops():
    recent = [row(1, words=10, correct=5), row(2, active_days=0), row(3, words=10, correct=1), row(4, active_days=0),
              row(5, active_days=0)]
    before = [row(n, words=10, correct=8) for n in range(1, 6)]
    history = [row(1, last_active=D), row(2, last_active=D - timedelta(days=8)), row(3, last_active=D),
               row(4, last_active=None), row(5, last_active=D - timedelta(days=30))]
    flagged = insights.falling_behind(recent=recent, before=before, history=history, as_of=D, min_attempts=5)
    assert [(entry["user_id"], entry["reason"], entry["days_inactive"], entry["accuracy_points"])
            for entry in flagged] == [
        (4, "inactive", None, None), (5, "inactive", 30, None), (2, "inactive", 8, None),
        (3, "accuracy_drop", 0, -70.0), (1, "accuracy_drop", 0, -30.0),
    ]
