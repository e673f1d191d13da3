"""Assignment progress from the learning events: each kind's rule, done staying done, overdue in the learner's
own time zone, learners who left, and a query count that does not grow with learners or assignments."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from learning_events import services

from school import factories
from school.classrooms import progress
from school.classrooms.models import Assignment, Membership
from school.classrooms.progress import DONE, IN_PROGRESS, NOT_STARTED, Learner, Progress

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SET_AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)  # when the assignments were set


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def assign(classroom, *, set_at: datetime = SET_AT, due_date: date | None = None, **target) -> Assignment:
    """An assignment set at ``set_at`` (``created_at`` is the insert's time, so it is moved afterwards)."""
    assignment = Assignment.objects.create(classroom=classroom, title="Homework", due_date=due_date, **target)
    Assignment.objects.filter(pk=assignment.pk).update(created_at=set_at)
    assignment.refresh_from_db()
    return assignment


def member(classroom, username: str, time_zone: str = "UTC", display_name: str | None = None):
    user = factories.UserFactory(username=username)
    profile = user.learner_profile
    profile.time_zone, profile.display_name = time_zone, display_name or username
    profile.save()
    factories.MembershipFactory(classroom=classroom, student=user)
    return user


def who(user, name: str | None = None) -> Learner:
    """The ``Learner`` of ``user``, shown as ``name`` (default: their display name, shared by nobody)."""
    profile = user.learner_profile
    return Learner(id=user.pk, username=user.username, display_name=profile.display_name,
                   name=name or profile.display_name, time_zone=profile.time_zone)


def answer(user, word, when: datetime, correct: bool = True, classroom=None) -> None:
    services.log_word_practice(user, word.pk, correct, classroom, occurred_at=when)


def event(user, event_type: str, when: datetime, **context) -> None:
    services.log_event(user, event_type, context, occurred_at=when)


def rows(assignment) -> dict[str, tuple]:
    """``{username: (status, started_at, done_at, overdue, words_answered, words_total)}`` of one assignment."""
    [result] = progress.assignment_progress([assignment])
    return {p.learner.username: (p.status, p.started_at, p.done_at, p.overdue, p.words_answered, p.words_total)
            for p in result.learners}


@pytest.fixture
def words():
    return factories.WordFactory.create_batch(3)


@pytest.fixture
def word_list(words):
    return factories.WordListFactory(words=words)


# --- word lists ----------------------------------------------------------------------------------------------

def test_a_word_list_is_in_progress_after_the_first_answer_and_done_when_every_word_was_answered(
        classroom, word_list, words):
    none, some, all_ = (member(classroom, name) for name in ("none", "some", "all"))
    answer(some, words[0], at(6), correct=False)
    answer(some, words[0], at(7))  # the same word again: still one word
    answer(some, words[1], at(8))
    answer(all_, words[2], at(6, 9))
    answer(all_, words[0], at(6, 10), correct=False)  # an incorrect answer is an answer
    answer(all_, words[1], at(7, 11))
    assert rows(assign(classroom, word_list=word_list)) == {
        "all": (DONE, at(6, 9), at(7, 11), False, 3, 3),
        "none": (NOT_STARTED, None, None, False, 0, 3),
        "some": (IN_PROGRESS, at(6), None, False, 2, 3),
    }


def test_answers_before_the_assignment_was_set_do_not_count(classroom, word_list, words):
    learner = member(classroom, "early")
    for word in words:
        answer(learner, word, SET_AT - timedelta(seconds=1))
    answer(learner, words[1], SET_AT)  # at the instant it was set: counts
    assert rows(assign(classroom, word_list=word_list)) == {"early": (IN_PROGRESS, SET_AT, None, False, 1, 3)}


def test_answers_count_in_any_classroom_or_none(classroom, word_list, words):
    learner = member(classroom, "anywhere")
    elsewhere = factories.ClassroomFactory()
    factories.MembershipFactory(classroom=elsewhere, student=learner)
    answer(learner, words[0], at(6), classroom=elsewhere)
    answer(learner, words[1], at(7), classroom=classroom)
    answer(learner, words[2], at(8))
    assert rows(assign(classroom, word_list=word_list)) == {"anywhere": (DONE, at(6), at(8), False, 3, 3)}


def test_words_outside_the_list_do_not_count(classroom, word_list, words):
    learner = member(classroom, "stray")
    answer(learner, factories.WordFactory(), at(6))
    assert rows(assign(classroom, word_list=word_list)) == {"stray": (NOT_STARTED, None, None, False, 0, 3)}


def test_an_empty_word_list_is_never_started_nor_done(classroom):
    member(classroom, "idle")
    assert rows(assign(classroom, word_list=factories.WordListFactory())) == {
        "idle": (NOT_STARTED, None, None, False, 0, 0)}


def test_the_same_list_assigned_twice_counts_from_each_setting(classroom, word_list, words):
    learner = member(classroom, "twice")
    for word in words:
        answer(learner, word, at(6))
    answer(learner, words[0], at(9))
    first = assign(classroom, word_list=word_list, set_at=at(5))
    again = assign(classroom, word_list=word_list, set_at=at(8))
    assert [(p.assignment.pk, p.counts, [(r.status, r.done_at, r.words_answered) for r in p.learners])
            for p in progress.assignment_progress([first, again])] == [
        (first.pk, {NOT_STARTED: 0, IN_PROGRESS: 0, DONE: 1}, [(DONE, at(6), 3)]),
        (again.pk, {NOT_STARTED: 0, IN_PROGRESS: 1, DONE: 0}, [(IN_PROGRESS, None, 1)]),
    ]


# --- exams, stories and articles, games -----------------------------------------------------------------------

def test_an_exam_is_done_when_a_submission_exists(classroom):
    exam, other_exam = factories.ExamFactory(), factories.ExamFactory()
    sat, absent, wrong_exam = (member(classroom, name) for name in ("sat", "absent", "wrong"))
    for question_id in (1, 2):  # one submission: an answer per question, at one instant
        event(sat, "exam_answer", at(7), exam_id=exam.pk, question_id=question_id, submission_id=9, correct=True)
    event(wrong_exam, "exam_answer", at(7), exam_id=other_exam.pk, question_id=3, submission_id=10, correct=True)
    event(absent, "exam_answer", SET_AT - timedelta(days=1), exam_id=exam.pk, question_id=1, submission_id=8,
          correct=False)  # before it was set
    assert rows(assign(classroom, exam=exam)) == {
        "absent": (NOT_STARTED, None, None, False, None, None),
        "sat": (DONE, at(7), at(7), False, None, None),
        "wrong": (NOT_STARTED, None, None, False, None, None),
    }


@pytest.mark.parametrize("kind", ["story", "article"])
def test_a_story_or_article_is_in_progress_when_viewed_and_done_when_completed(classroom, kind):
    content, other = factories.ContentFactory(kind=kind), factories.ContentFactory(kind=kind)
    viewer, reader, skipper, elsewhere = (member(classroom, n) for n in ("viewer", "reader", "skipper", "elsewhere"))
    event(viewer, "content_view", at(6), content_id=content.pk, content_type=kind)
    event(reader, "content_view", at(6), content_id=content.pk, content_type=kind)
    event(reader, "content_complete", at(6, 10, 5), content_id=content.pk, content_type=kind, duration_seconds=300)
    event(skipper, "content_complete", at(7), content_id=content.pk, content_type=kind)  # no view seen
    event(elsewhere, "content_complete", at(7), content_id=other.pk, content_type=kind)
    assert rows(assign(classroom, content=content)) == {
        "elsewhere": (NOT_STARTED, None, None, False, None, None),
        "reader": (DONE, at(6), at(6, 10, 5), False, None, None),
        "skipper": (DONE, at(7), at(7), False, None, None),
        "viewer": (IN_PROGRESS, at(6), None, False, None, None),
    }


def test_a_game_is_done_when_completed(classroom, word_list):
    game, other = factories.GameFactory(word_list=word_list), factories.GameFactory(word_list=word_list)
    player, other_player, idle = (member(classroom, n) for n in ("player", "other", "idle"))
    event(player, "game_complete", at(8), game_id=game.pk, score=40, duration_seconds=90)
    event(other_player, "game_complete", at(8), game_id=other.pk, score=40, duration_seconds=90)
    assert rows(assign(classroom, game=game)) == {
        "idle": (NOT_STARTED, None, None, False, None, None),
        "other": (NOT_STARTED, None, None, False, None, None),
        "player": (DONE, at(8), at(8), False, None, None),
    }


def test_done_stays_done_whatever_comes_after(classroom, word_list, words):
    learner = member(classroom, "keen")
    content = factories.ContentFactory()
    exam = factories.ExamFactory()
    game = factories.GameFactory(word_list=word_list)
    for word in words:
        answer(learner, word, at(6))
    event(learner, "content_complete", at(6), content_id=content.pk, content_type="story")
    event(learner, "exam_answer", at(6), exam_id=exam.pk, question_id=1, submission_id=1, correct=False)
    event(learner, "game_complete", at(6), game_id=game.pk, score=1, duration_seconds=60)
    for word in words:  # later: wrong answers, a new view, another submission and play
        answer(learner, word, at(8), correct=False)
    event(learner, "content_view", at(8), content_id=content.pk, content_type="story")
    event(learner, "exam_answer", at(8), exam_id=exam.pk, question_id=1, submission_id=2, correct=True)
    event(learner, "game_complete", at(8), game_id=game.pk, score=9, duration_seconds=60)
    assignments = [assign(classroom, due_date=date(2026, 3, 7), **target) for target in (
        {"word_list": word_list}, {"content": content}, {"exam": exam}, {"game": game})]
    assert [(p.status, p.done_at, p.overdue) for result in progress.assignment_progress(assignments)
            for p in result.learners] == [(DONE, at(6), False)] * 4


# --- overdue ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("now", "overdue"), [
    # 9 March is the due date. At 14:30 UTC on 9 March it is the 9th in Tokyo (23:30) and in Los Angeles (07:30).
    (datetime(2026, 3, 9, 14, 30, tzinfo=UTC), {"tokyo": False, "la": False}),
    # At 15:30 UTC it is 00:30 on the 10th in Tokyo: overdue there; still the 9th in Los Angeles.
    (datetime(2026, 3, 9, 15, 30, tzinfo=UTC), {"tokyo": True, "la": False}),
    # At 07:30 UTC on the 10th it is 00:30 on the 10th in Los Angeles (UTC-7 since 8 March): overdue for both.
    (datetime(2026, 3, 10, 7, 30, tzinfo=UTC), {"tokyo": True, "la": True}),
])
def test_overdue_is_past_the_due_date_in_the_learners_own_time_zone(classroom, word_list, words, now, overdue):
    tokyo, la = member(classroom, "tokyo", "Asia/Tokyo"), member(classroom, "la", "America/Los_Angeles")
    done = member(classroom, "done", "Pacific/Kiritimati")  # UTC+14: past the due date first, but done
    answer(la, words[0], at(6))
    for word in words:
        answer(done, word, at(6))
    assignment = assign(classroom, word_list=word_list, due_date=date(2026, 3, 9))
    [result] = progress.assignment_progress([assignment], now=now)
    assert {p.learner.username: p.overdue for p in result.learners} == {**overdue, "done": False}
    assert result.overdue == sum(overdue.values())
    assert result.overdue_learners == [who(user) for user in (la, tokyo) if overdue[user.username]]
    assert result.pending == [who(la), who(tokyo)]


def test_the_clock_decides_overdue_when_no_instant_is_given(classroom, word_list):
    """``now`` defaults to django.utils.timezone.now (frozen here at 12:00 UTC on 10 March)."""
    member(classroom, "late")
    assignment = assign(classroom, word_list=word_list, due_date=date(2026, 3, 9))
    assert rows(assignment) == {"late": (NOT_STARTED, None, None, True, 0, 3)}


def test_without_a_due_date_nothing_is_ever_overdue(classroom, word_list):
    member(classroom, "free", "Pacific/Kiritimati")
    assignment = assign(classroom, word_list=word_list)
    [result] = progress.assignment_progress([assignment], now=NOW + timedelta(days=3650))
    assert [(p.status, p.overdue) for p in result.learners] == [(NOT_STARTED, False)]


# --- who is listed ---------------------------------------------------------------------------------------------

def test_learners_are_the_current_members_by_display_name_then_username(classroom, word_list, words):
    member(classroom, "zed", display_name="Ana Lima")
    member(classroom, "abe", display_name="Ana Lima")
    member(classroom, "bob", display_name="Bruno")
    gone = member(classroom, "gone", display_name="Aaron")
    answer(gone, words[0], at(6))
    Membership.objects.filter(student=gone).delete()  # left the classroom
    assignment = assign(classroom, word_list=word_list)
    [result] = progress.classroom_progress(classroom)
    assert [(p.learner.username, p.learner.display_name, p.learner.name) for p in result.learners] == [
        ("abe", "Ana Lima", "Ana Lima (abe)"), ("zed", "Ana Lima", "Ana Lima (zed)"), ("bob", "Bruno", "Bruno")]
    assert result.counts == {NOT_STARTED: 3, IN_PROGRESS: 0, DONE: 0}
    assert progress.learner_progress(gone) == []
    assert list(progress.learner_assignments(gone)) == []
    assert progress.learner_progress(gone, [assignment]) == []  # not one of theirs: left out


def test_a_learner_sees_their_assignments_across_classrooms(classroom, word_list, words):
    learner = member(classroom, "both")
    second = factories.ClassroomFactory()
    factories.MembershipFactory(classroom=second, student=learner)
    member(classroom, "classmate")
    game = factories.GameFactory(word_list=word_list)
    late = assign(classroom, word_list=word_list, due_date=date(2026, 3, 8))
    later = assign(second, game=game, due_date=date(2026, 3, 12))
    open_ended = assign(second, content=factories.ContentFactory())
    assign(factories.ClassroomFactory(), game=game)  # a classroom they are not in
    answer(learner, words[0], at(6))
    event(learner, "game_complete", at(7), game_id=game.pk, score=5, duration_seconds=30)
    me = who(learner)
    assert [(a.assignment.pk, a.progress) for a in progress.learner_progress(learner)] == [
        (late.pk, Progress(me, IN_PROGRESS, at(6), None, True, 1, 3)),
        (later.pk, Progress(me, DONE, at(7), at(7), False)),
        (open_ended.pk, Progress(me, NOT_STARTED, None, None, False)),
    ]


def test_assignments_due_in_a_range_across_a_teachers_classrooms(teacher, classroom, word_list, words):
    second = factories.ClassroomFactory(teacher=teacher)
    elsewhere = factories.ClassroomFactory()  # another teacher's
    ana, ben = member(classroom, "ana"), member(second, "ben")
    for word in words:
        answer(ana, word, at(6))
    monday = assign(classroom, word_list=word_list, due_date=date(2026, 3, 9))
    sunday = assign(second, word_list=word_list, due_date=date(2026, 3, 15))
    assign(classroom, word_list=word_list, due_date=date(2026, 3, 16))  # next week
    assign(classroom, word_list=word_list)  # no due date
    assign(elsewhere, word_list=word_list, due_date=date(2026, 3, 10))
    due = progress.assignments_due(teacher, date(2026, 3, 9), date(2026, 3, 15))
    assert [(p.assignment.pk, p.pending, p.overdue_learners) for p in due] == [
        (monday.pk, [], []), (sunday.pk, [who(ben)], [])]
    staff = factories.UserFactory(is_staff=True)
    assert len(progress.assignments_due(staff, date(2026, 3, 9), date(2026, 3, 15))) == 3


# --- the query count -------------------------------------------------------------------------------------------

def school_of(classroom, learners: int, rounds: int) -> None:
    """``learners`` learners with activity, and ``rounds`` assignments of each kind."""
    for n in range(learners):
        user = member(classroom, f"learner{n}")
        for word in factories.WordFactory.create_batch(2):
            answer(user, word, at(6))
    for _ in range(rounds):
        words = factories.WordFactory.create_batch(2)
        assign(classroom, word_list=factories.WordListFactory(words=words))
        assign(classroom, exam=factories.ExamFactory())
        assign(classroom, content=factories.ContentFactory())
        assign(classroom, game=factories.GameFactory(word_list=factories.WordListFactory(words=words)))


@pytest.mark.parametrize(("learners", "rounds"), [(1, 1), (6, 4)])
def test_the_query_count_does_not_grow_with_learners_or_assignments(classroom, django_assert_num_queries,
                                                                    learners, rounds):
    school_of(classroom, learners, rounds)
    # The assignments, the members, the word lists' words, one grouped query per kind of assignment.
    with django_assert_num_queries(7):
        result = progress.classroom_progress(classroom)
    assert [len(r.learners) for r in result] == [learners] * 4 * rounds
    learner = classroom.memberships.first().student
    with django_assert_num_queries(7):
        assert len(progress.learner_progress(learner)) == 4 * rounds


def test_nothing_to_compute_takes_no_query_about_events(classroom, django_assert_num_queries):
    assign(classroom, exam=factories.ExamFactory())  # no learners
    with django_assert_num_queries(2):  # the assignments, the members
        assert [r.counts for r in progress.classroom_progress(classroom)] == [
            {NOT_STARTED: 0, IN_PROGRESS: 0, DONE: 0}]
