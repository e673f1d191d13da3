"""Words, word lists, and flashcard practice sessions over a word list."""

import uuid

from django.conf import settings
from django.db import models


class Word(models.Model):
    """A word of a language and its translation, the unit of flashcard practice."""

    text = models.CharField(max_length=200)
    translation = models.CharField(max_length=200)
    language = models.CharField(max_length=10, help_text="ISO 639-1 code of the word's language, e.g. 'es'.")
    example_sentence = models.TextField(blank=True)

    class Meta:
        ordering = ["language", "text", "id"]
        constraints = [models.UniqueConstraint(fields=["language", "text", "translation"], name="word_unique")]
        indexes = [models.Index(fields=["language", "text"])]

    def __str__(self) -> str:
        return f"{self.text} ({self.language}) = {self.translation}"


class WordList(models.Model):
    """A named set of words of one language, owned by the teacher who made it (seeded lists have none)."""

    name = models.CharField(max_length=120)
    language = models.CharField(max_length=10)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="word_lists")
    words = models.ManyToManyField(Word, related_name="word_lists", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PracticeSession(models.Model):
    """One learner practising with flashcards, optionally inside a classroom: a word list's words (mode
    ``list``), or the words the memory model says are due, picked when the session starts (mode ``review``)."""

    class Mode(models.TextChoices):
        LIST = "list", "Word list"
        REVIEW = "review", "Review of due words"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_sessions")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.LIST)
    word_list = models.ForeignKey(WordList, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="practice_sessions", help_text="Mode list only.")
    classroom = models.ForeignKey("classrooms.Classroom", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="practice_sessions")
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.CheckConstraint(
            condition=models.Q(mode="list", word_list__isnull=False) | models.Q(mode="review", word_list__isnull=True),
            name="practice_session_list_by_mode")]

    def __str__(self) -> str:
        what = self.word_list if self.mode == self.Mode.LIST else "due words"
        return f"{self.learner} practising {what} ({self.uuid})"


class ReviewWord(models.Model):
    """A word a review session practises, in the order it was picked (lowest predicted recall first)."""

    session = models.ForeignKey(PracticeSession, on_delete=models.CASCADE, related_name="review_words")
    word = models.ForeignKey(Word, on_delete=models.CASCADE, related_name="review_entries")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["session_id", "position"]
        constraints = [models.UniqueConstraint(fields=["session", "word"], name="review_word_unique")]


class PracticeAnswer(models.Model):
    """One graded flashcard answer of a session; ``answer`` is stored exactly as the learner sent it."""

    session = models.ForeignKey(PracticeSession, on_delete=models.CASCADE, related_name="answers")
    word = models.ForeignKey(Word, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=200)
    correct = models.BooleanField()
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["answered_at", "id"]
