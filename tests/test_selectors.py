"""Selectors not covered through the APIs: naming words through the host's hooks."""

from learning_events import selectors
from tests import words


def test_word_names_asks_the_host_once_for_every_distinct_id(settings):
    settings.LEARNING_EVENTS_WORD_NAMES = words.HOOK
    words.CALLS.clear()
    assert selectors.word_names([12, 7, 12, 99, 20]) == {
        7: {"text": "perro", "translation": "dog", "language": "es"},
        12: {"text": 'el "ojo"', "translation": "eye, the", "language": "es"},
        20: {"text": "Haus", "translation": None, "language": None},  # empty and missing names are null
        99: {"text": None, "translation": None, "language": None},  # a deleted word
    }
    assert words.CALLS == [[7, 12, 20, 99]]


def test_no_ids_no_call(settings):
    settings.LEARNING_EVENTS_WORD_NAMES = words.HOOK
    words.CALLS.clear()
    assert (selectors.word_names([]), selectors.with_word_names([], []), words.CALLS) == ({}, [[], []], [])


def test_without_a_hook_words_go_by_id():
    assert selectors.word_names([7]) == {7: {"text": None, "translation": None, "language": None}}


def test_the_older_language_hook_still_gives_the_language(settings):
    settings.LEARNING_EVENTS_WORD_LANGUAGES = "tests.test_exports.languages_of_words"
    assert selectors.word_names([7, 9]) == {7: {"text": None, "translation": None, "language": "es"},
                                            9: {"text": None, "translation": None, "language": None}}


def test_the_names_hook_wins_over_the_language_hook(settings):
    settings.LEARNING_EVENTS_WORD_NAMES = words.HOOK
    settings.LEARNING_EVENTS_WORD_LANGUAGES = "tests.test_exports.languages_of_words"
    assert selectors.word_names([8]) == {8: {"text": "chien", "translation": "dog", "language": "fr"}}


def test_with_word_names_names_each_list_with_one_call(settings):
    settings.LEARNING_EVENTS_WORD_NAMES = words.HOOK
    words.CALLS.clear()
    first, second = selectors.with_word_names([{"word_id": 3, "attempts": 4}], [{"word_id": 99}, {"word_id": 3}])
    assert (first, second, words.CALLS) == (
        [words.named(3, attempts=4)], [words.named(99), words.named(3)], [[3, 99]])
