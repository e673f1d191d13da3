"""The games services: a play and its ``game_complete`` event commit together or not at all."""

import pytest
from django.core.exceptions import ValidationError
from learning_events.exceptions import InvalidEvent
from learning_events.models import LearningEvent

from school import factories
from school.games import services
from school.games.models import Game, GamePlay

pytestmark = pytest.mark.django_db


def test_a_play_is_rolled_back_when_its_event_cannot_be_logged(outsider, monkeypatch):
    def refuse(*args, **kwargs):
        raise InvalidEvent({"score": "must be a number"}, "game_complete")

    monkeypatch.setattr(services, "log_game_complete", refuse)
    with pytest.raises(InvalidEvent):
        services.complete_game(learner=outsider, game=factories.GameFactory(), score=1, duration_seconds=5)
    assert not GamePlay.objects.exists() and not LearningEvent.objects.exists()


def test_complete_game_reports_every_bad_field_at_once(outsider):
    word = factories.WordFactory()
    with pytest.raises(ValidationError) as caught:
        services.complete_game(learner=outsider, game=factories.GameFactory(), score=-0.5, duration_seconds=-1,
                               word_ids=[word.pk])
    assert caught.value.message_dict == {
        "score": ["Must be 0 or more."],
        "duration_seconds": ["Must be more than 0 and at most 14400 seconds (4 hours)."],
        "word_ids": [f"Not words of this game's word list: {word.pk}."],
    }
    assert not GamePlay.objects.exists() and not LearningEvent.objects.exists()


def test_create_game_validates_its_kind():
    with pytest.raises(ValidationError) as caught:
        services.create_game(title="Chess", kind="chess", word_list=factories.WordListFactory())
    assert caught.value.message_dict == {"kind": ["Value 'chess' is not a valid choice."]}
    assert not Game.objects.exists()
