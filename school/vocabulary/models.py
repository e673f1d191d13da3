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
    """One learner practising one word list with flashcards, optionally inside a classroom."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_sessions")
    word_list = models.ForeignKey(WordList, on_delete=models.PROTECT, related_name="practice_sessions")
    classroom = models.ForeignKey("classrooms.Classroom", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="practice_sessions")
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.learner} practising {self.word_list} ({self.uuid})"


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
