"""Reads of vocabulary: words, word lists, and a learner's own practice sessions."""

from __future__ import annotations

import uuid
from typing import TypedDict

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework.exceptions import PermissionDenied

from .models import PracticeSession, Word, WordList


def words(*, language: str | None = None, q: str | None = None) -> QuerySet[Word]:
    """Words, optionally of one ``language`` and whose text or translation contains ``q`` (any case)."""
    qs = Word.objects.all()
    if language:
        qs = qs.filter(language=language)
    if q and q.strip():
        q = q.strip()
        qs = qs.filter(Q(text__icontains=q) | Q(translation__icontains=q))
    return qs


def word_lists(*, language: str | None = None) -> QuerySet[WordList]:
    """Word lists with their owner and ``word_count``, optionally of one ``language``."""
    # Meta.ordering does not apply to a GROUP BY query: order explicitly.
    qs = WordList.objects.select_related("owner").annotate(word_count=Count("words")).order_by("name", "id")
    if language:
        qs = qs.filter(language=language)
    return qs


def word_list_detail(word_list_id: int) -> WordList:
    """A word list with its words prefetched; 404 when unknown."""
    return get_object_or_404(word_lists().prefetch_related("words"), pk=word_list_id)


def word_list_for_owner(user, word_list_id: int) -> WordList:
    """The word list ``user`` may change: 404 when unknown, 403 unless they own it (or are staff)."""
    word_list = get_object_or_404(WordList, pk=word_list_id)
    if not (user.is_staff or (word_list.owner_id is not None and word_list.owner_id == user.pk)):
        raise PermissionDenied("Only the teacher who owns this word list can change it.")
    return word_list


def practice_session_of(user, session_uuid: uuid.UUID) -> PracticeSession:
    """``user``'s own practice session; 404 when unknown or someone else's (its existence is not revealed)."""
    return get_object_or_404(
        PracticeSession.objects.select_related("word_list", "classroom"), uuid=session_uuid, learner=user
    )


def practice_words(session: PracticeSession) -> QuerySet[Word]:
    """The words a session practises: those of its word list now, or the review's, in the order picked."""
    if session.mode == PracticeSession.Mode.REVIEW:
        return Word.objects.filter(review_entries__session=session).order_by("review_entries__position")
    return Word.objects.filter(word_lists=session.word_list_id)


class PracticeSummary(TypedDict):
    answers: int
    correct: int
    accuracy: float | None


def practice_summary(session: PracticeSession) -> PracticeSummary:
    """How many answers a session has, how many were correct, and their ratio (None before any answer)."""
    counts = session.answers.aggregate(answers=Count("id"), correct=Count("id", filter=Q(correct=True)))
    answers, correct = counts["answers"], counts["correct"]
    return {"answers": answers, "correct": correct, "accuracy": correct / answers if answers else None}


class WordName(TypedDict):
    text: str
    translation: str
    language: str


def word_names(word_ids) -> dict[int, WordName]:
    """``{word_id: {"text", "translation", "language"}}`` of the given ids, in one query (the pipeline's
    ``LEARNING_EVENTS_WORD_NAMES`` hook: insights, the hardest-words API and trace exports name words with
    it). Ids of deleted words are left out."""
    return {pk: {"text": text, "translation": translation, "language": language}
            for pk, text, translation, language in Word.objects.filter(pk__in=list(word_ids))
            .values_list("pk", "text", "translation", "language")}
