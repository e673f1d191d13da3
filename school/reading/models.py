"""Stories and articles to read, and learners' reading of them."""

from django.conf import settings
from django.db import models


class Content(models.Model):
    class Kind(models.TextChoices):
        STORY = "story", "Story"
        ARTICLE = "article", "Article"

    class Level(models.TextChoices):  # CEFR levels
        A1 = "A1"
        A2 = "A2"
        B1 = "B1"
        B2 = "B2"
        C1 = "C1"
        C2 = "C2"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    language = models.CharField(max_length=10)
    level = models.CharField(max_length=2, choices=Level.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = "content"

    def __str__(self) -> str:
        return f"{self.title} ({self.kind}, {self.level})"


class Reading(models.Model):
    """A learner's reading of one piece: opened, and finished if ``completed_at`` is set."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="readings")
    content = models.ForeignKey(Content, on_delete=models.CASCADE, related_name="readings")
    classroom = models.ForeignKey("classrooms.Classroom", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    viewed_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-viewed_at", "-id"]
