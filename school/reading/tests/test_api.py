from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from learning_events.models import LearningEvent

from school import factories
from school.reading.models import Content, Reading

pytestmark = pytest.mark.django_db

ARTICLE = {"kind": "article", "title": "El clima", "body": "Hace sol.", "language": "es", "level": "B1"}


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def stored_events():
    return [(e.user_id, e.event_type, e.context, e.classroom_id) for e in LearningEvent.objects.order_by("id")]


def reading_json(reading):
    reading.refresh_from_db()
    return {"id": reading.pk, "content_id": reading.content_id, "classroom_id": reading.classroom_id,
            "viewed_at": iso(reading.viewed_at), "completed_at": iso(reading.completed_at),
            "duration_seconds": reading.duration_seconds}


@pytest.fixture
def story(db):
    return factories.ContentFactory(kind="story", title="El gato", body="Había una vez un gato.", language="es",
                                    level="A1")


# --- catalogue --------------------------------------------------------------------------------------


def test_teacher_adds_an_article(teacher, client_for):
    response = client_for(teacher).post("/api/v1/contents/", ARTICLE)
    assert response.status_code == 201
    content = Content.objects.get()
    assert response.json() == {"id": content.pk, **ARTICLE, "created_at": iso(content.created_at)}


def test_learner_cannot_add_content(learner, client_for):
    response = client_for(learner).post("/api/v1/contents/", ARTICLE)
    assert response.status_code == 403
    assert response.json() == {"detail": "Only teachers can create or change this."}
    assert not Content.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"kind": ["This field is required."], "title": ["This field is required."],
              "body": ["This field is required."], "language": ["This field is required."],
              "level": ["This field is required."]}),
        ({**ARTICLE, "kind": "poem", "level": "D1"},
         {"kind": ['"poem" is not a valid choice.'], "level": ['"D1" is not a valid choice.']}),
        ({**ARTICLE, "title": "", "language": "x" * 11},
         {"title": ["This field may not be blank."],
          "language": ["Ensure this field has no more than 10 characters."]}),
    ],
)
def test_add_content_with_a_bad_body_is_400(teacher, client_for, body, errors):
    response = client_for(teacher).post("/api/v1/contents/", body)
    assert response.status_code == 400
    assert response.json() == errors
    assert not Content.objects.exists()


def test_list_filters_by_kind_language_and_level_without_bodies(story, learner, client_for):
    article = factories.ContentFactory(kind="article", title="Das Wetter", language="de", level="B1")
    factories.ContentFactory(kind="story", title="Der Hund", language="de", level="A2")
    client = client_for(learner)
    assert client.get("/api/v1/contents/?kind=story&language=es&level=A1").json()["results"] == [{
        "id": story.pk, "kind": "story", "title": "El gato", "language": "es", "level": "A1",
        "created_at": iso(story.created_at)}]
    assert [c["id"] for c in client.get("/api/v1/contents/?kind=article").json()["results"]] == [article.pk]
    assert [c["title"] for c in client.get("/api/v1/contents/?language=de").json()["results"]] == [
        "Das Wetter", "Der Hund"]
    assert [c["title"] for c in client.get("/api/v1/contents/?level=B1").json()["results"]] == ["Das Wetter"]
    assert [c["title"] for c in client.get("/api/v1/contents/").json()["results"]] == [
        "Das Wetter", "Der Hund", "El gato"]


def test_list_with_a_bad_filter_is_400(learner, client_for):
    response = client_for(learner).get("/api/v1/contents/?kind=poem&level=Z9")
    assert response.status_code == 400
    assert response.json() == {"kind": ['"poem" is not a valid choice.'], "level": ['"Z9" is not a valid choice.']}


def test_detail_has_the_body(story, learner, client_for):
    response = client_for(learner).get(f"/api/v1/contents/{story.pk}/")
    assert response.status_code == 200
    assert response.json() == {"id": story.pk, "kind": "story", "title": "El gato", "language": "es", "level": "A1",
                               "created_at": iso(story.created_at), "body": "Había una vez un gato."}


def test_anonymous_is_401_everywhere(story, client_for):
    client = client_for()
    assert client.get("/api/v1/contents/").status_code == 401
    assert client.post("/api/v1/contents/", ARTICLE).status_code == 401
    assert client.get(f"/api/v1/contents/{story.pk}/").status_code == 401
    assert client.post(f"/api/v1/contents/{story.pk}/view/", {}).status_code == 401
    assert client.post(f"/api/v1/contents/{story.pk}/complete/", {}).status_code == 401
    assert not LearningEvent.objects.exists()


def test_unknown_content_is_404(learner, client_for):
    client = client_for(learner)
    for response in (client.get("/api/v1/contents/999999/"),
                     client.post("/api/v1/contents/999999/view/", {}),
                     client.post("/api/v1/contents/999999/complete/", {})):
        assert response.status_code == 404
        assert response.json() == {"detail": "No Content matches the given query."}
    assert not LearningEvent.objects.exists()


# --- view -------------------------------------------------------------------------------------------


def test_view_in_a_classroom_opens_a_reading_and_logs_content_view(story, classroom, learner, client_for):
    response = client_for(learner).post(f"/api/v1/contents/{story.pk}/view/", {"classroom_id": classroom.pk})
    assert response.status_code == 201
    reading = Reading.objects.get()
    assert response.json() == reading_json(reading)
    assert (reading.learner, reading.content, reading.classroom, reading.completed_at) == (
        learner, story, classroom, None)
    assert stored_events() == [
        (learner.pk, "content_view", {"content_id": story.pk, "content_type": "story"}, classroom.pk)]
    assert LearningEvent.objects.get().occurred_at == reading.viewed_at


def test_view_without_a_classroom_logs_an_article_view_without_one(learner, client_for):
    article = factories.ContentFactory(kind="article")
    response = client_for(learner).post(f"/api/v1/contents/{article.pk}/view/", {})
    assert response.status_code == 201
    assert response.json()["classroom_id"] is None
    assert stored_events() == [(learner.pk, "content_view", {"content_id": article.pk, "content_type": "article"},
                                None)]


@pytest.mark.parametrize("action", ["view", "complete"])
def test_classroom_you_are_not_in_is_403_and_unknown_is_404(story, classroom, outsider, client_for, action):
    url = f"/api/v1/contents/{story.pk}/{action}/"
    response = client_for(outsider).post(url, {"classroom_id": classroom.pk})
    assert response.status_code == 403
    assert response.json() == {"detail": "You are not a member of this classroom."}
    response = client_for(outsider).post(url, {"classroom_id": 999999})
    assert response.status_code == 404
    assert response.json() == {"detail": "No Classroom matches the given query."}
    assert not Reading.objects.exists() and not LearningEvent.objects.exists()


@pytest.mark.parametrize("action", ["view", "complete"])
def test_bad_classroom_id_is_400(story, learner, client_for, action):
    response = client_for(learner).post(f"/api/v1/contents/{story.pk}/{action}/", {"classroom_id": "first"})
    assert response.status_code == 400
    assert response.json() == {"classroom_id": ["A valid integer is required."]}
    assert not Reading.objects.exists() and not LearningEvent.objects.exists()


# --- complete ---------------------------------------------------------------------------------------


def test_complete_finishes_the_latest_open_reading_with_its_classroom(story, classroom, learner, client_for):
    client = client_for(learner)
    older = client.post(f"/api/v1/contents/{story.pk}/view/", {}).json()
    latest = client.post(f"/api/v1/contents/{story.pk}/view/", {"classroom_id": classroom.pk}).json()
    LearningEvent.objects.all().delete()
    response = client.post(f"/api/v1/contents/{story.pk}/complete/", {"duration_seconds": 95.5})
    assert response.status_code == 200
    reading = Reading.objects.get(pk=latest["id"])
    assert response.json() == reading_json(reading)
    assert (reading.completed_at is not None, reading.duration_seconds) == (True, 95.5)
    assert Reading.objects.get(pk=older["id"]).completed_at is None
    assert stored_events() == [(learner.pk, "content_complete",
                                {"content_id": story.pk, "content_type": "story", "duration_seconds": 95.5},
                                classroom.pk)]
    assert LearningEvent.objects.get().occurred_at == reading.completed_at


def test_complete_in_a_classroom_picks_the_open_reading_of_that_classroom(story, classroom, learner, client_for):
    client = client_for(learner)
    in_class = client.post(f"/api/v1/contents/{story.pk}/view/", {"classroom_id": classroom.pk}).json()
    client.post(f"/api/v1/contents/{story.pk}/view/", {})
    response = client.post(f"/api/v1/contents/{story.pk}/complete/", {"classroom_id": classroom.pk})
    assert response.status_code == 200
    assert response.json()["id"] == in_class["id"]


def test_complete_a_given_reading(story, learner, client_for):
    client = client_for(learner)
    first = client.post(f"/api/v1/contents/{story.pk}/view/", {}).json()
    client.post(f"/api/v1/contents/{story.pk}/view/", {})
    response = client.post(f"/api/v1/contents/{story.pk}/complete/", {"reading_id": first["id"], "duration_seconds": 0})
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["duration_seconds"]) == (first["id"], 0.0)
    assert list(Reading.objects.filter(completed_at__isnull=False).values_list("id", flat=True)) == [first["id"]]


def test_complete_without_a_duration_takes_the_time_since_the_view(story, learner, client_for, monkeypatch):
    client = client_for(learner)
    opened = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: opened)
    reading = client.post(f"/api/v1/contents/{story.pk}/view/", {}).json()
    monkeypatch.setattr(timezone, "now", lambda: opened + timedelta(minutes=4, seconds=30))
    response = client.post(f"/api/v1/contents/{story.pk}/complete/", {})
    assert (response.status_code, response.json()) == (200, {
        **reading, "completed_at": "2026-03-10T12:04:30Z", "duration_seconds": 270.0})
    assert stored_events()[-1][2] == {"content_id": story.pk, "content_type": "story", "duration_seconds": 270.0}


def test_complete_without_an_open_reading_creates_one_without_duration(story, learner, client_for):
    response = client_for(learner).post(f"/api/v1/contents/{story.pk}/complete/", {})
    assert response.status_code == 201
    reading = Reading.objects.get()
    assert response.json() == reading_json(reading)
    assert (reading.learner, reading.classroom, reading.duration_seconds) == (learner, None, None)
    assert stored_events() == [(learner.pk, "content_complete", {"content_id": story.pk, "content_type": "story"},
                                None)]


def test_someone_elses_or_unknown_reading_is_404(story, learner, outsider, client_for):
    theirs = client_for(outsider).post(f"/api/v1/contents/{story.pk}/view/", {}).json()
    other_story = factories.ContentFactory()
    mine_of_other = client_for(learner).post(f"/api/v1/contents/{other_story.pk}/view/", {}).json()
    LearningEvent.objects.all().delete()
    for reading_id in (theirs["id"], mine_of_other["id"], 999999):
        response = client_for(learner).post(f"/api/v1/contents/{story.pk}/complete/", {"reading_id": reading_id})
        assert response.status_code == 404
        assert response.json() == {"detail": "No Reading matches the given query."}
    assert not Reading.objects.filter(completed_at__isnull=False).exists()
    assert not LearningEvent.objects.exists()


def test_completing_a_reading_twice_is_400_and_logs_once(story, learner, client_for):
    client = client_for(learner)
    reading = client.post(f"/api/v1/contents/{story.pk}/view/", {}).json()
    assert client.post(f"/api/v1/contents/{story.pk}/complete/", {"reading_id": reading["id"]}).status_code == 200
    response = client.post(f"/api/v1/contents/{story.pk}/complete/", {"reading_id": reading["id"]})
    assert response.status_code == 400
    assert response.json() == {"reading_id": ["This reading is already completed."]}
    assert [e[1] for e in stored_events()] == ["content_view", "content_complete"]


def test_completing_a_reading_in_another_classroom_is_400(story, classroom, learner, client_for):
    client = client_for(learner)
    reading = client.post(f"/api/v1/contents/{story.pk}/view/", {}).json()
    response = client.post(f"/api/v1/contents/{story.pk}/complete/",
                           {"reading_id": reading["id"], "classroom_id": classroom.pk})
    assert response.status_code == 400
    assert response.json() == {"classroom_id": ["This reading did not happen in this classroom."]}
    assert Reading.objects.get().completed_at is None
    assert [e[1] for e in stored_events()] == ["content_view"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"duration_seconds": -1}, {"duration_seconds": ["Ensure this value is greater than or equal to 0."]}),
        ({"duration_seconds": 86401}, {"duration_seconds": ["Ensure this value is less than or equal to 86400."]}),
        ({"duration_seconds": "long"}, {"duration_seconds": ["A valid number is required."]}),
        ({"duration_seconds": True}, {"duration_seconds": ["A valid number is required."]}),
        ({"duration_seconds": "NaN"}, {"duration_seconds": ["A valid number is required."]}),
        ({"duration_seconds": "Infinity"}, {"duration_seconds": ["A valid number is required."]}),
        ({"reading_id": "latest"}, {"reading_id": ["A valid integer is required."]}),
        ({"reading_id": 1.5}, {"reading_id": ["A valid integer is required."]}),
    ],
)
def test_complete_with_bad_numbers_is_400(story, learner, client_for, body, errors):
    response = client_for(learner).post(f"/api/v1/contents/{story.pk}/complete/", body)
    assert response.status_code == 400
    assert response.json() == errors
    assert not Reading.objects.exists() and not LearningEvent.objects.exists()


def test_ids_beyond_any_stored_one_are_404(story, learner, client_for):
    huge = 2**70
    client = client_for(learner)
    assert client.get(f"/api/v1/contents/{huge}/").status_code == 404
    assert client.post(f"/api/v1/contents/{story.pk}/view/", {"classroom_id": huge}).status_code == 404
    assert client.post(f"/api/v1/contents/{story.pk}/complete/", {"reading_id": huge}).status_code == 404
    assert not LearningEvent.objects.exists()
