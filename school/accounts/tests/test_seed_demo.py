"""``seed_demo``: the demo school, loaded once, consistent with its own learning events."""

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
from learning_events.models import LearningEvent
from learning_events.services import validate_event

from school.accounts.models import LearnerProfile
from school.classrooms import progress
from school.classrooms.models import Classroom, Membership
from school.exams.models import Question, Submission, SubmittedAnswer
from school.games.models import Game, GamePlay
from school.reading.models import Content, Reading
from school.vocabulary.models import PracticeAnswer, PracticeSession, Word, WordList

pytestmark = pytest.mark.django_db

User = get_user_model()


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [User, LearnerProfile, Classroom, Membership, Word, WordList, Question, Content, Game,
              PracticeSession, PracticeAnswer, Submission, SubmittedAnswer, Reading, GamePlay, LearningEvent]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for the module (it takes a few seconds), then removed."""
    with django_db_blocker.unblock():
        output = seed()
        yield output
        call_command("flush", interactive=False, verbosity=0)  # committed outside any test's transaction


def test_second_run_changes_nothing_and_says_so(demo):
    before = counts()
    assert seed() == "Demo data already present (user 'teacher1' exists): nothing changed.\n"
    assert counts() == before


def test_first_run_prints_a_summary_with_the_logins(demo):
    assert demo.startswith("Demo data loaded in ")
    assert "people: 2 teachers, 60 learners, 1 admin; 3 classrooms, 65 memberships, 18 assignments" in demo
    assert "material: 500 words in 24 word lists, 6 exams (60 questions), 8 stories and articles, 14 games" in demo
    assert demo.rstrip().endswith("Log in as teacher1 or teacher2, or learner01 to learner60, with password "
                                  "'demo-pass-123'; the admin is 'admin' with 'admin-pass-123'.")


def test_people_classrooms_and_material(demo):
    roles = Counter(LearnerProfile.objects.values_list("role", flat=True))
    assert roles == {"teacher": 2, "learner": 61}  # the admin's profile is a learner's; staff rights make it more
    assert sorted(Classroom.objects.values_list("name", "teacher__username", "language")) == [
        ("French 1", "teacher2", "fr"), ("Spanish 1A", "teacher1", "es"), ("Spanish 2B", "teacher1", "es")]
    learners = User.objects.filter(learner_profile__role="learner", is_staff=False)
    assert sorted(learners.values_list("username", flat=True)) == [f"learner{n:02d}" for n in range(1, 61)]
    per_learner = Counter(Membership.objects.values_list("student__username", flat=True))
    assert sorted(u for u, n in per_learner.items() if n == 2) == [
        "learner05", "learner12", "learner19", "learner33", "learner40"]
    assert set(per_learner.values()) == {1, 2} and len(per_learner) == 60
    assert set(LearnerProfile.objects.filter(role="learner", user__is_staff=False)
               .values_list("time_zone", flat=True)) == {
        "America/Mexico_City", "Asia/Tokyo", "Europe/Madrid", "Europe/Paris", "UTC"}
    assert dict(Word.objects.values_list("language").annotate(n=Count("id")).order_by()) == {"es": 250, "fr": 250}
    assert Word.objects.get(language="es", text="perro").translation == "dog"
    assert Word.objects.get(language="fr", text="chien").example_sentence == "Le chien joue dans le jardin."
    sizes = WordList.objects.annotate(n=Count("words")).values_list("n", flat=True)
    assert min(sizes) >= 20 and max(sizes) <= 40
    assert Counter(Question.objects.values_list("kind", flat=True)) == {"multiple_choice": 36, "short_text": 24}
    assert Counter(Content.objects.values_list("kind", "language")) == {
        ("story", "es"): 2, ("article", "es"): 2, ("story", "fr"): 2, ("article", "fr"): 2}
    assert all(c.assignments.count() == 6 for c in Classroom.objects.all())


@pytest.mark.parametrize("username, password", [("teacher1", "demo-pass-123"), ("teacher2", "demo-pass-123"),
                                                ("learner01", "demo-pass-123"), ("learner60", "demo-pass-123"),
                                                ("admin", "admin-pass-123")])
def test_logins_work(demo, client_for, username, password):
    response = client_for().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires"}


def test_admin_is_a_superuser(demo):
    admin = User.objects.get(username="admin")
    assert (admin.is_staff, admin.is_superuser) == (True, True)


def test_every_event_is_valid_and_in_the_past(demo):
    events = list(LearningEvent.objects.all())
    assert len(events) > 5000
    assert [(e.event_id, validate_event(e.event_type, e.context)) for e in events
            if validate_event(e.event_type, e.context)] == []
    assert max(e.occurred_at for e in events) < timezone.now()
    assert min(e.occurred_at for e in events) > timezone.now() - timezone.timedelta(days=16)
    assert {e.event_type for e in events} == {"practice_start", "practice_end", "word_correct", "word_incorrect",
                                              "exam_answer", "content_view", "content_complete", "game_complete"}


def test_practice_sessions_and_their_events_agree(demo):
    sessions = {str(s.uuid): s for s in PracticeSession.objects.all()}
    events = LearningEvent.objects.filter(event_type__in=["practice_start", "practice_end"])
    assert Counter(e.context["session_id"] for e in events) == {uuid: 2 for uuid in sessions}
    for event in events:
        session = sessions[event.context["session_id"]]
        assert (event.user_id, event.classroom_id, event.context["word_list_id"]) == (
            session.learner_id, session.classroom_id, session.word_list_id)
        assert event.occurred_at == (session.started_at if event.event_type == "practice_start"
                                     else session.ended_at)
    answers = {(str(a.session.uuid), a.word_id, a.answered_at): a.correct
               for a in PracticeAnswer.objects.select_related("session")}
    word_events = LearningEvent.objects.filter(event_type__in=["word_correct", "word_incorrect"])
    assert {(e.context["session_id"], e.context["word_id"], e.occurred_at): e.event_type == "word_correct"
            for e in word_events} == answers
    assert word_events.count() == len(answers)


def test_members_act_only_in_their_classrooms(demo):
    memberships = set(Membership.objects.values_list("student_id", "classroom_id"))
    pairs = set(LearningEvent.objects.values_list("user_id", "classroom_id"))
    assert pairs <= memberships


def test_exams_readings_and_games_agree_with_their_events(demo):
    submitted = {(a.submission.learner_id, a.submission.exam_id, a.submission_id, a.question_id, a.correct)
                 for a in SubmittedAnswer.objects.select_related("submission")}
    assert {(e.user_id, e.context["exam_id"], e.context["submission_id"], e.context["question_id"],
             e.context["correct"]) for e in LearningEvent.objects.filter(event_type="exam_answer")} == submitted
    for submission in Submission.objects.all():
        assert submission.score == submission.correct_count / submission.question_count
    # Every demo submission is timed, and its time is carried once, by its first answer's event.
    timed = sorted((e.context["submission_id"], e.context["duration_seconds"], e.occurred_at)
                   for e in LearningEvent.objects.filter(event_type="exam_answer", context__has_key="duration_seconds"))
    assert timed == sorted((s.pk, s.duration_seconds, s.submitted_at) for s in Submission.objects.all())
    assert all(s.submitted_at - s.started_at == timedelta(seconds=s.duration_seconds) for s in Submission.objects.all())
    views = Counter((e.user_id, e.context["content_id"], e.occurred_at)
                    for e in LearningEvent.objects.filter(event_type="content_view"))
    assert views == Counter(Reading.objects.values_list("learner_id", "content_id", "viewed_at"))
    completes = Counter((e.user_id, e.context["content_id"], e.occurred_at, e.context["duration_seconds"])
                        for e in LearningEvent.objects.filter(event_type="content_complete"))
    assert completes == Counter(Reading.objects.exclude(completed_at=None).values_list(
        "learner_id", "content_id", "completed_at", "duration_seconds"))
    plays = Counter((e.user_id, e.context["game_id"], e.occurred_at, e.context["score"], tuple(e.context["word_ids"]))
                    for e in LearningEvent.objects.filter(event_type="game_complete"))
    assert plays == Counter((p.learner_id, p.game_id, p.completed_at, p.score, tuple(p.word_ids))
                            for p in GamePlay.objects.all())
    for play in GamePlay.objects.select_related("game"):
        assert set(play.word_ids) <= set(play.game.word_list.words.values_list("id", flat=True))


def test_assignments_are_in_every_state(demo):
    """By the demo's events, each kind of assignment is in each state its rules allow (exams and games have no
    in-progress state), overdue ones included, and teacher1 has work due this week with learners behind."""
    rows = [(result.assignment.kind, row.status, row.overdue) for classroom in Classroom.objects.all()
            for result in progress.classroom_progress(classroom) for row in result.learners]
    assert {(kind, status) for kind, status, _ in rows} == {
        *((kind, status) for kind in ("word_list", "content") for status in progress.STATUSES),
        *((kind, status) for kind in ("exam", "game") for status in (progress.NOT_STARTED, progress.DONE))}
    # Due 9 and 3 days ago. (The story due today is overdue too for learners already in tomorrow, by the hour.)
    assert {kind for kind, _, overdue in rows if overdue} >= {"word_list", "exam"}
    assert {status for _, status, overdue in rows if overdue} == {progress.NOT_STARTED, progress.IN_PROGRESS}
    today = timezone.now().date()  # the demo's day: it dates its assignments by UTC
    due = progress.assignments_due(User.objects.get(username="teacher1"), today, today + timedelta(days=6))
    assert Counter((result.assignment.title, result.assignment.due_date - today) for result in due) == {
        ("Read “El gato de Lucía”", timedelta(0)): 2, ("Family words", timedelta(4)): 2,
        ("Play: match the animals", timedelta(5)): 2, ("Quiz: family and home", timedelta(6)): 2}
    assert [result.assignment.title for result in due if not result.pending] == []
