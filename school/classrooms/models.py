"""Classrooms (one teacher, many learners joined by a code) and what the teacher assigns in them."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud in class


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


class Classroom(models.Model):
    name = models.CharField(max_length=120)
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="classrooms_taught")
    join_code = models.CharField(max_length=8, unique=True, default=new_join_code)
    language = models.CharField(max_length=10, blank=True, help_text="ISO 639-1 code of the language taught.")
    created_at = models.DateTimeField(auto_now_add=True)
    students = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="classrooms")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="memberships")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "student"], name="membership_unique")]
        ordering = ["classroom_id", "joined_at", "id"]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"


class Assignment(models.Model):
    """Work set in a classroom: exactly one of a word list, an exam, a story or article, or a game."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    title = models.CharField(max_length=200)
    due_date = models.DateField(null=True, blank=True)
    word_list = models.ForeignKey("vocabulary.WordList", null=True, blank=True, on_delete=models.CASCADE)
    exam = models.ForeignKey("exams.Exam", null=True, blank=True, on_delete=models.CASCADE)
    content = models.ForeignKey("reading.Content", null=True, blank=True, on_delete=models.CASCADE)
    game = models.ForeignKey("games.Game", null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    TARGETS = ("word_list", "exam", "content", "game")

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                name="assignment_has_exactly_one_target",
                condition=(
                    models.Q(word_list__isnull=False, exam__isnull=True, content__isnull=True, game__isnull=True)
                    | models.Q(word_list__isnull=True, exam__isnull=False, content__isnull=True, game__isnull=True)
                    | models.Q(word_list__isnull=True, exam__isnull=True, content__isnull=False, game__isnull=True)
                    | models.Q(word_list__isnull=True, exam__isnull=True, content__isnull=True, game__isnull=False)
                ),
            )
        ]

    @property
    def kind(self) -> str:
        return next((name for name in self.TARGETS if getattr(self, f"{name}_id")), "")

    def clean(self) -> None:
        if sum(1 for name in self.TARGETS if getattr(self, f"{name}_id")) != 1:
            raise ValidationError("An assignment sets exactly one of: word_list, exam, content, game.")

    def __str__(self) -> str:
        return f"{self.title} ({self.classroom})"
