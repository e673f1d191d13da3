"""The stand-in host's vocabulary: its ``LEARNING_EVENTS_WORD_NAMES`` hook over a few fixed words, recording
each call so that tests can see words named once per answer (no call per word)."""

WORDS = {
    3: {"text": "gato", "translation": "cat", "language": "es"},
    7: {"text": "perro", "translation": "dog", "language": "es"},
    8: {"text": "chien", "translation": "dog", "language": "fr"},
    # A translation with a comma and a text with a quote: the summary must keep them apart.
    12: {"text": 'el "ojo"', "translation": "eye, the", "language": "es"},
    # The host may know less than everything about a word.
    20: {"text": "Haus", "translation": "", "language": None},
}
#: The ids of each call of ``word_names``, in order.
CALLS: list[list[int]] = []
HOOK = "tests.words.word_names"


def word_names(word_ids):
    """``{word_id: {"text", "translation", "language"}}`` of the known ids; any other id is a deleted word."""
    CALLS.append(list(word_ids))
    return {word_id: WORDS[word_id] for word_id in word_ids if word_id in WORDS}


def named(word_id: int, **figures) -> dict:
    """A word row as the pipeline lists it once named by this hook (nulls for an unknown word)."""
    known = WORDS.get(word_id, {})
    return {"word_id": word_id, **{key: known.get(key) or None for key in ("text", "translation", "language")},
            **figures}


def unnamed(word_id: int, **figures) -> dict:
    """A word row as the pipeline lists it without a hook: by id, names null."""
    return {"word_id": word_id, "text": None, "translation": None, "language": None, **figures}
