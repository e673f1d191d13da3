"""The vocabulary's word-names hook of the pipeline, and a trace export of the platform end to end."""

import datetime
import json

import pytest

from learning_events import services
from school import factories
from school.vocabulary.selectors import word_names

pytestmark = pytest.mark.django_db


def test_word_names_names_each_known_word_in_one_query(django_assert_num_queries):
    spanish = factories.WordFactory(text="hola", translation="hello", language="es")
    french = factories.WordFactory(text="chat", translation="cat", language="fr")
    with django_assert_num_queries(1):
        names = word_names([spanish.pk, french.pk, 10**9])
    assert names == {spanish.pk: {"text": "hola", "translation": "hello", "language": "es"},
                     french.pk: {"text": "chat", "translation": "cat", "language": "fr"}}  # deleted: left out


def test_staff_download_traces_with_word_names_and_nothing_personal(client_for, classroom, teacher):
    learner = factories.UserFactory(username="ximena.villalobos", first_name="Ximena", last_name="Villalobos",
                                    profile__display_name="Ximena V.")
    factories.MembershipFactory(classroom=classroom, student=learner)
    word = factories.WordFactory(text="chat", translation="cat", language="fr")
    at = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    services.log_word_practice(learner, word.pk, False, classroom, occurred_at=at, context={"answer": "Ximena"})
    services.log_word_practice(learner, word.pk, True, classroom, occurred_at=at + datetime.timedelta(seconds=30))
    staff = factories.UserFactory(is_staff=True)
    response = client_for(staff).get("/api/v1/exports/traces/", {"format": "jsonl", "classroom": classroom.pk})
    data = b"".join(response.streaming_content).decode()
    rows = [json.loads(line) for line in data.splitlines()]
    assert response.status_code == 200
    assert [(r["word_id"], r["language"], r["word_text"], r["word_translation"], r["outcome"],
             r["seconds_since_last_seen"], r["seen_before"], r["correct_before"]) for r in rows] == [
        (word.pk, "fr", "chat", "cat", 0, None, 0, 0), (word.pk, "fr", "chat", "cat", 1, 30.0, 1, 0)]
    for needle in ("ximena", "villalobos", "example.org", classroom.name.lower(), teacher.username.lower()):
        assert needle not in data.lower()
    assert client_for(teacher).get("/api/v1/exports/traces/").status_code == 403
