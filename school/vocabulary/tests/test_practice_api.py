"""The practice-session API: start, answer, end; and the learning events each action stores."""

import uuid
from datetime import timedelta

import pytest
from learning_events.models import LearningEvent

from school import factories
from school.vocabulary import services
from school.vocabulary.models import PracticeAnswer, PracticeSession

pytestmark = pytest.mark.django_db

ENDED = {"detail": "This practice session has already ended; start a new one to keep practising."}
NOT_FOUND = {"detail": "No PracticeSession matches the given query."}


def events() -> list[tuple]:
    """Every stored learning event as (user id, type, context, classroom id), in the order stored."""
    return list(LearningEvent.objects.order_by("id").values_list("user_id", "event_type", "context", "classroom_id"))


@pytest.fixture
def word_list(db):
    return factories.WordListFactory(name="Greetings", language="es", words=[
        factories.WordFactory(text="hola", translation="hello"),
        factories.WordFactory(text="buenos días", translation="Good morning"),
    ])


@pytest.fixture
def hola(word_list):
    return word_list.words.get(text="hola")


@pytest.fixture
def buenos(word_list):
    return word_list.words.get(text="buenos días")


@pytest.fixture
def session(learner, word_list, classroom):
    """An open session of ``learner`` in ``classroom``, started through the service (with its event)."""
    return services.start_practice(learner=learner, word_list=word_list, classroom=classroom)


def url(session: PracticeSession, action: str = "") -> str:
    return f"/api/v1/practice-sessions/{session.uuid}/{action}"


# --- start ----------------------------------------------------------------------------------------


def test_start_without_classroom(word_list, hola, buenos, outsider, client_for):
    response = client_for(outsider).post("/api/v1/practice-sessions/", {"word_list_id": word_list.pk})
    assert response.status_code == 201
    session = PracticeSession.objects.get()
    assert (session.learner, session.word_list, session.classroom, session.ended_at) == (
        outsider, word_list, None, None)
    assert response.json() == {
        "id": str(session.uuid),
        "mode": "list",
        "word_list": {"id": word_list.pk, "name": "Greetings", "language": "es"},
        "classroom": None,
        "started_at": response.json()["started_at"],
        "ended_at": None,
        "words": [{"id": buenos.pk, "text": "buenos días"}, {"id": hola.pk, "text": "hola"}],
        "summary": {"answers": 0, "correct": 0, "accuracy": None},
    }
    assert events() == [(outsider.pk, "practice_start",
                         {"session_id": str(session.uuid), "word_list_id": word_list.pk}, None)]
    assert LearningEvent.objects.get().occurred_at == session.started_at


def test_start_in_a_classroom_attaches_it_to_the_session_and_the_event(word_list, classroom, learner, client_for):
    response = client_for(learner).post(
        "/api/v1/practice-sessions/", {"word_list_id": word_list.pk, "classroom_id": classroom.pk})
    assert response.status_code == 201
    session = PracticeSession.objects.get()
    assert (response.json()["id"], response.json()["classroom"], session.classroom) == (
        str(session.uuid), classroom.pk, classroom)
    assert events() == [(learner.pk, "practice_start",
                         {"session_id": str(session.uuid), "word_list_id": word_list.pk}, classroom.pk)]


def test_start_with_explicit_null_classroom(word_list, learner, client_for):
    response = client_for(learner).post(
        "/api/v1/practice-sessions/", {"word_list_id": word_list.pk, "classroom_id": None})
    assert response.status_code == 201
    assert response.json()["classroom"] is None


def test_start_in_someone_elses_classroom_is_403_and_stores_nothing(word_list, classroom, outsider, client_for):
    response = client_for(outsider).post(
        "/api/v1/practice-sessions/", {"word_list_id": word_list.pk, "classroom_id": classroom.pk})
    assert response.status_code == 403
    assert response.json() == {"detail": "You are not a member of this classroom."}
    assert (PracticeSession.objects.count(), events()) == (0, [])


def test_start_in_an_unknown_classroom_is_404_and_stores_nothing(word_list, learner, client_for):
    response = client_for(learner).post(
        "/api/v1/practice-sessions/", {"word_list_id": word_list.pk, "classroom_id": 999999})
    assert response.status_code == 404
    assert response.json() == {"detail": "No Classroom matches the given query."}
    assert (PracticeSession.objects.count(), events()) == (0, [])


@pytest.mark.parametrize(("body", "errors"), [
    ({}, {"word_list_id": ["This field is required."]}),
    ({"word_list_id": 999999}, {"word_list_id": ["No word list has id 999999."]}),
    ({"word_list_id": "abc"}, {"word_list_id": ["Expected a word list id (an integer), got str."]}),
    ({"word_list_id": None}, {"word_list_id": ["This field may not be null."]}),
    ({"word_list_id": 2**70}, {"word_list_id": [f"No word list has id {2**70}."]}),
    ({"word_list_id": "WL", "classroom_id": "x"},
     {"word_list_id": ["Expected a word list id (an integer), got str."],
      "classroom_id": ["A valid integer is required."]}),
])
def test_start_with_a_bad_body_is_400_and_stores_nothing(learner, client_for, body, errors):
    response = client_for(learner).post("/api/v1/practice-sessions/", body)
    assert response.status_code == 400
    assert response.json() == errors
    assert (PracticeSession.objects.count(), events()) == (0, [])


def test_start_over_an_empty_word_list_is_400(learner, client_for):
    empty = factories.WordListFactory()
    response = client_for(learner).post("/api/v1/practice-sessions/", {"word_list_id": empty.pk})
    assert response.status_code == 400
    assert response.json() == {"word_list_id": ["This word list has no words to practise."]}
    assert (PracticeSession.objects.count(), events()) == (0, [])


def test_anonymous_is_401_on_practice(session, word_list, client_for):
    anonymous = client_for()
    for response in (anonymous.post("/api/v1/practice-sessions/", {"word_list_id": word_list.pk}),
                     anonymous.get(url(session)),
                     anonymous.post(url(session, "answers/"), {"word_id": 1, "answer": "x"}),
                     anonymous.post(url(session, "end/"))):
        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication credentials were not provided."}


# --- read -----------------------------------------------------------------------------------------


def test_learner_reads_their_session_with_its_progress(session, hola, buenos, learner, classroom, client_for):
    services.answer_flashcard(session=session, word_id=hola.pk, answer="hello")
    services.answer_flashcard(session=session, word_id=buenos.pk, answer="good night")
    response = client_for(learner).get(url(session))
    assert response.status_code == 200
    assert response.json() == {
        "id": str(session.uuid),
        "mode": "list",
        "word_list": {"id": session.word_list_id, "name": "Greetings", "language": "es"},
        "classroom": classroom.pk,
        "started_at": response.json()["started_at"],
        "ended_at": None,
        "words": [{"id": buenos.pk, "text": "buenos días"}, {"id": hola.pk, "text": "hola"}],
        "summary": {"answers": 2, "correct": 1, "accuracy": 0.5},
    }


def test_someone_elses_or_an_unknown_session_is_404(session, outsider, client_for):
    client = client_for(outsider)
    for path in (url(session), f"/api/v1/practice-sessions/{uuid.uuid4()}/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    assert client.get("/api/v1/practice-sessions/not-a-uuid/").status_code == 404


# --- answer ---------------------------------------------------------------------------------------


def test_correct_answer_ignores_case_and_whitespace_and_logs_word_correct(
        session, buenos, learner, classroom, client_for):
    response = client_for(learner).post(
        url(session, "answers/"), {"word_id": buenos.pk, "answer": "  good \t MORNING ", "response_ms": 1500})
    assert response.status_code == 201
    assert response.json() == {"correct": True, "expected": "Good morning", "word_id": buenos.pk}
    stored = PracticeAnswer.objects.get()
    assert (stored.session, stored.word, stored.answer, stored.correct, stored.response_ms) == (
        session, buenos, "  good \t MORNING ", True, 1500)
    assert events()[1:] == [(learner.pk, "word_correct", {
        "word_id": buenos.pk, "session_id": str(session.uuid), "answer": "  good \t MORNING ", "response_ms": 1500,
    }, classroom.pk)]
    assert LearningEvent.objects.latest("id").occurred_at == stored.answered_at


def test_wrong_answer_logs_word_incorrect_without_response_time_when_not_sent(
        session, hola, learner, classroom, client_for):
    response = client_for(learner).post(url(session, "answers/"), {"word_id": hola.pk, "answer": "goodbye"})
    assert response.status_code == 201
    assert response.json() == {"correct": False, "expected": "hello", "word_id": hola.pk}
    assert PracticeAnswer.objects.get().response_ms is None
    assert events()[1:] == [(learner.pk, "word_incorrect", {
        "word_id": hola.pk, "session_id": str(session.uuid), "answer": "goodbye"}, classroom.pk)]


def test_blank_answer_is_graded_wrong(session, hola, learner, client_for):
    response = client_for(learner).post(url(session, "answers/"), {"word_id": hola.pk, "answer": ""})
    assert response.status_code == 201
    assert response.json() == {"correct": False, "expected": "hello", "word_id": hola.pk}


def test_answer_in_a_session_without_classroom_logs_no_classroom(word_list, hola, outsider, client_for):
    session = services.start_practice(learner=outsider, word_list=word_list)
    response = client_for(outsider).post(url(session, "answers/"), {"word_id": hola.pk, "answer": "hello"})
    assert response.status_code == 201
    assert events()[1:] == [(outsider.pk, "word_correct", {
        "word_id": hola.pk, "session_id": str(session.uuid), "answer": "hello"}, None)]


def test_answer_to_a_word_outside_the_list_is_400_and_stores_nothing(session, learner, client_for):
    other_word = factories.WordFactory()
    client = client_for(learner)
    for word_id in (other_word.pk, 999999):
        response = client.post(url(session, "answers/"), {"word_id": word_id, "answer": "x"})
        assert response.status_code == 400
        assert response.json() == {"word_id": [f"Word {word_id} is not in this session's word list."]}
    assert (PracticeAnswer.objects.count(), [e[1] for e in events()]) == (0, ["practice_start"])


@pytest.mark.parametrize(("body", "errors"), [
    ({}, {"word_id": ["This field is required."], "answer": ["This field is required."]}),
    ({"word_id": "one", "answer": None},
     {"word_id": ["A valid integer is required."], "answer": ["This field may not be null."]}),
    ({"word_id": 0, "answer": "x" * 201},
     {"word_id": ["Ensure this value is greater than or equal to 1."],
      "answer": ["Ensure this field has no more than 200 characters."]}),
    ({"word_id": 1, "answer": "x", "response_ms": -1},
     {"response_ms": ["Ensure this value is greater than or equal to 0."]}),
    ({"word_id": 1, "answer": "x", "response_ms": 2**31},
     {"response_ms": ["Ensure this value is less than or equal to 2147483647."]}),
    ({"word_id": 1, "answer": "x", "response_ms": 1.5}, {"response_ms": ["A valid integer is required."]}),
])
def test_answer_with_a_bad_body_is_400_and_stores_nothing(session, learner, client_for, body, errors):
    response = client_for(learner).post(url(session, "answers/"), body)
    assert response.status_code == 400
    assert response.json() == errors
    assert (PracticeAnswer.objects.count(), [e[1] for e in events()]) == (0, ["practice_start"])


def test_answering_an_ended_session_is_409_and_stores_no_answer_nor_event(session, hola, learner, client_for):
    services.end_practice(session=session)
    before = events()
    response = client_for(learner).post(url(session, "answers/"), {"word_id": hola.pk, "answer": "hello"})
    assert response.status_code == 409
    assert response.json() == ENDED
    assert PracticeAnswer.objects.count() == 0
    assert events() == before
    assert [e[1] for e in before] == ["practice_start", "practice_end"]


def test_answering_someone_elses_session_is_404_and_stores_nothing(session, hola, outsider, client_for):
    response = client_for(outsider).post(url(session, "answers/"), {"word_id": hola.pk, "answer": "hello"})
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert (PracticeAnswer.objects.count(), [e[1] for e in events()]) == (0, ["practice_start"])


# --- end ------------------------------------------------------------------------------------------


def test_end_returns_the_summary_and_logs_practice_end(session, hola, buenos, learner, classroom, client_for):
    for word, answer in ((hola, "hello"), (buenos, "good morning"), (hola, "hi")):
        services.answer_flashcard(session=session, word_id=word.pk, answer=answer)
    response = client_for(learner).post(url(session, "end/"))
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.ended_at is not None
    assert response.json() == {
        "id": str(session.uuid), "started_at": response.json()["started_at"],
        "ended_at": response.json()["ended_at"], "answers": 3, "correct": 2, "accuracy": 2 / 3,
    }
    assert events()[-1] == (learner.pk, "practice_end",
                            {"session_id": str(session.uuid), "word_list_id": session.word_list_id}, classroom.pk)
    assert [e[1] for e in events()] == [
        "practice_start", "word_correct", "word_correct", "word_incorrect", "practice_end"]
    assert LearningEvent.objects.latest("id").occurred_at == session.ended_at
    assert client_for(learner).get(url(session)).json()["ended_at"] == response.json()["ended_at"]


def test_end_without_answers_has_no_accuracy(session, learner, client_for):
    response = client_for(learner).post(url(session, "end/"))
    assert response.status_code == 200
    assert (response.json()["answers"], response.json()["correct"], response.json()["accuracy"]) == (0, 0, None)


def test_ending_twice_is_409_and_logs_one_end(session, learner, client_for):
    client = client_for(learner)
    assert client.post(url(session, "end/")).status_code == 200
    ended_at = PracticeSession.objects.get().ended_at
    response = client.post(url(session, "end/"))
    assert response.status_code == 409
    assert response.json() == ENDED
    assert PracticeSession.objects.get().ended_at == ended_at
    assert [e[1] for e in events()] == ["practice_start", "practice_end"]


def test_ending_someone_elses_session_is_404_and_stores_nothing(session, outsider, client_for):
    response = client_for(outsider).post(url(session, "end/"))
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert PracticeSession.objects.get().ended_at is None
    assert [e[1] for e in events()] == ["practice_start"]


# --- review mode: the memory model's due words ---------------------------------------------------------


def practised(learner, answers) -> None:
    """``answers`` ((word, days ago, correct)) logged, rolled up and taken into the memory model."""
    from django.utils import timezone
    from learning_events import aggregation, memory
    from learning_events.services import log_word_practice

    for word, days_ago, correct in answers:
        log_word_practice(learner, word.pk, correct, occurred_at=timezone.now() - timedelta(days=days_ago))
    aggregation.rollup_dirty_days()
    memory.update_memory()


@pytest.fixture
def reviewed(learner, word_list, hola, buenos):
    """``learner`` has reviewed three words: ``hola`` long ago (missed), ``buenos días`` lately and a third today."""
    today = factories.WordFactory(text="hoy", translation="today")
    practised(learner, [(hola, 30, False), (buenos, 40, True), (buenos, 35, True), (today, 0, True)])
    return today


def test_a_review_practises_the_due_words_lowest_predicted_recall_first(client_for, learner, classroom, reviewed,
                                                                        hola, buenos):
    from learning_events.selectors import learner_reviews

    due = learner_reviews(learner.pk)["words"]
    assert [w["word_id"] for w in due] == [hola.pk, buenos.pk] and due[0]["recall"] < due[1]["recall"]
    response = client_for(learner).post("/api/v1/practice-sessions/",
                                        {"mode": "review", "classroom_id": classroom.pk}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["mode"], body["word_list"], body["classroom"], body["words"]) == (
        "review", None, classroom.pk, [{"id": hola.pk, "text": "hola"}, {"id": buenos.pk, "text": "buenos días"}])
    session = PracticeSession.objects.get(uuid=body["id"])
    assert events()[-1] == (learner.pk, "practice_start", {"session_id": str(session.uuid)}, classroom.pk)
    answer = client_for(learner).post(url(session, "answers/"), {"word_id": hola.pk, "answer": "hello"},
                                      format="json")
    assert (answer.status_code, answer.json()) == (201, {"word_id": hola.pk, "correct": True, "expected": "hello"})
    # A word the review did not pick, though known to the learner, is refused.
    refused = client_for(learner).post(url(session, "answers/"), {"word_id": reviewed.pk, "answer": "today"},
                                       format="json")
    assert (refused.status_code, refused.json()) == (
        400, {"word_id": [f"Word {reviewed.pk} is not in this session's review."]})


def test_a_review_takes_at_most_limit_words(client_for, learner, reviewed, hola):
    response = client_for(learner).post("/api/v1/practice-sessions/", {"mode": "review", "limit": 1}, format="json")
    assert (response.status_code, response.json()["words"]) == (201, [{"id": hola.pk, "text": "hola"}])


def test_a_review_is_of_the_callers_own_words(client_for, reviewed, classroom):
    classmate = factories.UserFactory()
    factories.MembershipFactory(classroom=classroom, student=classmate)
    response = client_for(classmate).post("/api/v1/practice-sessions/", {"mode": "review"}, format="json")
    assert (response.status_code, response.json()) == (
        400, {"mode": ["No words are due for review now: practise a word list instead."]})
    assert PracticeSession.objects.filter(learner=classmate).count() == 0


def test_a_review_in_someone_elses_classroom_is_refused(client_for, reviewed, learner, other_teacher):
    elsewhere = factories.ClassroomFactory(teacher=other_teacher)
    response = client_for(learner).post("/api/v1/practice-sessions/",
                                        {"mode": "review", "classroom_id": elsewhere.pk}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("body, errors", [
    ({"mode": "review", "word_list_id": 1},
     {"word_list_id": ["A review practises your due words, not a word list: leave it out."]}),
    ({"mode": "list"}, {"word_list_id": ["This field is required."]}),
    ({}, {"word_list_id": ["This field is required."]}),
    ({"mode": "cram"}, {"mode": ['"cram" is not a valid choice.']}),
    ({"mode": "review", "limit": 0}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
])
def test_bad_modes_are_400(client_for, learner, word_list, body, errors):
    if "word_list_id" in body:
        body = {**body, "word_list_id": word_list.pk}
    response = client_for(learner).post("/api/v1/practice-sessions/", body, format="json")
    assert (response.status_code, response.json()) == (400, errors)
