"""HTTP API of games: list (by kind) and create, show with the words to play, complete a play."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from school.api.permissions import IsTeacherOrReadOnly
from school.api.query import validated_query
from school.classrooms.selectors import optional_member_classroom
from school.vocabulary.models import Word

from . import selectors, services
from .models import Game, GamePlay

MAX_ID = 2**63 - 1  # larger ids cannot exist and would overflow the database's bigint


class GameSerializer(serializers.ModelSerializer):
    class Meta:
        model = Game
        fields = ["id", "title", "kind", "word_list", "created_at"]
        read_only_fields = ["id", "created_at"]


class GameWordSerializer(serializers.ModelSerializer):
    class Meta:
        model = Word
        fields = ["id", "text", "translation"]


class GameDetailSerializer(GameSerializer):
    words = GameWordSerializer(source="word_list.words", many=True, read_only=True)

    class Meta(GameSerializer.Meta):
        fields = [*GameSerializer.Meta.fields, "words"]


class GameFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Game.Kind.choices, required=False)


class GameListCreateApi(generics.ListCreateAPIView):
    """Every game (``?kind=matching`` for one kind); teachers create games over a word list."""

    serializer_class = GameSerializer
    permission_classes = [IsAuthenticated, IsTeacherOrReadOnly]

    def get_queryset(self):
        return selectors.games(**validated_query(GameFilterSerializer, self.request))

    @extend_schema(parameters=[OpenApiParameter("kind", enum=Game.Kind.values, required=False)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        game = services.create_game(**serializer.validated_data)
        return Response(self.get_serializer(game).data, status=status.HTTP_201_CREATED)


class GameDetailApi(generics.RetrieveAPIView):
    """A game with the words of its word list (id, text, translation): what a client needs to play it."""

    serializer_class = GameDetailSerializer

    def get_object(self):
        return selectors.game_with_words(self.kwargs["pk"])


class GameCompletionSerializer(serializers.Serializer):
    classroom_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID,
                                            help_text="The classroom the game was played in, if any.")
    score = serializers.FloatField(help_text="Zero or more.")
    duration_seconds = serializers.FloatField(
        help_text=f"Seconds played: more than 0, at most {services.MAX_DURATION_SECONDS}.")
    word_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=500,
        help_text="The words the play covered: distinct words of the game's word list.")


class GamePlaySerializer(serializers.ModelSerializer):
    class Meta:
        model = GamePlay
        fields = ["id", "game", "classroom", "score", "duration_seconds", "word_ids", "completed_at"]


class GameCompletionCreateApi(APIView):
    """Record that you finished a game (optionally in one of your classrooms); logs ``game_complete``."""

    @extend_schema(request=GameCompletionSerializer, responses={201: GamePlaySerializer})
    def post(self, request, pk):
        game = selectors.game(pk)
        serializer = GameCompletionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        classroom = optional_member_classroom(request.user, data.get("classroom_id"))
        play = services.complete_game(
            learner=request.user, game=game, score=data["score"], duration_seconds=data["duration_seconds"],
            classroom=classroom, word_ids=data.get("word_ids"),
        )
        return Response(GamePlaySerializer(play).data, status=status.HTTP_201_CREATED)
