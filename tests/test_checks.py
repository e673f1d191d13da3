"""System checks of the pipeline's settings: hooks that cannot be imported, numbers that are not positive,
and the word hooks' precedence."""

from django.core import checks

from learning_events.checks import check_settings


def test_word_names_hook_that_cannot_be_imported_is_an_error(settings):
    settings.LEARNING_EVENTS_WORD_NAMES = "tests.words.no_such_function"
    assert check_settings(None) == [checks.Error(
        "LEARNING_EVENTS_WORD_NAMES = 'tests.words.no_such_function' cannot be imported: Module \"tests.words\" "
        "does not define a \"no_such_function\" attribute/class",
        id="learning_events.E001")]


def test_both_word_hooks_set_warn_that_the_language_hook_is_ignored(settings):
    settings.LEARNING_EVENTS_WORD_NAMES = "tests.words.word_names"
    settings.LEARNING_EVENTS_WORD_LANGUAGES = "tests.test_exports.languages_of_words"
    assert check_settings(None) == [checks.Warning(
        "LEARNING_EVENTS_WORD_LANGUAGES is ignored while LEARNING_EVENTS_WORD_NAMES is set: the names carry the "
        "language.", hint="Remove LEARNING_EVENTS_WORD_LANGUAGES.", id="learning_events.W001")]


def test_either_word_hook_alone_passes(settings):
    settings.LEARNING_EVENTS_WORD_NAMES = "tests.words.word_names"
    assert check_settings(None) == []
    settings.LEARNING_EVENTS_WORD_NAMES = None
    settings.LEARNING_EVENTS_WORD_LANGUAGES = "tests.test_exports.languages_of_words"
    assert check_settings(None) == []


def test_memory_retention_must_lie_strictly_between_0_and_1(settings):
    for bad in (0, 1, 1.5, "0.9", True):
        settings.LEARNING_EVENTS_MEMORY_RETENTION = bad
        assert check_settings(None) == [checks.Error(
            "LEARNING_EVENTS_MEMORY_RETENTION must be a number strictly between 0 and 1 (default 0.9), "
            f"not {bad!r}", id="learning_events.E003")]
    settings.LEARNING_EVENTS_MEMORY_RETENTION = 0.85
    assert check_settings(None) == []


def test_memory_min_reviews_must_be_a_positive_integer(settings):
    settings.LEARNING_EVENTS_MEMORY_MIN_REVIEWS = 0
    assert check_settings(None) == [checks.Error(
        "LEARNING_EVENTS_MEMORY_MIN_REVIEWS must be a positive integer (default 100), not 0",
        id="learning_events.E002")]
def test_an_xapi_endpoint_without_a_home_page_is_an_error(settings):
    settings.LEARNING_EVENTS_XAPI_ENDPOINT = "https://lrs.example/xAPI"
    assert check_settings(None) == [checks.Error(
        "LEARNING_EVENTS_XAPI_ENDPOINT is set but LEARNING_EVENTS_XAPI_HOME_PAGE is not: statements cannot name "
        "learners' accounts, so nothing would be forwarded.",
        hint="Set LEARNING_EVENTS_XAPI_HOME_PAGE to the platform's IRI, e.g. https://school.example.",
        id="learning_events.E007")]


def test_an_http_xapi_endpoint_warns_that_credentials_travel_in_clear(settings):
    settings.LEARNING_EVENTS_XAPI_ENDPOINT = "http://lrs.example/xAPI"
    settings.LEARNING_EVENTS_XAPI_HOME_PAGE = "https://school.example"
    assert check_settings(None) == [checks.Warning(
        "LEARNING_EVENTS_XAPI_ENDPOINT 'http://lrs.example/xAPI' is not https: the LRS credentials and every "
        "statement travel in clear.", hint="Use the LRS's https URL.", id="learning_events.W002")]


def test_an_https_xapi_endpoint_with_a_home_page_passes(settings):
    settings.LEARNING_EVENTS_XAPI_ENDPOINT = "https://lrs.example/xAPI"
    settings.LEARNING_EVENTS_XAPI_HOME_PAGE = "https://school.example"
    assert check_settings(None) == []


def test_xapi_actor_names_versions_and_numbers_are_checked(settings):
    settings.LEARNING_EVENTS_XAPI_ACTOR_NAME = "email"
    settings.LEARNING_EVENTS_XAPI_VERSION = "1.0"
    settings.LEARNING_EVENTS_XAPI_BATCH_SIZE = 0
    assert check_settings(None) == [
        checks.Error("LEARNING_EVENTS_XAPI_BATCH_SIZE must be a positive integer (default 100), not 0",
                     id="learning_events.E002"),
        checks.Error("LEARNING_EVENTS_XAPI_ACTOR_NAME must be one of pseudonym, username, not 'email'",
                     id="learning_events.E003"),
        checks.Error("LEARNING_EVENTS_XAPI_VERSION must be one of 1.0.3, 2.0.0, not '1.0'", id="learning_events.E003"),
    ]
