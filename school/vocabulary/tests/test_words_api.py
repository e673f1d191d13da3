"""The words and word-lists API: reading, creating, changing, and who may do it."""

import pytest

from school import factories
from school.vocabulary.models import Word, WordList

pytestmark = pytest.mark.django_db

TEACHERS_ONLY = {"detail": "Only teachers can create or change this."}
OWNER_ONLY = {"detail": "Only the teacher who owns this word list can change it."}
BAD_LANGUAGE = ['Use a two-letter ISO 639-1 code in lower case, e.g. "es".']


def word_body(word: Word) -> dict:
    return {"id": word.pk, "text": word.text, "translation": word.translation, "language": word.language,
            "example_sentence": word.example_sentence}


@pytest.fixture
def perro(db):
    return factories.WordFactory(text="perro", translation="dog", language="es")


@pytest.fixture
def gato(db):
    return factories.WordFactory(text="gato", translation="cat", language="es")


@pytest.fixture
def chien(db):
    return factories.WordFactory(text="chien", translation="dog", language="fr")


# --- words ----------------------------------------------------------------------------------------


def test_teacher_creates_a_word(teacher, client_for):
    response = client_for(teacher).post("/api/v1/words/", {
        "text": "casa", "translation": "house", "language": "es", "example_sentence": "Mi casa es tu casa."})
    assert response.status_code == 201
    word = Word.objects.get()
    assert response.json() == {"id": word.pk, "text": "casa", "translation": "house", "language": "es",
                               "example_sentence": "Mi casa es tu casa."}


def test_learner_cannot_create_a_word(learner, client_for):
    response = client_for(learner).post("/api/v1/words/", {"text": "casa", "translation": "house", "language": "es"})
    assert response.status_code == 403
    assert response.json() == TEACHERS_ONLY
    assert not Word.objects.exists()


def test_anonymous_is_401_on_words(perro, client_for):
    for response in (client_for().get("/api/v1/words/"), client_for().get(f"/api/v1/words/{perro.pk}/"),
                     client_for().post("/api/v1/words/", {"text": "casa", "translation": "house", "language": "es"})):
        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_create_word_with_missing_and_bad_fields_is_400(teacher, client_for):
    client = client_for(teacher)
    response = client.post("/api/v1/words/", {})
    assert response.status_code == 400
    assert response.json() == {"text": ["This field is required."], "translation": ["This field is required."],
                               "language": ["This field is required."]}
    response = client.post("/api/v1/words/", {"text": " ", "translation": "x" * 201, "language": "Spanish"})
    assert response.status_code == 400
    assert response.json() == {"text": ["This field may not be blank."],
                               "translation": ["Ensure this field has no more than 200 characters."],
                               "language": BAD_LANGUAGE}
    assert not Word.objects.exists()


def test_duplicate_word_is_400(perro, teacher, client_for):
    response = client_for(teacher).post("/api/v1/words/", {"text": "perro", "translation": "dog", "language": "es"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The fields language, text, translation must make a unique set."]}
    assert list(Word.objects.all()) == [perro]


def test_words_filter_by_language_and_search(perro, gato, chien, learner, client_for):
    client = client_for(learner)

    def texts(query: str) -> list[str]:
        response = client.get(f"/api/v1/words/{query}")
        assert response.status_code == 200
        return [w["text"] for w in response.json()["results"]]

    assert texts("") == ["gato", "perro", "chien"]  # by language, then text
    assert texts("?language=es") == ["gato", "perro"]
    assert texts("?q=DOG") == ["perro", "chien"]  # translation, any case
    assert texts("?q=ga") == ["gato"]  # text
    assert texts("?language=fr&q=dog") == ["chien"]
    assert texts("?language=de") == []
    assert texts("?q=%20%20") == ["gato", "perro", "chien"]  # a blank search is no search


def test_word_detail_and_unknown_is_404(perro, learner, client_for):
    client = client_for(learner)
    response = client.get(f"/api/v1/words/{perro.pk}/")
    assert response.status_code == 200
    assert response.json() == word_body(perro)
    response = client.get("/api/v1/words/999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Word matches the given query."}


# --- word lists -----------------------------------------------------------------------------------


def test_teacher_creates_a_word_list_with_words(perro, gato, teacher, client_for):
    response = client_for(teacher).post("/api/v1/word-lists/", {
        "name": "Animals", "language": "es", "word_ids": [perro.pk, gato.pk, perro.pk]})
    assert response.status_code == 201
    word_list = WordList.objects.get()
    assert word_list.owner == teacher
    assert response.json() == {
        "id": word_list.pk, "name": "Animals", "language": "es", "owner": teacher.username, "word_count": 2,
        "created_at": response.json()["created_at"], "words": [word_body(gato), word_body(perro)],
    }


def test_teacher_creates_an_empty_word_list(teacher, client_for):
    response = client_for(teacher).post("/api/v1/word-lists/", {"name": "Later", "language": "fr"})
    assert response.status_code == 201
    assert (response.json()["word_count"], response.json()["words"]) == (0, [])


def test_learner_cannot_create_a_word_list(learner, client_for):
    response = client_for(learner).post("/api/v1/word-lists/", {"name": "Mine", "language": "es"})
    assert response.status_code == 403
    assert response.json() == TEACHERS_ONLY
    assert not WordList.objects.exists()


def test_create_word_list_with_unknown_word_ids_is_400_naming_them(perro, teacher, client_for):
    response = client_for(teacher).post("/api/v1/word-lists/", {
        "name": "Animals", "language": "es", "word_ids": [999999, perro.pk, 999998]})
    assert response.status_code == 400
    assert response.json() == {"word_ids": ["Unknown word ids: 999998, 999999."]}
    assert not WordList.objects.exists()


def test_create_word_list_with_words_of_another_language_is_400(perro, chien, teacher, client_for):
    response = client_for(teacher).post("/api/v1/word-lists/", {
        "name": "Animals", "language": "es", "word_ids": [perro.pk, chien.pk]})
    assert response.status_code == 400
    assert response.json() == {"word_ids": [f"Words {chien.pk} are not in the word list's language 'es'."]}
    assert not WordList.objects.exists()


@pytest.mark.parametrize(("body", "errors"), [
    ({}, {"name": ["This field is required."], "language": ["This field is required."]}),
    ({"name": "A", "language": "ES"}, {"language": BAD_LANGUAGE}),
    ({"name": "A", "language": "es", "word_ids": "1,2"},
     {"word_ids": ['Expected a list of items but got type "str".']}),
    ({"name": "A", "language": "es", "word_ids": [1, 0, "x"]},
     {"word_ids": {"1": ["Ensure this value is greater than or equal to 1."], "2": ["A valid integer is required."]}}),
    ({"name": "A", "language": "es", "word_ids": [2**63]},
     {"word_ids": {"0": ["Ensure this value is less than or equal to 9223372036854775807."]}}),
])
def test_create_word_list_with_a_bad_body_is_400(teacher, client_for, body, errors):
    response = client_for(teacher).post("/api/v1/word-lists/", body)
    assert response.status_code == 400
    assert response.json() == errors


def test_word_lists_filter_by_language(perro, gato, chien, learner, client_for):
    spanish = factories.WordListFactory(name="Spanish animals", language="es", words=[perro, gato])
    french = factories.WordListFactory(name="French animals", language="fr", words=[chien])
    client = client_for(learner)

    def lists(query: str) -> list[tuple]:
        response = client.get(f"/api/v1/word-lists/{query}")
        assert response.status_code == 200
        return [(wl["id"], wl["owner"], wl["word_count"]) for wl in response.json()["results"]]

    assert lists("") == [(french.pk, None, 1), (spanish.pk, None, 2)]
    assert lists("?language=es") == [(spanish.pk, None, 2)]
    assert lists("?language=xx") == []


@pytest.mark.parametrize(("path", "errors"), [
    ("/api/v1/words/?q=do%00g", {"q": ["Null characters are not allowed."]}),
    ("/api/v1/words/?language=e%00s", {"language": ["Null characters are not allowed."]}),
    ("/api/v1/word-lists/?language=e%00s", {"language": ["Null characters are not allowed."]}),
    ("/api/v1/word-lists/?language=" + "e" * 11, {"language": ["Ensure this field has no more than 10 characters."]}),
])
def test_a_bad_list_filter_is_400(learner, client_for, path, errors):
    response = client_for(learner).get(path)
    assert (response.status_code, response.json()) == (400, errors)


def test_anonymous_is_401_on_word_lists(client_for):
    word_list = factories.WordListFactory()
    for response in (client_for().get("/api/v1/word-lists/"),
                     client_for().get(f"/api/v1/word-lists/{word_list.pk}/"),
                     client_for().patch(f"/api/v1/word-lists/{word_list.pk}/", {"name": "X"}),
                     client_for().post(f"/api/v1/word-lists/{word_list.pk}/words/", {"word_ids": [1]})):
        assert response.status_code == 401


def test_word_list_detail_shows_its_words_and_unknown_is_404(perro, gato, learner, client_for):
    word_list = factories.WordListFactory(name="Animals", words=[perro, gato])
    client = client_for(learner)
    response = client.get(f"/api/v1/word-lists/{word_list.pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": word_list.pk, "name": "Animals", "language": "es", "owner": None, "word_count": 2,
        "created_at": response.json()["created_at"], "words": [word_body(gato), word_body(perro)],
    }
    for url in ("/api/v1/word-lists/999999/", f"/api/v1/word-lists/{2**70}/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"detail": "No WordList matches the given query."}


@pytest.fixture
def owned_list(teacher, perro):
    return factories.WordListFactory(name="Animals", owner=teacher, words=[perro])


def test_owner_renames_a_word_list(owned_list, client_for):
    response = client_for(owned_list.owner).patch(f"/api/v1/word-lists/{owned_list.pk}/", {"name": "Pets"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["word_count"]) == ("Pets", 1)
    owned_list.refresh_from_db()
    assert owned_list.name == "Pets"


def test_patch_word_ids_replaces_the_words(owned_list, gato, client_for):
    response = client_for(owned_list.owner).patch(f"/api/v1/word-lists/{owned_list.pk}/", {"word_ids": [gato.pk]})
    assert response.status_code == 200
    assert [w["id"] for w in response.json()["words"]] == [gato.pk]
    assert list(owned_list.words.all()) == [gato]


def test_patch_language_must_match_the_words(owned_list, chien, client_for):
    client = client_for(owned_list.owner)
    url = f"/api/v1/word-lists/{owned_list.pk}/"
    response = client.patch(url, {"language": "fr"})
    assert response.status_code == 400
    perro_id = owned_list.words.get().pk
    assert response.json() == {"language": [f"Words {perro_id} are not in the word list's language 'fr'."]}
    response = client.patch(url, {"language": "fr", "word_ids": [chien.pk]})
    assert response.status_code == 200
    assert (response.json()["language"], [w["id"] for w in response.json()["words"]]) == ("fr", [chien.pk])


def test_patch_with_a_bad_body_is_400_and_changes_nothing(owned_list, client_for):
    response = client_for(owned_list.owner).patch(
        f"/api/v1/word-lists/{owned_list.pk}/", {"name": "", "word_ids": [999999]})
    assert response.status_code == 400
    assert response.json() == {"name": ["This field may not be blank."]}
    response = client_for(owned_list.owner).patch(f"/api/v1/word-lists/{owned_list.pk}/", {"word_ids": [999999]})
    assert response.status_code == 400
    assert response.json() == {"word_ids": ["Unknown word ids: 999999."]}
    owned_list.refresh_from_db()
    assert (owned_list.name, owned_list.words.count()) == ("Animals", 1)


def test_only_the_owner_or_staff_change_a_word_list(owned_list, other_teacher, learner, client_for):
    url = f"/api/v1/word-lists/{owned_list.pk}/"
    for user in (other_teacher, learner):
        response = client_for(user).patch(url, {"name": "Mine"})
        assert response.status_code == 403
        assert response.json() == OWNER_ONLY
    staff = factories.UserFactory(is_staff=True)
    response = client_for(staff).patch(url, {"name": "Checked"})
    assert response.status_code == 200
    owned_list.refresh_from_db()
    assert owned_list.name == "Checked"


def test_a_shared_list_without_owner_is_changed_by_staff_only(teacher, client_for):
    shared = factories.WordListFactory(owner=None)
    response = client_for(teacher).patch(f"/api/v1/word-lists/{shared.pk}/", {"name": "Mine"})
    assert response.status_code == 403
    assert response.json() == OWNER_ONLY


def test_patch_unknown_word_list_is_404(teacher, client_for):
    response = client_for(teacher).patch("/api/v1/word-lists/999999/", {"name": "X"})
    assert response.status_code == 404
    assert response.json() == {"detail": "No WordList matches the given query."}


def test_owner_adds_words(owned_list, gato, perro, client_for):
    response = client_for(owned_list.owner).post(
        f"/api/v1/word-lists/{owned_list.pk}/words/", {"word_ids": [gato.pk, perro.pk]})
    assert response.status_code == 200
    assert [w["text"] for w in response.json()["words"]] == ["gato", "perro"]
    assert response.json()["word_count"] == 2


@pytest.mark.parametrize(("body", "errors"), [
    ({}, {"word_ids": ["This field is required."]}),
    ({"word_ids": []}, {"word_ids": ["This list may not be empty."]}),
    ({"word_ids": [999999, 999998]}, {"word_ids": ["Unknown word ids: 999998, 999999."]}),
])
def test_adding_words_with_a_bad_body_is_400_and_adds_nothing(owned_list, client_for, body, errors):
    response = client_for(owned_list.owner).post(f"/api/v1/word-lists/{owned_list.pk}/words/", body)
    assert response.status_code == 400
    assert response.json() == errors
    assert owned_list.words.count() == 1


def test_adding_a_word_of_another_language_is_400(owned_list, gato, chien, client_for):
    response = client_for(owned_list.owner).post(
        f"/api/v1/word-lists/{owned_list.pk}/words/", {"word_ids": [gato.pk, chien.pk]})
    assert response.status_code == 400
    assert response.json() == {"word_ids": [f"Words {chien.pk} are not in the word list's language 'es'."]}
    assert owned_list.words.count() == 1


def test_only_the_owner_adds_words_and_unknown_list_is_404(owned_list, gato, other_teacher, learner, client_for):
    for user in (other_teacher, learner):
        response = client_for(user).post(f"/api/v1/word-lists/{owned_list.pk}/words/", {"word_ids": [gato.pk]})
        assert response.status_code == 403
        assert response.json() == OWNER_ONLY
    response = client_for(owned_list.owner).post("/api/v1/word-lists/999999/words/", {"word_ids": [gato.pk]})
    assert response.status_code == 404
    assert owned_list.words.count() == 1
