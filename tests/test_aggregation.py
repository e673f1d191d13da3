"""Rollups, case by case: the figures, time on task's rules, local days, idempotency, dirty days, scale."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learning_events import aggregation, services
from learning_events.models import ClassroomDailyStats, DirtyDay, LearnerDailyStats, LearnerWordDailyStats
from tests.rollups import ZERO, event, log, recompute, stored, stored_learner_days
from tests.testapp.models import Clock, Room

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
S1, S2 = str(uuid.uuid4()), str(uuid.uuid4())


def at(minutes: float, base: datetime = NOON) -> datetime:
    return base + timedelta(minutes=minutes)


def session(user, sid, minutes, room=None, *, start=True, end=True, base=NOON):
    """practice_start at minutes[0], a word answer at each inner minute, practice_end at minutes[-1]."""
    items = []
    for i, m in enumerate(minutes):
        if i == 0 and start:
            items.append(event(user, "practice_start", at(m, base), room, session_id=sid))
        elif i == len(minutes) - 1 and end:
            items.append(event(user, "practice_end", at(m, base), room, session_id=sid))
        else:
            items.append(event(user, "word_correct", at(m, base), room, word_id=i, session_id=sid))
    return items


def rolled(user, day=DAY):
    """The stored figures of the learner's day after a rollup, checked against the reference."""
    aggregation.rollup_dirty_days()
    figures = stored_learner_days().get((user.pk, day), dict(ZERO))
    assert figures == aggregation.aggregate_daily_stats(user.pk, day)
    return figures


# --- counts ---------------------------------------------------------------------------------------------


def test_daily_figures_count_each_kind_of_event(user, room):
    log(
        event(user, "word_correct", at(1), room, word_id=1),
        event(user, "word_correct", at(2), room, word_id=2),
        event(user, "word_incorrect", at(3), room, word_id=1),
        event(user, "word_incorrect", at(4), word_id=3),
        event(user, "exam_answer", at(5), room, exam_id=1, question_id=1, submission_id=1, correct=True),
        event(user, "exam_answer", at(6), room, exam_id=1, question_id=2, submission_id=1, correct=False),
        event(user, "exam_answer", at(7), room, exam_id=1, question_id=3, submission_id=1, correct=False),
        event(user, "content_view", at(8), content_id=1, content_type="story"),
        event(user, "content_complete", at(9), content_id=1, content_type="story"),
        event(user, "practice_start", at(10), session_id=S1),
        event(user, "practice_start", at(11), session_id=S1.upper()),  # the same session, sent twice
        event(user, "practice_start", at(12), session_id=S2),
    )
    assert rolled(user) == {
        "words_practiced": 4, "words_correct": 2, "words_incorrect": 2, "unique_words": 3, "accuracy": 0.5,
        "exam_answers": 3, "exam_correct": 1, "exam_accuracy": 1 / 3, "content_viewed": 1,
        "content_completed": 1, "games_completed": 0, "sessions": 2,
        "time_spent": 60,  # S1 runs from its start to its repeated start, its last event
        "exam_seconds": 0, "reading_seconds": 0, "game_seconds": 0, "game_score": 0.0,
    }


def test_a_day_with_nothing_is_all_zeros_and_none_ratios(user):
    assert aggregation.aggregate_daily_stats(user.pk, DAY) == ZERO
    assert ZERO["accuracy"] is None and ZERO["exam_accuracy"] is None


def test_word_rows_hold_attempts_first_and_last_seen_and_the_last_result(user, room):
    log(
        event(user, "word_incorrect", at(1), room, word_id=7),
        event(user, "word_correct", at(5), room, word_id=7),
        event(user, "word_correct", at(9), room, word_id=8),
        event(user, "word_incorrect", at(9), room, word_id=8),  # same instant: the incorrect one wins
    )
    aggregation.rollup_dirty_days()
    assert stored()["words"] == {
        (user.pk, DAY, 7): (2, 1, at(1), at(5), True),
        (user.pk, DAY, 8): (2, 1, at(9), at(9), False),
    }
    assert stored()["room_words"] == {(room.pk, DAY, 7): (2, 1, 1), (room.pk, DAY, 8): (2, 1, 1)}


# --- per-activity seconds and game scores ----------------------------------------------------------------


def _exam(user, minutes, room=None, question_id=1, **context):
    return event(user, "exam_answer", at(minutes), room, exam_id=1, question_id=question_id, submission_id=1,
                 correct=True, **context)


def test_each_activity_sums_its_events_durations_and_games_their_scores(user, settings):
    settings.LEARNING_EVENTS_MAX_SESSION_SECONDS = 3600
    log(
        _exam(user, 10, duration_seconds=300.5), _exam(user, 10, question_id=2),  # one timed answer per submission
        event(user, "content_view", at(20), content_id=1, content_type="story", duration_seconds=60.25),
        event(user, "content_complete", at(20), content_id=1, content_type="story", duration_seconds=60.25),
        event(user, "game_complete", at(30), game_id=1, score=7.5, duration_seconds=10**9),  # capped at 3600
        event(user, "game_complete", at(90), game_id=2, score=-2, duration_seconds=0),
    )
    figures = rolled(user)
    assert {name: figures[name] for name in ("exam_seconds", "reading_seconds", "game_seconds", "game_score",
                                             "games_completed", "time_spent")} == {
        "exam_seconds": 300, "reading_seconds": 120, "game_seconds": 3600, "game_score": 5.5, "games_completed": 2,
        # Merged: the game's hour covers the exam and the reading before it.
        "time_spent": 3600,
    }


def test_a_timed_exam_answer_counts_toward_time_on_task_like_any_timed_activity(user):
    log(_exam(user, 30, duration_seconds=20 * 60), _exam(user, 30, question_id=2))
    figures = rolled(user)
    assert (figures["time_spent"], figures["exam_seconds"], figures["exam_answers"]) == (20 * 60, 20 * 60, 2)


def test_a_timed_event_counts_whole_on_its_own_day_while_its_time_on_task_is_split(make_user):
    learner = make_user(time_zone="Asia/Tokyo")  # UTC+9: local midnight is 15:00 UTC
    midnight = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    log(_exam(learner, 0, duration_seconds=30 * 60) | {"occurred_at": at(20, midnight)})
    assert set(DirtyDay.objects.values_list("date", flat=True)) == {DAY, date(2026, 3, 11)}
    before, after = rolled(learner, DAY), rolled(learner, date(2026, 3, 11))
    assert (before["time_spent"], before["exam_seconds"]) == (10 * 60, 0)
    assert (after["time_spent"], after["exam_seconds"]) == (20 * 60, 30 * 60)


def test_a_classroom_sums_its_learners_rounded_seconds_and_scores(make_user, room):
    ann, bob = make_user(), make_user()
    log(event(ann, "game_complete", at(0), room, game_id=1, score=1.25, duration_seconds=10.6),
        event(ann, "game_complete", at(5), room, game_id=1, score=2, duration_seconds=10.6),
        event(ann, "content_complete", at(6), content_id=1, content_type="article", duration_seconds=0.7),
        event(bob, "game_complete", at(0), room, game_id=1, score=3, duration_seconds=0.9),
        event(bob, "content_complete", at(9), room, content_id=1, content_type="article", duration_seconds=0.9))
    aggregation.rollup_dirty_days()
    keys = ("reading_seconds", "game_seconds", "game_score", "games_completed")
    rows = stored()
    # Ann: 21.2 s of games in the room (21 whole seconds), and 0.7 s of reading outside it (0).
    assert {k: rows["learners"][(ann.pk, DAY)][k] for k in keys} == {
        "reading_seconds": 0, "game_seconds": 21, "game_score": 3.25, "games_completed": 2}
    assert {k: rows["learner_rooms"][(bob.pk, room.pk, DAY)][k] for k in keys} == {
        "reading_seconds": 0, "game_seconds": 0, "game_score": 3.0, "games_completed": 1}
    # The classroom: 21 + 0 seconds of games (not 22.1 rounded), 0 + 0 of reading.
    assert {k: rows["rooms"][(room.pk, DAY)][k] for k in keys} == {
        "reading_seconds": 0, "game_seconds": 21, "game_score": 6.25, "games_completed": 3}
    assert rows == recompute([ann.pk, bob.pk], [DAY])


# --- time on task -----------------------------------------------------------------------------------------


def test_a_session_runs_from_its_start_to_its_end(user):
    log(*session(user, S1, [0, 2, 4, 6, 8, 10]))
    assert rolled(user)["time_spent"] == 600


def test_a_gap_of_more_than_ten_minutes_inside_a_session_is_idle(user):
    log(*session(user, S1, [0, 5, 15.5, 20]))  # 5 -> 15.5 is 10.5 minutes: idle
    assert rolled(user)["time_spent"] == 5 * 60 + 270


def test_a_gap_of_exactly_ten_minutes_counts(user):
    log(*session(user, S1, [0, 10]))
    assert rolled(user)["time_spent"] == 600


def test_times_are_exact_to_the_microsecond_just_before_a_whole_second(user):
    # 599.9996 s apart: within the idle gap. (SQLite's strftime rounds to the millisecond: reading the
    # second of 12:09:59.9996 as 12:10:00 once made this gap 600.9996 s, idle.)
    log(*session(user, S1, [0, (10 * 60 - 0.0004) / 60]))
    assert rolled(user)["time_spent"] == 599


def test_without_an_end_a_session_runs_to_its_last_event(user):
    log(*session(user, S1, [0, 3, 7], end=False))
    assert rolled(user)["time_spent"] == 7 * 60


def test_a_start_alone_counts_nothing(user):
    log(event(user, "practice_start", at(0), session_id=S1))
    figures = rolled(user)
    assert (figures["time_spent"], figures["sessions"]) == (0, 1)


def test_events_outside_start_and_end_do_not_count(user):
    log(
        event(user, "word_correct", at(-4), word_id=1, session_id=S1),
        *session(user, S1, [0, 5]),
        event(user, "word_correct", at(9), word_id=1, session_id=S1),
    )
    assert rolled(user)["time_spent"] == 300


def test_an_end_before_its_start_counts_nothing(user):
    log(event(user, "practice_end", at(0), session_id=S1), event(user, "word_correct", at(2), word_id=1, session_id=S1),
        event(user, "practice_start", at(4), session_id=S1))
    assert rolled(user)["time_spent"] == 0


def test_answers_without_a_session_count_no_time(user):
    log(event(user, "word_correct", at(0), word_id=1), event(user, "word_correct", at(1), word_id=2))
    assert rolled(user)["time_spent"] == 0


def test_a_timed_activity_covers_the_time_before_it(user):
    log(event(user, "game_complete", at(30), game_id=1, score=9, duration_seconds=299.9999999),
        event(user, "content_complete", at(60), content_id=1, content_type="article", duration_seconds=90))
    assert rolled(user)["time_spent"] == 299 + 90


def test_a_timed_activity_counts_at_most_max_session(user, settings):
    settings.LEARNING_EVENTS_MAX_SESSION_SECONDS = 3600
    log(event(user, "game_complete", at(0), game_id=1, score=1, duration_seconds=10**9))
    assert rolled(user)["time_spent"] == 3600


def test_overlapping_sessions_and_activities_count_once(user, room):
    log(*session(user, S1, [0, 5, 10]), *session(user, S2, [5, 8, 12, 15], room),
        event(user, "game_complete", at(14), game_id=1, score=1, duration_seconds=6 * 60))
    assert rolled(user)["time_spent"] == 15 * 60
    assert stored()["learner_rooms"][(user.pk, room.pk, DAY)]["time_spent"] == 10 * 60


def test_the_same_session_id_in_two_classrooms_is_two_sessions(make_user):
    learner = make_user()
    rooms = [Room.objects.create(name=f"R{i}") for i in (1, 2)]
    log(event(learner, "practice_start", at(0), rooms[0], session_id=S1),
        event(learner, "word_correct", at(4), rooms[1], word_id=1, session_id=S1),
        event(learner, "practice_end", at(8), rooms[0], session_id=S1))
    assert rolled(learner)["time_spent"] == 8 * 60


def test_a_session_crossing_local_midnight_is_split_between_the_days(make_user):
    learner = make_user(time_zone="America/Lima")  # UTC-5: local midnight is 05:00 UTC
    midnight = datetime(2026, 3, 11, 5, 0, tzinfo=UTC)
    log(*session(learner, S1, [-6, -2, 3, 7], base=midnight))
    assert rolled(learner, DAY)["time_spent"] == 6 * 60
    assert rolled(learner, date(2026, 3, 11))["time_spent"] == 7 * 60


def test_a_timed_activity_reaching_back_over_midnight_marks_and_splits_both_days(make_user):
    learner = make_user(time_zone="Asia/Tokyo")  # UTC+9: local midnight is 15:00 UTC
    midnight = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    log(event(learner, "game_complete", at(20, midnight), game_id=1, score=1, duration_seconds=30 * 60))
    assert set(DirtyDay.objects.values_list("date", flat=True)) == {DAY, date(2026, 3, 11)}
    assert rolled(learner, DAY)["time_spent"] == 10 * 60
    assert rolled(learner, date(2026, 3, 11))["time_spent"] == 20 * 60


def test_a_day_with_a_clock_change_is_its_real_length(make_user):
    learner = make_user(time_zone="Europe/Paris")  # 29 March 2026: 02:00 CET jumps to 03:00 CEST
    spring = date(2026, 3, 29)
    day_start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # local midnight (CET)
    minutes = list(range(0, 23 * 60 + 1, 10))  # a session lasting the whole 23-hour day and beyond
    log(*session(learner, S1, minutes + [23 * 60 + 10], base=day_start))
    assert rolled(learner, spring)["time_spent"] == 23 * 3600


def test_learners_days_follow_their_own_time_zones(make_user):
    tokyo, lima = make_user(time_zone="Asia/Tokyo"), make_user(time_zone="America/Lima")
    instant = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 11 March in Tokyo, 10 March in Lima
    log(event(tokyo, "word_correct", instant, word_id=1), event(lima, "word_correct", instant, word_id=1))
    aggregation.rollup_dirty_days()
    assert set(stored_learner_days()) == {(tokyo.pk, date(2026, 3, 11)), (lima.pk, DAY)}


# --- classrooms ---------------------------------------------------------------------------------------------


def test_a_classroom_day_sums_its_learners_and_counts_the_active_ones(make_user, room):
    ann, bob, idle = make_user(), make_user(time_zone="Asia/Kolkata"), make_user()
    room.members.add(ann, bob, idle)
    log(*session(ann, S1, [0, 4, 8], room), event(ann, "word_correct", at(30), word_id=4),
        event(bob, "word_incorrect", at(60), room, word_id=1), event(bob, "word_correct", at(61), room, word_id=2))
    aggregation.rollup_dirty_days()
    assert stored()["rooms"] == {(room.pk, DAY): {
        "words_practiced": 3, "words_correct": 2, "words_incorrect": 1, "unique_words": 2, "accuracy": 2 / 3,
        "exam_answers": 0, "exam_correct": 0, "exam_accuracy": None, "content_viewed": 0,
        "content_completed": 0, "games_completed": 0, "sessions": 1, "time_spent": 480, "exam_seconds": 0,
        "reading_seconds": 0, "game_seconds": 0, "game_score": 0.0, "active_learners": 2,
    }}
    assert stored() == recompute([ann.pk, bob.pk, idle.pk], [DAY])


def test_rolling_up_one_learner_keeps_the_classmates_share_of_the_classroom(make_user, room):
    ann, bob = make_user(), make_user()
    log(event(ann, "word_correct", at(0), room, word_id=1), event(bob, "word_correct", at(0), room, word_id=1))
    aggregation.rollup_dirty_days()
    aggregation.rollup_day(DAY, [ann.pk])
    assert ClassroomDailyStats.objects.get().words_practiced == 2
    assert stored() == recompute([ann.pk, bob.pk], [DAY])


# --- how it runs ----------------------------------------------------------------------------------------------


def test_rolling_up_twice_gives_the_same_rows(make_user, room):
    learners = [make_user(time_zone=tz) for tz in ("UTC", "Europe/Paris", "Pacific/Auckland")]
    for i, learner in enumerate(learners):
        log(*session(learner, str(uuid.uuid4()), [0, 3, 6 + i], room))
    aggregation.rollup_day(DAY)
    first = stored()
    aggregation.rollup_day(DAY)
    assert stored() == first
    assert first == recompute([u.pk for u in learners], [DAY])


def test_a_learner_day_whose_own_row_was_deleted_by_hand_still_rolls_up(make_user, room):
    # Its word and classroom rows are left behind: the rollup meets them, and deletes by every learner-day.
    learners = [make_user(), make_user()]
    for learner in learners:
        log(*session(learner, str(uuid.uuid4()), [0, 3, 6], room))
    aggregation.rollup_day(DAY)
    first = stored()
    LearnerDailyStats.objects.filter(user=learners[0]).delete()
    assert LearnerWordDailyStats.objects.filter(user=learners[0]).exists()

    assert aggregation.rollup_day(DAY, [learners[0].pk]) == aggregation.RollupSummary(learner_days=2,
                                                                                      classroom_days=1)
    assert stored() == first == recompute([u.pk for u in learners], [DAY])


def test_a_day_rolls_up_in_a_fixed_number_of_queries_whatever_the_number_of_learners(make_user):
    rooms = [Room.objects.create(name=f"R{i}") for i in range(4)]

    def queries_for(count: int) -> int:
        learners = [make_user(time_zone="Europe/Madrid") for _ in range(count)]
        log(*[item for i, u in enumerate(learners) for item in session(u, str(uuid.uuid4()), [0, 1, 2], rooms[i % 4])])
        with CaptureQueriesContext(connection) as queries:
            aggregation.rollup_day(DAY, [u.pk for u in learners])
        return len(queries)

    assert queries_for(2) == queries_for(20)


def test_stale_rows_go_when_their_events_move_to_another_day(user):
    log(event(user, "word_correct", datetime(2026, 3, 10, 23, 0, tzinfo=UTC), word_id=1))
    aggregation.rollup_dirty_days()
    Clock.objects.filter(user=user).update(time_zone="Asia/Tokyo")  # now 11 March, 08:00
    aggregation.rollup_day(DAY, [user.pk])
    aggregation.rollup_day(date(2026, 3, 11), [user.pk])
    assert set(stored_learner_days()) == {(user.pk, date(2026, 3, 11))}
    assert set(LearnerWordDailyStats.objects.values_list("date", flat=True)) == {date(2026, 3, 11)}


def test_a_late_event_is_reflected_by_the_next_dirty_run(user):
    log(*session(user, S1, [0, 5]))
    assert rolled(user)["time_spent"] == 300
    assert DirtyDay.objects.count() == 0
    log(event(user, "word_correct", at(2), word_id=9, session_id=S1))  # a client batch arriving late
    assert rolled(user)["words_practiced"] == 1


def test_days_marked_again_during_a_run_stay_dirty(user, monkeypatch):
    log(event(user, "word_correct", at(0), word_id=1))
    real_rollup = aggregation._rollup

    def rollup_then_a_new_event_arrives(pairs, **kwargs):
        summary = real_rollup(pairs, **kwargs)
        services.log_word_practice(user, 2, True, occurred_at=at(1))
        return summary

    monkeypatch.setattr(aggregation, "_rollup", rollup_then_a_new_event_arrives)
    aggregation.rollup_dirty_days()
    assert list(DirtyDay.objects.values_list("user_id", "date")) == [(user.pk, DAY)]
    monkeypatch.undo()
    assert rolled(user)["words_practiced"] == 2
    assert DirtyDay.objects.count() == 0


def test_dirty_days_roll_up_in_batches(make_user):
    learners = [make_user() for _ in range(5)]
    log(*[event(u, "word_correct", at(0), word_id=1) for u in learners])
    summary = aggregation.rollup_dirty_days(batch_size=2)
    assert (summary.learner_days, DirtyDay.objects.count()) == (5, 0)
    assert set(stored_learner_days()) == {(u.pk, DAY) for u in learners}


def test_the_nightly_pass_rolls_each_learners_previous_local_day(make_user):
    tokyo, lima = make_user(time_zone="Asia/Tokyo"), make_user(time_zone="America/Lima")
    log(event(tokyo, "word_correct", datetime(2026, 3, 10, 3, 0, tzinfo=UTC), word_id=1),  # 10 March, Tokyo
        event(lima, "word_correct", datetime(2026, 3, 9, 20, 0, tzinfo=UTC), word_id=1),  # 9 March, Lima
        event(lima, "word_correct", datetime(2026, 3, 10, 18, 0, tzinfo=UTC), word_id=1))  # 10 March, Lima
    DirtyDay.objects.all().delete()
    now = datetime(2026, 3, 11, 0, 15, tzinfo=UTC)  # 11 March 09:15 in Tokyo, 10 March 19:15 in Lima
    assert aggregation.rollup_previous_local_day(now).learner_days == 2
    # Lima's 10 March is not over yet.
    assert set(stored_learner_days()) == {(tokyo.pk, DAY), (lima.pk, date(2026, 3, 9))}


def test_an_event_marks_only_the_days_it_can_change(make_user):
    learner = make_user(time_zone="Europe/Madrid")
    log(event(learner, "word_correct", datetime(2026, 3, 10, 23, 30, tzinfo=UTC), word_id=1),  # 00:30 on 11th
        event(learner, "practice_start", datetime(2026, 3, 10, 11, 0, tzinfo=UTC), session_id=S1),
        event(learner, "practice_end", datetime(2026, 3, 10, 21, 0, tzinfo=UTC), session_id=S1))  # 22:00 local
    assert sorted(DirtyDay.objects.values_list("date", flat=True)) == [DAY, date(2026, 3, 11)]
    assert LearnerDailyStats.objects.count() == 0
