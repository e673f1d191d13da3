"""The pipeline's statistics read through the school's hooks: teachers see their classrooms, members by name."""

from datetime import UTC, datetime

import pytest

from learning_events import aggregation, services
from school import factories

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def activity(classroom, learner):
    services.log_word_practice(learner, 11, True, classroom, occurred_at=AT)
    services.log_word_practice(learner, 11, False, classroom, occurred_at=AT.replace(minute=5))
    aggregation.rollup_dirty_days()


def test_the_teacher_sees_every_member_by_display_name(client_for, teacher, classroom, learner, activity):
    quiet = factories.UserFactory(profile__display_name="Aaron Quiet")
    factories.MembershipFactory(classroom=classroom, student=quiet)
    response = client_for(teacher).get(f"/api/v1/classrooms/{classroom.pk}/stats/?from=2026-03-10&to=2026-03-10")
    assert response.status_code == 200
    assert [(row["user_id"], row["name"], row["words_practiced"], row["accuracy"], row["active_days"])
            for row in response.json()["learners"]] == [
        (quiet.pk, "Aaron Quiet", 0, None, 0),
        (learner.pk, learner.learner_profile.display_name, 2, 0.5, 1),
    ]
    assert response.json()["totals"]["active_learners"] == 1


def test_hardest_words_for_the_teacher_by_name(client_for, teacher, classroom, learner, django_assert_num_queries):
    hola = factories.WordFactory(text="hola", translation="hello", language="es")
    chat = factories.WordFactory(text="chat", translation="cat", language="fr")
    gone = factories.WordFactory(text="adiós", translation="goodbye", language="es")
    for minute, (word, correct) in enumerate([(hola, False), (hola, True), (chat, False), (chat, False),
                                              (gone, True), (gone, False)]):
        services.log_word_practice(learner, word.pk, correct, classroom, occurred_at=AT.replace(minute=minute))
    aggregation.rollup_dirty_days()
    gone_id = gone.pk
    gone.delete()  # a word deleted since it was practised keeps its id and figures
    client = client_for(teacher)
    # The token 2 (knox: the token, then the caller's tokens for expired ones), the classroom 1, the ranking 1,
    # the words' names 1: one query for all the words, not one each.
    with django_assert_num_queries(5):
        response = client.get(f"/api/v1/classrooms/{classroom.pk}/words/?min_attempts=2")
    assert (response.status_code, response.json()["words"]) == (200, [
        {"word_id": chat.pk, "text": "chat", "translation": "cat", "language": "fr", "attempts": 2, "correct": 0,
         "accuracy": 0.0},
        {"word_id": hola.pk, "text": "hola", "translation": "hello", "language": "es", "attempts": 2, "correct": 1,
         "accuracy": 0.5},
        {"word_id": gone_id, "text": None, "translation": None, "language": None, "attempts": 2, "correct": 1,
         "accuracy": 0.5},
    ])
    with django_assert_num_queries(4):  # no word listed: no naming query
        response = client.get(f"/api/v1/classrooms/{classroom.pk}/words/?min_attempts=3")
    assert (response.status_code, response.json()["words"]) == (200, [])


@pytest.mark.parametrize("path", ["stats", "words"])
def test_other_teachers_and_learners_are_refused(client_for, other_teacher, learner, classroom, path):
    for user in (other_teacher, learner):
        response = client_for(user).get(f"/api/v1/classrooms/{classroom.pk}/{path}/")
        assert (response.status_code, response.json()) == (
            403, {"detail": "Only this classroom's teacher can do this."})


@pytest.mark.parametrize("path", ["stats", "words"])
def test_an_unknown_classroom_is_not_found(client_for, teacher, path):
    response = client_for(teacher).get(f"/api/v1/classrooms/999999/{path}/")
    assert (response.status_code, response.json()) == (404, {"detail": "No Classroom matches the given query."})


def test_a_learner_reads_their_own_days_in_their_time_zone(client_for, learner, activity):
    learner.learner_profile.time_zone = "America/Lima"
    learner.learner_profile.save()
    response = client_for(learner).get("/api/v1/me/stats/?from=2026-03-10&to=2026-03-10")
    assert response.status_code == 200
    body = response.json()
    assert (body["time_zone"], body["totals"]["words_practiced"], body["days"][0]["words_practiced"]) == (
        "America/Lima", 2, 2)


def test_the_schema_describes_the_stats_endpoints(client_for, teacher):
    schema = client_for(teacher).get("/api/schema/?format=json").json()
    stats = schema["paths"]["/api/v1/classrooms/{classroom_id}/stats/"]["get"]
    assert sorted(stats["responses"]) == ["200", "400", "401", "403", "404", "503"]
    assert [p["name"] for p in stats["parameters"] if p["in"] == "query"] == ["from", "to"]
    me = schema["paths"]["/api/v1/me/stats/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert me == {"$ref": "#/components/schemas/MyStats"}
    assert sorted(schema["components"]["schemas"]["MyStats"]["properties"]) == [
        "days", "from", "time_zone", "to", "totals"]


def test_the_schema_describes_hardest_words_by_name_with_an_example(client_for, teacher):
    schema = client_for(teacher).get("/api/schema/?format=json").json()
    content = schema["paths"]["/api/v1/classrooms/{classroom_id}/words/"]["get"]["responses"]["200"]["content"]
    [example] = content["application/json"]["examples"].values()
    word = schema["components"]["schemas"]["HardWord"]
    assert (sorted(example["value"]["words"][0]), [word["properties"][k].get("nullable") for k in (
        "text", "translation", "language")]) == (sorted(word["properties"]), [True, True, True])
