"""The memory model: reviews from the rollups, FSRS states updated in bulk, late and duplicate events,
rebuilds, fits, the reviews and retention API (docs/memory.md)."""

import io
import uuid
from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.utils import timezone

from learning_events import aggregation, memory, tasks
from learning_events.models import (
    LearnerWordDailyStats,
    MemoryCalibration,
    MemoryDay,
    MemoryParameters,
    MemoryState,
)
from tests.clients import client_for
from tests.rollups import event, log
from tests.testapp.models import Room

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant of March ``day``, 2026 (UTC)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def answer(user, word_id: int, when: datetime, correct: bool, **kw) -> dict:
    return event(user, "word_correct" if correct else "word_incorrect", when, word_id=word_id, **kw)


def settle() -> None:
    """What the periodic tasks do: roll up the dirty days, then take them into the memory model."""
    aggregation.rollup_dirty_days()
    memory.update_memory()


def states() -> dict[tuple[int, int], tuple]:
    return {(s.user_id, s.word_id): (round(s.stability, 9), round(s.difficulty, 9), s.last_review, s.reviews,
                                     s.lapses, s.due)
            for s in MemoryState.objects.all()}


def expected(user_id: int, word_id: int, reviews: list[tuple[int, bool]]) -> tuple:
    """The state FSRS gives after ``reviews`` ((March day, correct)), with the default scale and calibration."""
    m = memory.replay((date(2026, 3, d), ok) for d, ok in reviews)
    due = m.last_review + timedelta(days=memory.interval_days(m.stability, 1.0, memory.Calibration(), 0.9))
    return (round(m.stability, 9), round(m.difficulty, 9), m.last_review, m.reviews, m.lapses, due)


# --- reviews ---------------------------------------------------------------------------------------------


def test_a_days_review_is_its_first_answer_and_a_tie_counts_as_wrong(user):
    log(answer(user, 3, at(2, 9, 5), True), answer(user, 3, at(2, 9, 1), False),  # logged out of order
        answer(user, 7, at(2, 10), True), answer(user, 7, at(2, 10), False),  # the same instant
        answer(user, 8, at(2, 11), True), answer(user, 8, at(2, 11, 1), False))
    aggregation.rollup_dirty_days()
    rows = {r.word_id: (r.first_correct, r.last_correct) for r in LearnerWordDailyStats.objects.all()}
    assert rows == {3: (False, True), 7: (False, False), 8: (True, False)}


def test_reviews_replay_in_day_order_whatever_the_order_events_arrive(user):
    log(answer(user, 3, at(5), True), answer(user, 3, at(1), False), answer(user, 3, at(1, 9, 30), True),
        answer(user, 3, at(3), True))
    settle()
    assert states() == {(user.pk, 3): expected(user.pk, 3, [(1, False), (3, True), (5, True)])}
    assert MemoryDay.objects.count() == 0


def test_later_days_update_the_stored_state(user):
    log(answer(user, 3, at(1), True), answer(user, 7, at(1), False))
    settle()
    log(answer(user, 3, at(4), False), answer(user, 3, at(4, 10), True))
    settle()
    assert states() == {(user.pk, 3): expected(user.pk, 3, [(1, True), (4, False)]),
                        (user.pk, 7): expected(user.pk, 7, [(1, False)])}


def test_a_late_review_before_the_last_one_rebuilds_the_word(user):
    log(answer(user, 3, at(1), True), answer(user, 3, at(6), True))
    settle()
    log(answer(user, 3, at(3), False))  # arrives after day 6 was taken in
    settle()
    assert states() == {(user.pk, 3): expected(user.pk, 3, [(1, True), (3, False), (6, True)])}


def test_a_late_answer_earlier_on_the_last_day_changes_that_review(user):
    log(answer(user, 3, at(1), True), answer(user, 3, at(6, 12), True))
    settle()
    log(answer(user, 3, at(6, 8), False))  # earlier that day: the day's first answer is now wrong
    settle()
    assert states() == {(user.pk, 3): expected(user.pk, 3, [(1, True), (6, False)])}


def test_a_duplicate_event_counts_once(user):
    event_id = uuid.uuid4()
    log(answer(user, 3, at(1), True))
    log({**answer(user, 3, at(2), False), "event_id": event_id})
    settle()
    log({**answer(user, 3, at(2), False), "event_id": event_id})  # a client's retry of the same event
    settle()
    assert states() == {(user.pk, 3): expected(user.pk, 3, [(1, True), (2, False)])}


def test_rebuilding_from_the_events_gives_the_stored_state(make_user):
    learners = [make_user(), make_user(time_zone="Asia/Tokyo")]
    rng = np.random.default_rng(5)
    for day in (1, 2, 4, 7, 8, 12):  # taken in day by day, with some days arriving late
        batch = [answer(learner, int(word), at(day, int(rng.integers(0, 23))), bool(rng.random() < 0.7))
                 for learner in learners for word in rng.choice([3, 7, 8, 12], size=3)]
        log(*batch)
        settle()
    log(answer(learners[0], 3, at(3), False), answer(learners[1], 7, at(5, 23), True))
    settle()
    incremental = states()
    assert len(incremental) > 4
    call_command("rebuild_memory", stdout=io.StringIO())
    assert states() == incremental
    # And the stored reviews are the events' first answers of each learner-word's local days.
    for (user_id, word_id), state in incremental.items():
        rows = LearnerWordDailyStats.objects.filter(user_id=user_id, word_id=word_id).order_by("date")
        replayed = memory.replay((r.date, r.first_correct) for r in rows)
        assert state[:5] == (round(replayed.stability, 9), round(replayed.difficulty, 9), replayed.last_review,
                             replayed.reviews, replayed.lapses)


def test_rebuild_rolls_up_again_the_days_stored_before_reviews_were(user):
    log(answer(user, 3, at(1, 9), False), answer(user, 3, at(1, 10), True), answer(user, 3, at(4), True))
    settle()
    before = states()
    LearnerWordDailyStats.objects.update(first_correct=None)  # as the migration leaves older rows
    MemoryState.objects.all().delete()
    call_command("rebuild_memory", "--learner", str(user.pk), stdout=io.StringIO())
    assert list(LearnerWordDailyStats.objects.order_by("date").values_list("first_correct", flat=True)) == [
        False, True]
    assert states() == before


def test_rebuild_memory_refuses_bad_arguments():
    with pytest.raises(CommandError, match="positive user ids"):
        call_command("rebuild_memory", "--learner", "0")
    with pytest.raises(CommandError, match="does not go with --learner"):
        call_command("rebuild_memory", "--learner", "3", "--refit")


def test_the_update_task_takes_the_queue_in(user):
    log(answer(user, 3, at(1), True))
    aggregation.rollup_dirty_days()
    assert list(MemoryDay.objects.values_list("user_id", "date")) == [(user.pk, date(2026, 3, 1))]
    tasks.update_memory_task.delay()
    assert states() == {(user.pk, 3): expected(user.pk, 3, [(1, True)])}
    assert MemoryDay.objects.count() == 0


# --- fits ------------------------------------------------------------------------------------------------


def synthetic(scale: float, n: int, seed: int) -> memory.Observations:
    """Observations of a learner whose recall follows FSRS's curve with stability times ``scale``."""
    rng = np.random.default_rng(seed)
    obs = memory.Observations()
    stability = rng.uniform(0.5, 30, n)
    elapsed = rng.integers(1, 60, n)
    p = memory.retrievability(scale * stability, elapsed)
    obs.user.extend([1] * n)
    obs.stability.extend(stability.tolist())
    obs.elapsed.extend(elapsed.astype(float).tolist())
    obs.outcome.extend((rng.random(n) < p).astype(int).tolist())
    return obs


def test_fit_scales_finds_a_learner_who_remembers_longer_or_shorter_and_leaves_small_histories_alone(monkeypatch):
    # The prior pulls towards 1 less and less as the learner's reviews accumulate.
    for truth in (3.0, 0.3):
        fits = [memory.fit_scales(synthetic(truth, n, 1), min_reviews=100)[1] for n in (500, 2000, 20000)]
        assert [reviews for _, reviews in fits] == [500, 2000, 20000]
        errors = [abs(np.log(scale / truth)) for scale, _ in fits]
        assert errors == sorted(errors, reverse=True) and errors[-1] < 0.1
        assert all(min(1, truth) < scale < max(1, truth) for scale, _ in fits)
    monkeypatch.setattr(memory, "SCALE_PRIOR", 0.0)  # without it, the maximum likelihood itself
    assert memory.fit_scales(synthetic(3.0, 2000, 1), min_reviews=100)[1][0] == pytest.approx(3.0, rel=0.05)
    assert memory.fit_scales(synthetic(3.0, 99, 3), min_reviews=100) == {}


def test_fit_calibration_is_about_the_identity_on_fsrs_own_curve_and_corrects_a_scaled_one():
    calibration = memory.fit_calibration(synthetic(1.0, 5000, 4), {})
    assert (calibration.slope, calibration.intercept) == (pytest.approx(1.0, abs=0.15), pytest.approx(0.0, abs=0.15))
    obs = synthetic(4.0, 5000, 5)
    users, stability, elapsed, outcome = obs.arrays()
    corrected = memory.recall(stability, elapsed, 1.0, memory.fit_calibration(obs, {}))
    assert abs(corrected.mean() - outcome.mean()) < 0.01 < abs(memory.retrievability(stability, elapsed).mean()
                                                               - outcome.mean())


def test_refit_stores_scales_and_calibration_and_moves_due_days(user, make_user, settings):
    settings.LEARNING_EVENTS_MEMORY_MIN_REVIEWS = 5
    newcomer = make_user()
    # ``user`` never forgets, even after long gaps; ``newcomer`` has too few reviews for a fit of their own.
    log(*[answer(user, word, at(day), True) for word in (3, 7, 8, 12) for day in (1, 5, 12, 19)],
        answer(newcomer, 3, at(1), True), answer(newcomer, 3, at(2), False))
    settle()
    due_before = MemoryState.objects.get(user=user, word_id=3).due
    summary = memory.refit_memory()
    assert (summary.learners_fitted, summary.reviews) == (1, 13)
    fitted = MemoryParameters.objects.get()
    assert (fitted.user_id, fitted.reviews) == (user.pk, 12) and fitted.scale > 1
    stored = MemoryCalibration.objects.get()
    assert (stored.slope, stored.intercept, stored.reviews) == (
        summary.calibration.slope, summary.calibration.intercept, 13)
    assert memory.current_calibration() == summary.calibration
    state = MemoryState.objects.get(user=user, word_id=3)
    assert state.due == state.last_review + timedelta(
        days=memory.interval_days(state.stability, fitted.scale, summary.calibration, 0.9)) != due_before


def test_refit_with_no_reviews_stores_the_identity(db):
    summary = memory.refit_memory()
    assert (summary.learners_fitted, summary.reviews, summary.calibration) == (0, 0, memory.Calibration())


# --- API -------------------------------------------------------------------------------------------------


def test_my_reviews_lists_due_words_lowest_recall_first(user, settings):
    settings.LEARNING_EVENTS_WORD_NAMES = "tests.words.word_names"
    log(answer(user, 3, at(1), False), answer(user, 7, at(10), True), answer(user, 8, at(2), True),
        answer(user, 12, at(19), True), answer(user, 12, at(20), True))
    settle()
    response = client_for(user).get("/api/v1/me/reviews/?limit=2")
    assert response.status_code == 200
    body = response.json()
    rows = {s.word_id: s for s in MemoryState.objects.all()}
    due = [w for w in rows.values() if w.due <= date(2026, 3, 20)]
    recall = {w.word_id: float(memory.recall(w.stability, (date(2026, 3, 20) - w.last_review).days)) for w in due}
    order = sorted(recall, key=lambda w: (recall[w], w))
    assert order == [3, 8, 7] and 12 not in recall  # word 12 was reviewed today: not due
    assert body == {
        "today": "2026-03-20", "tracked": 4, "due": 3, "mean_recall": pytest.approx(
            np.mean([float(memory.recall(w.stability, (date(2026, 3, 20) - w.last_review).days))
                     for w in rows.values()])),
        "words": [{"word_id": w, "text": name, "translation": meaning, "language": language,
                   "recall": pytest.approx(recall[w]), "due": rows[w].due.isoformat(),
                   "last_review": rows[w].last_review.isoformat(), "stability": pytest.approx(rows[w].stability),
                   "difficulty": pytest.approx(rows[w].difficulty), "reviews": 1, "lapses": lapses}
                  for w, name, meaning, language, lapses in ((3, "gato", "cat", "es", 1), (8, "chien", "dog", "fr", 0))],
    }


def test_a_learner_with_no_history_has_nothing_to_review(user):
    response = client_for(user).get("/api/v1/me/reviews/")
    assert (response.status_code, response.json()) == (
        200, {"today": "2026-03-20", "tracked": 0, "due": 0, "mean_recall": None, "words": []})


def test_my_reviews_use_the_learners_local_day(make_user):
    learner = make_user(time_zone="Pacific/Kiritimati")  # UTC+14: already 21 March there
    log(answer(learner, 3, at(19, 12), True))
    settle()
    assert client_for(learner).get("/api/v1/me/reviews/").json()["today"] == "2026-03-21"


@pytest.mark.parametrize("query, message", [
    ("limit=0", "Ensure this value is greater than or equal to 1."),
    ("limit=101", "Ensure this value is less than or equal to 100."),
    ("limit=many", "A valid integer is required."),
])
def test_bad_limits_are_400(user, query, message):
    response = client_for(user).get(f"/api/v1/me/reviews/?{query}")
    assert (response.status_code, response.json()) == (400, {"limit": [message]})


def test_reviews_and_retention_need_a_login():
    assert client_for().get("/api/v1/me/reviews/").status_code == 401
    assert client_for().get("/api/v1/classrooms/1/retention/").status_code == 401


def test_classroom_retention_ranks_words_and_learners(make_user):
    teacher, ana, ben, idle = make_user(username="teacher"), make_user(username="ana"), make_user(username="ben"), \
        make_user(username="cy")
    room = Room.objects.create(name="R", teacher=teacher)
    room.members.add(ana, ben, idle)
    log(answer(ana, 3, at(1), False, room=room), answer(ana, 7, at(2), True, room=room),
        answer(ben, 3, at(18), True, room=room), answer(ben, 7, at(19), True, room=room),
        answer(ben, 8, at(1), True))  # practised outside the room: not among the room's words
    settle()
    body = client_for(teacher).get(f"/api/v1/classrooms/{room.pk}/retention/").json()
    today = date(2026, 3, 20)
    s = {(x.user_id, x.word_id): x for x in MemoryState.objects.all()}
    p = {k: float(memory.recall(x.stability, (today - x.last_review).days)) for k, x in s.items()}
    words = sorted([(3, (p[ana.pk, 3] + p[ben.pk, 3]) / 2), (7, (p[ana.pk, 7] + p[ben.pk, 7]) / 2)],
                   key=lambda w: w[1])
    assert [w["word_id"] for w in body["words"]] == [w for w, _ in words]
    assert body["words"][0]["learners"] == 2
    assert [(r["name"], r["tracked"]) for r in body["learners"]] == [("ana", 2), ("ben", 3), ("cy", 0)]
    assert body["learners"][0]["overdue"] == sum(s[ana.pk, w].due < today for w in (3, 7)) == 2
    assert body["learners"][2] == {"user_id": idle.pk, "name": "cy", "tracked": 0, "due": 0, "overdue": 0,
                                   "mean_recall": None}


def test_classroom_retention_is_for_its_teacher_only(make_user):
    teacher, other, learner = make_user(), make_user(), make_user()
    room = Room.objects.create(name="R", teacher=teacher)
    room.members.add(learner)
    assert client_for(teacher).get(f"/api/v1/classrooms/{room.pk}/retention/").status_code == 200
    for who in (other, learner):
        response = client_for(who).get(f"/api/v1/classrooms/{room.pk}/retention/")
        assert (response.status_code, response.json()) == (
            403, {"detail": "Only this room's teacher can read its statistics."})
    assert client_for(teacher).get(f"/api/v1/classrooms/{room.pk + 1}/retention/").status_code == 404


@pytest.mark.postgres
def test_an_update_waits_for_another_writer_of_states(user):
    # Two overlapping runs taking different days of one learner-word would each write a state missing the
    # other's review: writers hold the memory lock.
    if connection.vendor != "postgresql":
        pytest.skip("the memory lock is a PostgreSQL advisory lock; SQLite serialises writers itself")
    log(answer(user, 3, at(1), True))
    aggregation.rollup_dirty_days()
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [memory.MEMORY_LOCK_KEY])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        with pytest.raises(OperationalError, match="lock timeout"):
            memory.update_memory()
        other.execute("SELECT pg_advisory_unlock(%s)", [memory.MEMORY_LOCK_KEY])
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = 0")
    memory.update_memory()
    assert states() == {(user.pk, 3): expected(user.pk, 3, [(1, True)])}
