"""Exams of multiple-choice and short-text questions, and learners' graded submissions."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Exam(models.Model):
    title = models.CharField(max_length=200)
    language = models.CharField(max_length=10)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="exams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
        SHORT_TEXT = "short_text", "Short text"

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    prompt = models.TextField()
    choices = models.JSONField(default=list, blank=True, help_text="Options of a multiple-choice question.")
    correct_answer = models.CharField(max_length=200, help_text="The right option, or the expected text.")

    class Meta:
        ordering = ["exam_id", "position", "id"]

    def __str__(self) -> str:
        return f"Q{self.position}: {self.prompt[:50]}"

    def clean(self) -> None:
        """A multiple-choice question offers two or more distinct options, one of them right; others offer none.

        Raises ``ValidationError`` keyed by field. The API and the admin both check questions through this.
        """
        if self.kind == self.Kind.MULTIPLE_CHOICE:
            choices = self.choices
            if not isinstance(choices, list) or not all(isinstance(c, str) and c.strip() for c in choices):
                raise ValidationError({"choices": "Choices must be a list of non-empty texts."})
            if len(choices) < 2:
                raise ValidationError({"choices": "A multiple-choice question needs at least 2 choices."})
            if len(set(choices)) != len(choices):
                raise ValidationError({"choices": "Choices must be distinct."})
            if self.correct_answer not in choices:
                raise ValidationError({"correct_answer": "The correct answer must be one of the choices."})
        elif self.choices:
            raise ValidationError({"choices": "Only multiple-choice questions have choices."})


class Submission(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="submissions")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_submissions")
    classroom = models.ForeignKey("classrooms.Classroom", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="exam_submissions")
    # Set by the service (now), not auto_now_add: the exam's start is checked against the same instant.
    submitted_at = models.DateTimeField(default=timezone.now)
    correct_count = models.PositiveIntegerField(default=0)
    question_count = models.PositiveIntegerField(default=0)
    score = models.FloatField(default=0.0, help_text="Share of questions answered right, 0..1.")
    started_at = models.DateTimeField(null=True, blank=True,
                                      help_text="When the learner opened the exam (client clock), if sent.")
    duration_seconds = models.FloatField(null=True, blank=True,
                                         help_text="Seconds from started_at to submitted_at: time on task.")

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.learner} on {self.exam}: {self.score:.0%}"


class SubmittedAnswer(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=200, blank=True)
    correct = models.BooleanField()

    class Meta:
        ordering = ["submission_id", "question__position", "id"]
        constraints = [models.UniqueConstraint(fields=["submission", "question"], name="one_answer_per_question")]
