"""A small classroom with two days of practice, rolled up from real events, shared by the view and
browser tests. Every figure the tests expect is worked out by hand in ``Scenario``'s docstring."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from learning_events import aggregation, event_types, memory
from learning_events.services import log_events

from school import factories
from school.classrooms.models import Assignment
from school.dashboards import selectors

TODAY = date(2025, 3, 20)
D0, D1, D2 = date(2025, 3, 17), date(2025, 3, 18), date(2025, 3, 19)


@dataclass
class Scenario:
    """Spanish 1A (teacher ``teacher``): Ana, Bruno and Carla; ``rival`` teaches French 2 with Dora.

    - Ana, D1 09:00-09:10: w1 ✓, w2 ✗, w2 ✗, w1 ✓ (4 words, 2 correct, 600 s).
      Ana, D2 09:00-09:05: w2 ✓, w3 ✗ (2 words, 1 correct, 300 s).
    - Bruno, D2 17:00-17:10: w2 ✗, w2 ✗, w1 ✓, w3 ✓, w3 ✓ (5 words, 3 correct, 600 s).
    - Carla: nothing. Dora (French 2): D2 12:00-12:05, w1 ✗ ×5 (5 words, 0 correct, 300 s).

    Spanish 1A: D1 1 active, 4 words, 50 %, 600 s; D2 2 active, 7 words, 4 correct, 900 s;
    over both days 2 learners, 11 words, 6 correct, 1500 s. Its words: w1 3/3, w2 1/5, w3 2/3.

    The day before, D0, no flashcards but exams, reading and games in Spanish 1A:
    - Ana submits the exam at 10:00 after 10 minutes: 4 answers, 3 right (600 s); plays the game at 11:00
      for 2 minutes, score 80 (120 s). Her D0: 720 s.
    - Bruno opens the story at 15:00 and finishes it at 15:05, declaring 300 s; plays the game at 15:30
      for 3 minutes, score 65 (180 s). His D0: 480 s.
    Spanish 1A on D0: 2 active, 4 exam answers, 75 %, 600 s of exams; 1 reading opened and finished, 300 s;
    2 games, average score 72.5, 300 s; 1200 s in all.

    Spanish 1A's assignments, all set on 16 Mar (before any of it), as of TODAY noon (everyone on UTC):
    - "El gato" (the story), due D1: Bruno done (D0); Ana and Carla not started, overdue.
    - "Animal words" (w1, w2, w3), due D2: Ana done (D2 09:02, her first w3), Bruno done; Carla overdue.
    - "Animals quiz" (the exam), due TODAY + 2: Ana done (D0); Bruno and Carla not started.
    - "Greetings" (w1 and w4, never practised), due TODAY + 5: Ana and Bruno in progress (1 of 2), Carla not.
    - "Memory" (the game), no due date: Ana and Bruno done; Carla not started.
    French 2 has an exam due TODAY + 1, which Spanish 1A's teacher never sees.

    The memory model has taken the days in: its reviews (each learner-word's first answer of a day) are Ana's
    w1 ✓ and w2 ✗ on D1, w2 ✓ and w3 ✗ on D2; Bruno's w2 ✗, w1 ✓, w3 ✓ on D2; Dora's w1 ✗ on D2.
    """

    teacher: object
    classroom: object
    ana: object
    bruno: object
    carla: object
    rival: object
    rival_classroom: object
    dora: object
    words: list
    exam: object
    story: object
    game: object
    assignments: dict


def _session(user, classroom, day: date, hour: int, answers, end_minute: int) -> list[dict]:
    """A practice session's events: start at ``hour``:00, one answer a minute, end at ``end_minute``."""
    session = str(uuid.uuid4())
    start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    events = [{"user": user, "classroom": classroom, "event_type": event_types.PRACTICE_START,
               "context": {"session_id": session}, "occurred_at": start}]
    for minute, (word, correct) in enumerate(answers, start=1):
        events.append({"user": user, "classroom": classroom,
                       "event_type": event_types.WORD_CORRECT if correct else event_types.WORD_INCORRECT,
                       "context": {"session_id": session, "word_id": word.pk},
                       "occurred_at": start + timedelta(minutes=minute)})
    events.append({"user": user, "classroom": classroom, "event_type": event_types.PRACTICE_END,
                   "context": {"session_id": session}, "occurred_at": start + timedelta(minutes=end_minute)})
    return events


def _activities(ana, bruno, classroom, exam, story, game) -> list[dict]:
    """D0's exams, reading and games (``Scenario``)."""
    def at(hour: int, minute: int = 0) -> datetime:
        return datetime(D0.year, D0.month, D0.day, hour, minute, tzinfo=UTC)

    story_context = {"content_id": story.pk, "content_type": "story"}
    events = [
        {"user": ana, "classroom": classroom, "event_type": event_types.EXAM_ANSWER, "occurred_at": at(10),
         "context": {"exam_id": exam.pk, "question_id": n, "submission_id": 1, "correct": n != 3,
                     **({"duration_seconds": 600} if n == 0 else {})}}
        for n in range(4)
    ]
    return [
        *events,
        {"user": ana, "classroom": classroom, "event_type": event_types.GAME_COMPLETE, "occurred_at": at(11),
         "context": {"game_id": game.pk, "score": 80, "duration_seconds": 120}},
        {"user": bruno, "classroom": classroom, "event_type": event_types.CONTENT_VIEW, "occurred_at": at(15),
         "context": story_context},
        {"user": bruno, "classroom": classroom, "event_type": event_types.CONTENT_COMPLETE,
         "occurred_at": at(15, 5), "context": {**story_context, "duration_seconds": 300}},
        {"user": bruno, "classroom": classroom, "event_type": event_types.GAME_COMPLETE, "occurred_at": at(15, 30),
         "context": {"game_id": game.pk, "score": 65, "duration_seconds": 180}},
    ]


def build_scenario() -> Scenario:
    """Create the people, the events and their rollups (committed when the test's database allows it)."""
    teacher = factories.TeacherFactory(username="teacher", profile__display_name="Elena Ruiz")
    classroom = factories.ClassroomFactory(name="Spanish 1A", teacher=teacher)
    people = {}
    for username, name in [("ana", "Ana Ortiz"), ("bruno", "Bruno Díaz"), ("carla", "Carla Vega")]:
        people[username] = factories.UserFactory(username=username, profile__display_name=name)
        factories.MembershipFactory(classroom=classroom, student=people[username])
    rival = factories.TeacherFactory(username="rival")
    rival_classroom = factories.ClassroomFactory(name="French 2", teacher=rival, language="fr")
    dora = factories.UserFactory(username="dora", profile__display_name="Dora Petit")
    factories.MembershipFactory(classroom=rival_classroom, student=dora)
    w1, w2, w3 = (factories.WordFactory(text=text, translation=meaning)
                  for text, meaning in [("gato", "cat"), ("perro", "dog"), ("caballo", "horse")])
    ana, bruno = people["ana"], people["bruno"]
    exam = factories.ExamFactory(title="Animals quiz")
    story = factories.ContentFactory(title="El gato")
    game = factories.GameFactory(title="Memory")
    log_events([
        *_activities(ana, bruno, classroom, exam, story, game),
        *_session(ana, classroom, D1, 9, [(w1, True), (w2, False), (w2, False), (w1, True)], 10),
        *_session(ana, classroom, D2, 9, [(w2, True), (w3, False)], 5),
        *_session(bruno, classroom, D2, 17, [(w2, False), (w2, False), (w1, True), (w3, True), (w3, True)], 10),
        *_session(dora, rival_classroom, D2, 12, [(w1, False)] * 5, 5),
    ])
    for day in (D0, D1, D2):
        aggregation.rollup_day(day)
    memory.update_memory()
    return Scenario(teacher, classroom, ana, bruno, people["carla"], rival, rival_classroom, dora, [w1, w2, w3],
                    exam, story, game, _assignments(classroom, rival_classroom, [w1, w2, w3], exam, story, game))


def _assignments(classroom, rival_classroom, words, exam, story, game) -> dict:
    """The assignments of ``Scenario``, by title."""
    animals = factories.WordListFactory(name="Animals")
    animals.words.set(words)
    greetings = factories.WordListFactory(name="Greetings")
    greetings.words.set([words[0], factories.WordFactory(text="hola", translation="hello")])
    assignments = {
        "El gato": Assignment.objects.create(classroom=classroom, title="El gato", content=story, due_date=D1),
        "Animal words": Assignment.objects.create(classroom=classroom, title="Animal words", word_list=animals,
                                                  due_date=D2),
        "Animals quiz": Assignment.objects.create(classroom=classroom, title="Animals quiz", exam=exam,
                                                  due_date=TODAY + timedelta(days=2)),
        "Greetings": Assignment.objects.create(classroom=classroom, title="Greetings", word_list=greetings,
                                               due_date=TODAY + timedelta(days=5)),
        "Memory": Assignment.objects.create(classroom=classroom, title="Memory", game=game),
        "Quiz français": Assignment.objects.create(classroom=rival_classroom, title="Quiz français",
                                                   exam=factories.ExamFactory(), due_date=TODAY + timedelta(days=1)),
    }
    Assignment.objects.update(created_at=datetime(2025, 3, 16, 8, tzinfo=UTC))
    for assignment in assignments.values():
        assignment.refresh_from_db()
    return assignments


@pytest.fixture
def scenario(db) -> Scenario:
    return build_scenario()


@pytest.fixture
def today(monkeypatch) -> date:
    """Pin the pages' "today" and "now" (the clock) to the day after the scenario, at noon UTC."""
    monkeypatch.setattr(selectors, "today_for", lambda user: TODAY)
    monkeypatch.setattr(selectors, "now", lambda: datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC))
    return TODAY
