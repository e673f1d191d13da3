"""Writes of vocabulary: words and word lists, and flashcard practice that logs learning events.

Each practice action and its learning event commit together (one ``transaction.atomic``): there is never
an event for an answer that was not stored, nor an answer without its event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException

from learning_events.selectors import learner_reviews
from learning_events.services import log_practice_end, log_practice_start, log_word_practice

from . import selectors
from .models import PracticeAnswer, PracticeSession, ReviewWord, Word, WordList


class PracticeSessionEnded(APIException):
    """The practice session has already ended: nothing more can be answered or ended in it (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "session_ended"


def normalize_answer(text: str) -> str:
    """``text`` as graded: trimmed, inner whitespace collapsed to one space, case-folded."""
    return " ".join(text.split()).casefold()


def grade(answer: str, translation: str) -> bool:
    """Whether ``answer`` matches ``translation``, ignoring case and surrounding or repeated whitespace."""
    return normalize_answer(answer) == normalize_answer(translation)


# --- words and word lists -------------------------------------------------------------------------


def create_word(*, text: str, translation: str, language: str, example_sentence: str = "") -> Word:
    """Store a new word (the serializer has already refused a duplicate of language, text, translation)."""
    return Word.objects.create(text=text, translation=translation, language=language,
                               example_sentence=example_sentence)


def _words_of_language(word_ids: Iterable[int], language: str, *, field: str = "word_ids") -> list[Word]:
    """The words with ``word_ids``, all of ``language``; raises ValidationError on ``field`` naming bad ids."""
    wanted = set(word_ids)
    found = list(Word.objects.filter(pk__in=wanted))
    unknown = sorted(wanted - {w.pk for w in found})
    if unknown:
        raise ValidationError({field: f"Unknown word ids: {', '.join(map(str, unknown))}."})
    foreign = sorted(w.pk for w in found if w.language != language)
    if foreign:
        raise ValidationError(
            {field: f"Words {', '.join(map(str, foreign))} are not in the word list's language {language!r}."})
    return found


@transaction.atomic
def create_word_list(*, owner, name: str, language: str, word_ids: Iterable[int] = ()) -> WordList:
    """Create ``owner``'s word list with the words ``word_ids`` (all in ``language``).

    Raises ValidationError on ``word_ids`` when an id is unknown or a word is of another language.
    """
    words = _words_of_language(word_ids, language)
    word_list = WordList.objects.create(owner=owner, name=name, language=language)
    word_list.words.set(words)
    return word_list


@transaction.atomic
def update_word_list(*, word_list: WordList, name: str | None = None, language: str | None = None,
                     word_ids: Iterable[int] | None = None) -> WordList:
    """Rename, change the language of, or replace the words of ``word_list`` (None: keep as is).

    Raises ValidationError when the words (the new ones, else the current ones) are not all in the
    resulting language, or a word id is unknown.
    """
    language = language if language is not None else word_list.language
    if word_ids is not None:
        words = _words_of_language(word_ids, language)
    elif language != word_list.language:
        words = _words_of_language(word_list.words.values_list("pk", flat=True), language, field="language")
    else:
        words = None
    if name is not None:
        word_list.name = name
    word_list.language = language
    word_list.save(update_fields=["name", "language"])
    if words is not None:
        word_list.words.set(words)
    return word_list


@transaction.atomic
def add_words(*, word_list: WordList, word_ids: Iterable[int]) -> WordList:
    """Add the words ``word_ids`` to ``word_list``; words already in it stay once. Raises as create does."""
    word_list.words.add(*_words_of_language(word_ids, word_list.language))
    return word_list


# --- flashcard practice ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GradedAnswer:
    word_id: int
    correct: bool
    expected: str


def _lock_open_session(session: PracticeSession) -> PracticeSession:
    """``session`` re-read under a row lock, so an answer and the end of the session never interleave."""
    locked = PracticeSession.objects.select_for_update().get(pk=session.pk)
    if locked.ended_at is not None:
        raise PracticeSessionEnded("This practice session has already ended; start a new one to keep practising.")
    return locked


@transaction.atomic
def start_practice(*, learner, word_list: WordList, classroom=None) -> PracticeSession:
    """Start ``learner``'s practice of ``word_list`` (inside ``classroom``, whose membership the caller checked).

    Logs ``practice_start``. Raises ValidationError on ``word_list_id`` when the list has no words.
    """
    if not word_list.words.exists():
        raise ValidationError({"word_list_id": "This word list has no words to practise."})
    session = PracticeSession.objects.create(learner=learner, word_list=word_list, classroom=classroom)
    log_practice_start(learner, session.uuid, classroom, word_list_id=word_list.pk, occurred_at=session.started_at)
    return session


@transaction.atomic
def start_review(*, learner, classroom=None, limit: int = 20) -> PracticeSession:
    """Start ``learner``'s review of the words the memory model has due today, lowest predicted recall first,
    at most ``limit`` (inside ``classroom``, whose membership the caller checked). Logs ``practice_start``.
    Raises ValidationError on ``mode`` when no word is due."""
    due = [row["word_id"] for row in learner_reviews(learner.pk, limit=limit)["words"]]
    existing = set(Word.objects.filter(pk__in=due).values_list("pk", flat=True))
    due = [word_id for word_id in due if word_id in existing]  # a word deleted since it was practised is skipped
    if not due:
        raise ValidationError({"mode": "No words are due for review now: practise a word list instead."})
    session = PracticeSession.objects.create(learner=learner, mode=PracticeSession.Mode.REVIEW, classroom=classroom)
    ReviewWord.objects.bulk_create(ReviewWord(session=session, word_id=word_id, position=n)
                                   for n, word_id in enumerate(due))
    log_practice_start(learner, session.uuid, classroom, occurred_at=session.started_at)
    return session


@transaction.atomic
def answer_flashcard(*, session: PracticeSession, word_id: int, answer: str,
                     response_ms: int | None = None) -> GradedAnswer:
    """Grade and store ``answer`` to the word ``word_id`` of ``session``; log ``word_correct``/``word_incorrect``.

    Raises PracticeSessionEnded when the session has ended, ValidationError on ``word_id`` when the word
    is not one the session practises (its word list's, or the review's).
    """
    session = _lock_open_session(session)
    word = selectors.practice_words(session).filter(pk=word_id).first()
    if word is None:
        where = "word list" if session.mode == PracticeSession.Mode.LIST else "review"
        raise ValidationError({"word_id": f"Word {word_id} is not in this session's {where}."})
    correct = grade(answer, word.translation)
    stored = PracticeAnswer.objects.create(session=session, word=word, answer=answer, correct=correct,
                                           response_ms=response_ms)
    context: dict = {"session_id": str(session.uuid), "answer": answer}
    if response_ms is not None:
        context["response_ms"] = response_ms
    log_word_practice(session.learner_id, word.pk, correct, session.classroom_id, context=context,
                      occurred_at=stored.answered_at)
    return GradedAnswer(word_id=word.pk, correct=correct, expected=word.translation)


@transaction.atomic
def end_practice(*, session: PracticeSession) -> PracticeSession:
    """End ``session`` now and log ``practice_end``. Raises PracticeSessionEnded when it has already ended."""
    session = _lock_open_session(session)
    session.ended_at = timezone.now()
    session.save(update_fields=["ended_at"])
    log_practice_end(session.learner_id, session.uuid, session.classroom_id, word_list_id=session.word_list_id,
                     occurred_at=session.ended_at)
    return session
