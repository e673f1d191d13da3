"""Reads about games."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from school.vocabulary.models import Word

from .models import Game


def games(*, kind: str | None = None) -> QuerySet[Game]:
    """Every game, optionally only those of one ``kind``, with its word list."""
    qs = Game.objects.select_related("word_list")
    return qs.filter(kind=kind) if kind else qs


def game(game_id) -> Game:
    """The game with its word list; 404 when unknown."""
    return get_object_or_404(Game.objects.select_related("word_list"), pk=game_id)


def game_with_words(game_id) -> Game:
    """The game with its word list's words prefetched (ordered by id); 404 when unknown."""
    words = Prefetch("word_list__words", queryset=Word.objects.order_by("id").only("id", "text", "translation"))
    return get_object_or_404(Game.objects.select_related("word_list").prefetch_related(words), pk=game_id)
