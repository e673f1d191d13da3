"""Writes about games: create a game over a word list, and record a learner's completed play.

A completed play and its ``game_complete`` learning event are written in one transaction: both or neither.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from learning_events.services import log_game_complete

from .models import Game, GamePlay

MAX_DURATION_SECONDS = 4 * 60 * 60  # a longer "play" is a tab left open, not time on a game


def create_game(*, title: str, word_list, kind: str = Game.Kind.MATCHING) -> Game:
    """Create a game of ``kind`` (see ``Game.Kind``; matching unless said) over ``word_list``."""
    game = Game(title=title, kind=kind, word_list=word_list)
    game.full_clean()
    game.save()
    return game


@transaction.atomic
def complete_game(*, learner, game: Game, score: float, duration_seconds: float, classroom=None,
                  word_ids: Sequence[int] | None = None) -> GamePlay:
    """Record that ``learner`` finished ``game`` and log ``game_complete``; return the stored play.

    ``classroom`` is None or a classroom the caller has checked the learner belongs to. ``word_ids``, when
    given, must be distinct words of the game's word list. Raises ``ValidationError`` (field errors) for a
    negative score, a duration outside (0, 4 hours], or word ids that are repeated or foreign to the game.
    """
    errors: dict[str, str] = {}
    if score < 0:
        errors["score"] = "Must be 0 or more."
    if not 0 < duration_seconds <= MAX_DURATION_SECONDS:
        errors["duration_seconds"] = f"Must be more than 0 and at most {MAX_DURATION_SECONDS} seconds (4 hours)."
    if word_ids:
        errors.update(_word_id_errors(game, list(word_ids)))
    if errors:
        raise ValidationError(errors)
    play = GamePlay.objects.create(game=game, learner=learner, classroom=classroom, score=score,
                                   duration_seconds=duration_seconds, word_ids=list(word_ids or []))
    log_game_complete(learner, game_id=game.pk, score=score, duration_seconds=duration_seconds,
                      classroom=classroom, word_ids=None if word_ids is None else list(word_ids),
                      occurred_at=play.completed_at)
    return play


def _word_id_errors(game: Game, word_ids: list[int]) -> dict[str, str]:
    if len(set(word_ids)) != len(word_ids):
        return {"word_ids": "Each word id may appear only once."}
    known = set(game.word_list.words.filter(pk__in=word_ids).values_list("pk", flat=True))
    foreign = [word_id for word_id in word_ids if word_id not in known]
    if foreign:
        return {"word_ids": f"Not words of this game's word list: {', '.join(map(str, foreign))}."}
    return {}
