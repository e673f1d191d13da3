"""Games over a word list (matching, ...) and learners' completed plays."""

from django.conf import settings
from django.db import models


class Game(models.Model):
    class Kind(models.TextChoices):
        MATCHING = "matching", "Matching pairs"
        SPELLING = "spelling", "Spelling bee"

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MATCHING)
    word_list = models.ForeignKey("vocabulary.WordList", on_delete=models.PROTECT, related_name="games")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class GamePlay(models.Model):
    """One learner's completed play of a game: its score, how long it took, and the words it covered."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="plays")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="game_plays")
    classroom = models.ForeignKey("classrooms.Classroom", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    score = models.FloatField()
    duration_seconds = models.FloatField()
    word_ids = models.JSONField(default=list, blank=True, help_text="Ids of the words the play covered.")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.learner} played {self.game}: {self.score:g}"
