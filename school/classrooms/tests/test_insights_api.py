"""The pipeline's insights read through the school's hooks: who may read a learner's and a classroom's
insights, learners named by display name in their own time zone, and the endpoints' OpenAPI description."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from learning_events import aggregation, services
from school import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def activity(classroom, learner):
    """Two answers to word 11 in the classroom on 10 March; the learner is "Ana Lima" in Lima."""
    profile = learner.learner_profile
    profile.display_name, profile.time_zone = "Ana Lima", "America/Lima"
    profile.save()
    services.log_word_practice(learner, 11, True, classroom, occurred_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
    services.log_word_practice(learner, 11, False, classroom, occurred_at=datetime(2026, 3, 10, 15, 5, tzinfo=UTC))
    aggregation.rollup_dirty_days()


LEARNER_SUMMARY = ("In the last 7 days Ana Lima practised 2 words on 1 day (up from 0), with 50% accuracy. In the last "
                   "28 days Ana Lima practised 2 words on 1 day (up from 0), with 50% accuracy. Current streak: 1 day.")


@pytest.mark.parametrize("reader", ["learner", "teacher", "staff"])
def test_the_learner_their_teacher_and_staff_read_the_learners_insights(client_for, teacher, learner, activity,
                                                                        reader):
    user = {"learner": learner, "teacher": teacher, "staff": factories.UserFactory(is_staff=True)}[reader]
    response = client_for(user).get(f"/api/v1/learners/{learner.pk}/insights/")
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("learner", "name", "time_zone", "as_of", "summary")} == {
        "learner": learner.pk, "name": "Ana Lima", "time_zone": "America/Lima", "as_of": "2026-03-10",
        "summary": LEARNER_SUMMARY}


def test_a_teacher_of_any_of_the_learners_classrooms_reads_them(client_for, other_teacher, learner, activity):
    factories.MembershipFactory(classroom=factories.ClassroomFactory(teacher=other_teacher), student=learner)
    response = client_for(other_teacher).get(f"/api/v1/learners/{learner.pk}/insights/")
    assert (response.status_code, response.json()["summary"]) == (200, LEARNER_SUMMARY)


@pytest.mark.parametrize("reader", ["other_learner", "other_teacher", "classmate"])
def test_other_people_may_not_read_a_learners_insights(client_for, classroom, learner, other_teacher, outsider,
                                                       reader):
    classmate = factories.UserFactory()
    factories.MembershipFactory(classroom=classroom, student=classmate)
    user = {"other_learner": outsider, "other_teacher": other_teacher, "classmate": classmate}[reader]
    response = client_for(user).get(f"/api/v1/learners/{learner.pk}/insights/")
    assert (response.status_code, response.json()) == (
        403, {"detail": "Only the learner, their teachers and staff can read their statistics."})


def test_an_unknown_learner_is_not_found(client_for, teacher):
    response = client_for(teacher).get("/api/v1/learners/999999/insights/")
    assert (response.status_code, response.json()) == (404, {"detail": "No User matches the given query."})


@pytest.mark.parametrize("path", ["learners", "classrooms"])
def test_anonymous_callers_are_refused(client_for, learner, classroom, path):
    pk = learner.pk if path == "learners" else classroom.pk
    response = client_for().get(f"/api/v1/{path}/{pk}/insights/")
    assert (response.status_code, response.json()) == (
        401, {"detail": "Authentication credentials were not provided."})


@pytest.mark.parametrize(("path", "query", "errors"), [
    ("learners", "as_of=10-03-2026", {"as_of": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ("learners", "as_of=2026-03-11", {"as_of": ["Must not be after 2026-03-10."]}),
    ("classrooms", "as_of=2026-3-1x", {"as_of": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ("classrooms", "as_of=0001-01-01", {"as_of": ["Must not be before 1970-03-01."]}),
])
def test_a_bad_as_of_is_refused(client_for, teacher, learner, classroom, path, query, errors):
    pk = learner.pk if path == "learners" else classroom.pk
    response = client_for(teacher).get(f"/api/v1/{path}/{pk}/insights/?{query}")
    assert (response.status_code, response.json()) == (400, errors)


@pytest.mark.parametrize("reader", ["teacher", "staff"])
def test_the_teacher_and_staff_read_classroom_insights_with_members_by_name(client_for, teacher, classroom, learner,
                                                                             activity, reader):
    quiet = factories.UserFactory(profile__display_name="Aaron Quiet")
    factories.MembershipFactory(classroom=classroom, student=quiet)
    user = teacher if reader == "teacher" else factories.UserFactory(is_staff=True)
    response = client_for(user).get(f"/api/v1/classrooms/{classroom.pk}/insights/")
    assert response.status_code == 200
    body = response.json()
    assert (body["classroom"], body["as_of"], body["members"], body["falling_behind"], body["summary"]) == (
        classroom.pk, "2026-03-10", 2,
        [{"reason": "inactive", "user_id": quiet.pk, "name": "Aaron Quiet", "last_active": None,
          "days_inactive": None, "accuracy": None, "previous_accuracy": None, "accuracy_points": None}],
        "In the last 7 days the class (1 learner active) practised 2 words on 1 day (up from 0), with 50% accuracy. "
        "In the last 28 days the class (1 learner active) practised 2 words on 1 day (up from 0), with 50% accuracy. "
        "Current streak: 1 day. Falling behind: Aaron Quiet (never active).",
    )


@pytest.fixture
def words_practised(classroom, learner):
    """"hola" answered wrong 4 times out of 5, "chat" 3 out of 5, and a word deleted since (2 of 5 wrong),
    on 10 March; "perro" answered 3 times on 20 February (not practised since)."""
    hola = factories.WordFactory(text="hola", translation="hello", language="es")
    chat = factories.WordFactory(text="chat", translation="cat", language="fr")
    perro = factories.WordFactory(text="perro", translation="dog", language="es")
    gone = factories.WordFactory(text="adiós", translation="goodbye", language="es")
    answers = [(hola, "+----"), (chat, "++---"), (gone, "+++--")]
    for n, (word, correct) in enumerate((word, outcome == "+") for word, outcomes in answers for outcome in outcomes):
        services.log_word_practice(learner, word.pk, correct, classroom,
                                   occurred_at=datetime(2026, 3, 10, 15, n, tzinfo=UTC))
    for n in range(3):
        services.log_word_practice(learner, perro.pk, True, classroom,
                                   occurred_at=datetime(2026, 2, 20, 15, n, tzinfo=UTC))
    aggregation.rollup_dirty_days()
    gone_id = gone.pk
    gone.delete()
    return {"hola": hola.pk, "chat": chat.pk, "perro": perro.pk, "gone": gone_id}


def test_insights_name_words_in_json_and_summary_with_one_query(client_for, teacher, learner, words_practised,
                                                                django_assert_num_queries):
    ids = words_practised
    client = client_for(teacher)
    with django_assert_num_queries(17):  # token 2, access 2, time zone 1, insights 11, the words' names 1
        learner_body = client.get(f"/api/v1/learners/{learner.pk}/insights/?as_of=2026-03-10").json()
    classroom_body = client.get(f"/api/v1/classrooms/{learner.classrooms.get().pk}/insights/?as_of=2026-03-10").json()
    weak = [
        {"word_id": ids["hola"], "text": "hola", "translation": "hello", "language": "es", "attempts": 5,
         "correct": 1, "accuracy": 0.2},
        {"word_id": ids["chat"], "text": "chat", "translation": "cat", "language": "fr", "attempts": 5,
         "correct": 2, "accuracy": 0.4},
        {"word_id": ids["gone"], "text": None, "translation": None, "language": None, "attempts": 5,
         "correct": 3, "accuracy": 0.6},
    ]
    stale = [{"word_id": ids["perro"], "text": "perro", "translation": "dog", "language": "es", "attempts": 3,
              "correct": 3, "accuracy": 1.0, "last_practiced": "2026-02-20"}]
    assert (learner_body["weakest_words"], learner_body["stale_words"]) == (weak, stale)
    assert (classroom_body["hardest_words"], classroom_body["stale_words"]) == (weak, stale)
    words_said = (f'"hola" ("hello", es; 20% of 5), "chat" ("cat", fr; 40% of 5), #{ids["gone"]} (60% of 5). '
                  f'Not practised for 14 days or more: "perro" ("dog", es; last on 2026-02-20).')
    assert learner_body["summary"].endswith(f"Weakest words: {words_said}")
    assert classroom_body["summary"].endswith(f"Hardest words: {words_said} Nobody is falling behind.")


def test_learners_and_other_teachers_may_not_read_classroom_insights(client_for, other_teacher, learner, classroom):
    for user in (other_teacher, learner):
        response = client_for(user).get(f"/api/v1/classrooms/{classroom.pk}/insights/")
        assert (response.status_code, response.json()) == (
            403, {"detail": "Only this classroom's teacher can do this."})


def test_an_unknown_classroom_is_not_found(client_for, teacher):
    response = client_for(teacher).get("/api/v1/classrooms/999999/insights/")
    assert (response.status_code, response.json()) == (404, {"detail": "No Classroom matches the given query."})


def test_the_schema_describes_the_insights_endpoints_with_examples(client_for, teacher):
    schema = client_for(teacher).get("/api/schema/?format=json").json()
    for path, component in [("/api/v1/learners/{learner_id}/insights/", "LearnerInsights"),
                            ("/api/v1/classrooms/{classroom_id}/insights/", "ClassroomInsights")]:
        operation = schema["paths"][path]["get"]
        assert sorted(operation["responses"]) == ["200", "400", "401", "403", "404", "503"]
        assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["as_of"]
        content = operation["responses"]["200"]["content"]["application/json"]
        assert content["schema"] == {"$ref": f"#/components/schemas/{component}"}
        [example] = content["examples"].values()
        assert sorted(example["value"]) == sorted(schema["components"]["schemas"][component]["properties"])
