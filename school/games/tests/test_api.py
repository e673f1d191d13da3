"""The games API: list and create, show with words, complete a play (and its ``game_complete`` event)."""

import pytest
from learning_events.models import LearningEvent

from school import factories
from school.games.models import Game, GamePlay

pytestmark = pytest.mark.django_db


@pytest.fixture
def words():
    return [factories.WordFactory(text=text, translation=translation)
            for text, translation in [("perro", "dog"), ("gato", "cat"), ("casa", "house")]]


@pytest.fixture
def game(words):
    return factories.GameFactory(title="Pets", kind=Game.Kind.MATCHING,
                                 word_list=factories.WordListFactory(words=words))


def completions_url(game) -> str:
    return f"/api/v1/games/{game.pk}/completions/"


# --- list and create ------------------------------------------------------------------------------


def test_list_filters_by_kind(game, outsider, client_for):
    spelling = factories.GameFactory(title="Spell it", kind=Game.Kind.SPELLING)
    client = client_for(outsider)
    everything = client.get("/api/v1/games/").json()["results"]
    assert [g["id"] for g in everything] == [game.pk, spelling.pk]  # ordered by title
    only = client.get("/api/v1/games/", {"kind": "spelling"}).json()["results"]
    assert only == [{"id": spelling.pk, "title": "Spell it", "kind": "spelling",
                     "word_list": spelling.word_list_id, "created_at": only[0]["created_at"]}]


def test_list_with_unknown_kind_is_400(outsider, client_for):
    response = client_for(outsider).get("/api/v1/games/", {"kind": "chess"})
    assert response.status_code == 400
    assert response.json() == {"kind": ['"chess" is not a valid choice.']}


def test_anonymous_is_401_everywhere(game, client_for):
    client = client_for()
    assert client.get("/api/v1/games/").status_code == 401
    assert client.post("/api/v1/games/", {"title": "X", "word_list": game.word_list_id}).status_code == 401
    assert client.get(f"/api/v1/games/{game.pk}/").status_code == 401
    assert client.post(completions_url(game), {"score": 1, "duration_seconds": 5}).status_code == 401


def test_teacher_creates_a_game(teacher, client_for):
    word_list = factories.WordListFactory()
    response = client_for(teacher).post("/api/v1/games/", {"title": "Colours", "kind": "spelling",
                                                            "word_list": word_list.pk})
    assert response.status_code == 201
    game = Game.objects.get()
    assert response.json() == {"id": game.pk, "title": "Colours", "kind": "spelling", "word_list": word_list.pk,
                               "created_at": response.json()["created_at"]}
    assert (game.title, game.kind, game.word_list_id) == ("Colours", "spelling", word_list.pk)


def test_a_game_created_without_a_kind_is_a_matching_game(teacher, client_for):
    word_list = factories.WordListFactory()
    response = client_for(teacher).post("/api/v1/games/", {"title": "Colours", "word_list": word_list.pk})
    assert response.status_code == 201
    assert (response.json()["kind"], Game.objects.get().kind) == ("matching", "matching")


def test_learner_cannot_create_a_game(learner, client_for):
    word_list = factories.WordListFactory()
    response = client_for(learner).post("/api/v1/games/", {"title": "X", "kind": "matching",
                                                            "word_list": word_list.pk})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only teachers can create or change this."}
    assert not Game.objects.exists()


@pytest.mark.parametrize(("body", "errors"), [
    ({}, {"title": ["This field is required."], "word_list": ["This field is required."]}),
    ({"title": "X", "kind": "chess", "word_list": None}, {"kind": ['"chess" is not a valid choice.'],
                                                          "word_list": ["This field may not be null."]}),
    ({"title": "X", "word_list": 999999}, {"word_list": ['Invalid pk "999999" - object does not exist.']}),
    ({"title": "X", "word_list": "abc"}, {"word_list": ["Incorrect type. Expected pk value, received str."]}),
])
def test_create_with_a_bad_body_is_400(teacher, client_for, body, errors):
    response = client_for(teacher).post("/api/v1/games/", body)
    assert response.status_code == 400
    assert response.json() == errors


# --- detail ---------------------------------------------------------------------------------------


def test_detail_has_the_words_to_play(game, words, outsider, client_for):
    response = client_for(outsider).get(f"/api/v1/games/{game.pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": game.pk, "title": "Pets", "kind": "matching", "word_list": game.word_list_id,
        "created_at": response.json()["created_at"],
        "words": [{"id": w.pk, "text": w.text, "translation": w.translation} for w in words],
    }


def test_unknown_game_is_404(outsider, client_for):
    client = client_for(outsider)
    assert client.get("/api/v1/games/999999/").status_code == 404
    response = client.post("/api/v1/games/999999/completions/", {"score": 1, "duration_seconds": 5})
    assert response.status_code == 404
    assert response.json() == {"detail": "No Game matches the given query."}


# --- completions ----------------------------------------------------------------------------------


def test_completing_in_a_classroom_stores_the_play_and_its_event(game, words, classroom, learner, client_for):
    word_ids = [words[1].pk, words[0].pk]
    response = client_for(learner).post(completions_url(game), {
        "classroom_id": classroom.pk, "score": 80, "duration_seconds": 42.5, "word_ids": word_ids})
    assert response.status_code == 201
    play = GamePlay.objects.get()
    assert response.json() == {
        "id": play.pk, "game": game.pk, "classroom": classroom.pk, "score": 80.0, "duration_seconds": 42.5,
        "word_ids": word_ids, "completed_at": response.json()["completed_at"],
    }
    assert (play.learner, play.classroom, play.word_ids) == (learner, classroom, word_ids)
    event = LearningEvent.objects.get()
    assert (event.user, event.event_type, event.classroom, event.occurred_at) == (
        learner, "game_complete", classroom, play.completed_at)
    assert event.context == {"game_id": game.pk, "score": 80.0, "duration_seconds": 42.5, "word_ids": word_ids}


def test_completing_outside_a_classroom_without_words(game, outsider, client_for):
    response = client_for(outsider).post(completions_url(game), {"score": 0, "duration_seconds": 14400})
    assert response.status_code == 201
    assert response.json()["classroom"] is None and response.json()["word_ids"] == []
    event = LearningEvent.objects.get()
    assert (event.user, event.classroom) == (outsider, None)
    assert event.context == {"game_id": game.pk, "score": 0.0, "duration_seconds": 14400.0}


@pytest.mark.parametrize(("body", "errors"), [
    ({}, {"score": ["This field is required."], "duration_seconds": ["This field is required."]}),
    ({"score": "lots", "duration_seconds": None}, {"score": ["A valid number is required."],
                                                  "duration_seconds": ["This field may not be null."]}),
    ({"score": -1, "duration_seconds": 5}, {"score": ["Must be 0 or more."]}),
    ({"score": 1, "duration_seconds": 0},
     {"duration_seconds": ["Must be more than 0 and at most 14400 seconds (4 hours)."]}),
    ({"score": 1, "duration_seconds": 14400.5},
     {"duration_seconds": ["Must be more than 0 and at most 14400 seconds (4 hours)."]}),
    ({"score": 1, "duration_seconds": 5, "classroom_id": "one"}, {"classroom_id": ["A valid integer is required."]}),
    ({"score": 1, "duration_seconds": 5, "word_ids": "1,2"},
     {"word_ids": ['Expected a list of items but got type "str".']}),
    ({"score": 1, "duration_seconds": 5, "word_ids": [1, "x"]}, {"word_ids": {"1": ["A valid integer is required."]}}),
    ({"score": 1, "duration_seconds": 5, "word_ids": [2**63]},
     {"word_ids": {"0": ["Ensure this value is less than or equal to 9223372036854775807."]}}),
])
def test_completion_with_a_bad_body_is_400_and_logs_nothing(game, outsider, client_for, body, errors):
    response = client_for(outsider).post(completions_url(game), body)
    assert response.status_code == 400
    assert response.json() == errors
    assert not GamePlay.objects.exists() and not LearningEvent.objects.exists()


def test_word_ids_must_be_distinct_words_of_the_game(game, words, outsider, client_for):
    foreign = factories.WordFactory()
    client = client_for(outsider)
    response = client.post(completions_url(game), {"score": 1, "duration_seconds": 5,
                                                   "word_ids": [words[0].pk, foreign.pk, 999999]})
    assert response.status_code == 400
    assert response.json() == {"word_ids": [f"Not words of this game's word list: {foreign.pk}, 999999."]}
    response = client.post(completions_url(game), {"score": 1, "duration_seconds": 5,
                                                   "word_ids": [words[0].pk, words[0].pk]})
    assert response.status_code == 400
    assert response.json() == {"word_ids": ["Each word id may appear only once."]}
    assert not GamePlay.objects.exists() and not LearningEvent.objects.exists()


def test_completing_in_a_classroom_you_are_not_in_is_403(game, classroom, outsider, client_for):
    response = client_for(outsider).post(completions_url(game), {
        "classroom_id": classroom.pk, "score": 1, "duration_seconds": 5})
    assert response.status_code == 403
    assert response.json() == {"detail": "You are not a member of this classroom."}
    assert not GamePlay.objects.exists() and not LearningEvent.objects.exists()


def test_completing_in_an_unknown_classroom_is_404(game, outsider, client_for):
    response = client_for(outsider).post(completions_url(game), {
        "classroom_id": 999999, "score": 1, "duration_seconds": 5})
    assert response.status_code == 404
    assert response.json() == {"detail": "No Classroom matches the given query."}
    assert not GamePlay.objects.exists() and not LearningEvent.objects.exists()
