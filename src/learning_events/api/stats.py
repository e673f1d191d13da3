"""Read API of the rollups: a learner's own daily statistics, a classroom's, and its hardest words.

Views parse and check the query, ask ``selectors`` and format; classroom access, membership and the words'
names come from the host's hooks through ``selectors.classroom_for_stats``, ``selectors.classroom_members``
and ``selectors.with_word_names``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from ..replica import reads_from_replica
from ..timezones import time_zones_of

DEFAULT_DAYS = 28
MAX_DAYS = 366


# --- query parameters ------------------------------------------------------------------------------


class DateRangeQuery(serializers.Serializer):
    """``from`` and ``to`` (ISO dates, inclusive), defaulting to the caller's last 28 local days."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword: the fields are declared here rather than as class attributes.
        return {"from": serializers.DateField(required=False), "to": serializers.DateField(required=False)}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("to") or self.context["today"]
        start = attrs.get("from") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"to": [f"Must not be before from ({start.isoformat()})."]})
        span = (end - start).days + 1
        if span > MAX_DAYS:
            raise serializers.ValidationError(
                {"to": [f"A range spans at most {MAX_DAYS} days; from {start} to {end} spans {span}."]})
        return {"from": start, "to": end}


class HardestWordsQuery(serializers.Serializer):
    min_attempts = serializers.IntegerField(required=False, default=5, min_value=1)
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)
        fields["to"] = serializers.DateField(required=False)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"to": [f"Must not be before from ({start.isoformat()})."]})
        return attrs


def _date_range(request, tz: ZoneInfo) -> tuple[date, date]:
    """The validated range of the request (400 on a bad one), defaults in the caller's time zone ``tz``."""
    query = DateRangeQuery(data=request.query_params, context={"today": timezone.now().astimezone(tz).date()})
    query.is_valid(raise_exception=True)
    return query.validated_data["from"], query.validated_data["to"]


RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day, inclusive (default: `to` - 27 days)."),
    OpenApiParameter("to", OpenApiTypes.DATE,
                     description="Last day, inclusive (default: today in your time zone). At most 366 days."),
]


# --- responses (for the schema and for shaping) ----------------------------------------------------


class FiguresSerializer(serializers.Serializer):
    words_practiced = serializers.IntegerField(help_text="word_correct + word_incorrect events.")
    words_correct = serializers.IntegerField()
    words_incorrect = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True, help_text="correct / practised; null when none.")
    exam_answers = serializers.IntegerField()
    exam_correct = serializers.IntegerField()
    exam_accuracy = serializers.FloatField(allow_null=True)
    content_viewed = serializers.IntegerField()
    content_completed = serializers.IntegerField()
    games_completed = serializers.IntegerField()
    sessions = serializers.IntegerField(help_text="Practice sessions started.")
    time_spent = serializers.IntegerField(help_text="Seconds of time on task (see docs/aggregation.md).")
    exam_seconds = serializers.IntegerField(
        help_text="Seconds the exam submissions took (their declared durations, summed; not a part of time_spent).")
    reading_seconds = serializers.IntegerField(
        help_text="Seconds of reading declared by content views and completions, summed.")
    game_seconds = serializers.IntegerField(help_text="Seconds of the completed games, summed.")
    game_score = serializers.FloatField(
        help_text="Sum of the completed games' scores; average score = game_score / games_completed.")


class DayFiguresSerializer(FiguresSerializer):
    date = serializers.DateField()
    unique_words = serializers.IntegerField()


class TotalsSerializer(FiguresSerializer):
    unique_words = serializers.IntegerField(help_text="Distinct words over the whole range.")


class MyStatsSerializer(serializers.Serializer):
    time_zone = serializers.CharField(help_text="Your days are local days of this time zone.")
    totals = TotalsSerializer()
    days = DayFiguresSerializer(many=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        return {"from": serializers.DateField(), "to": serializers.DateField(), **super().get_fields()}


class ClassroomDaySerializer(DayFiguresSerializer):
    active_learners = serializers.IntegerField()


class ClassroomTotalsSerializer(TotalsSerializer):
    active_learners = serializers.IntegerField(help_text="Distinct learners active over the range.")


class LearnerRowSerializer(FiguresSerializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    active_days = serializers.IntegerField()
    last_active = serializers.DateField(allow_null=True)


class ClassroomStatsSerializer(serializers.Serializer):
    classroom = serializers.IntegerField()
    totals = ClassroomTotalsSerializer()
    days = ClassroomDaySerializer(many=True)
    learners = LearnerRowSerializer(many=True, help_text="Every member, inactive ones with zeros.")

    def get_fields(self) -> dict[str, serializers.Field]:
        return {"from": serializers.DateField(), "to": serializers.DateField(), **super().get_fields()}


class HardWordSerializer(serializers.Serializer):
    word_id = serializers.IntegerField()
    text = serializers.CharField(
        allow_null=True, help_text="The word as written (host's LEARNING_EVENTS_WORD_NAMES); null when unknown "
                                   "or deleted.")
    translation = serializers.CharField(allow_null=True, help_text="Its translation; null when unknown.")
    language = serializers.CharField(allow_null=True, help_text="Its language (ISO 639-1); null when unknown.")
    attempts = serializers.IntegerField()
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField()


class HardestWordsSerializer(serializers.Serializer):
    classroom = serializers.IntegerField()
    min_attempts = serializers.IntegerField()
    words = HardWordSerializer(many=True, help_text="Lowest accuracy first; ties: more attempts first.")

    def get_fields(self) -> dict[str, serializers.Field]:
        return {"from": serializers.DateField(allow_null=True), "to": serializers.DateField(allow_null=True),
                **super().get_fields()}


_HARDEST_WORDS_EXAMPLE = {
    "classroom": 7, "min_attempts": 5, "from": "2026-03-01", "to": "2026-03-31",
    "words": [
        {"word_id": 12, "text": "madrugada", "translation": "early morning", "language": "es", "attempts": 14,
         "correct": 5, "accuracy": 0.3571},
        {"word_id": 31, "text": None, "translation": None, "language": None, "attempts": 6, "correct": 3,
         "accuracy": 0.5},
    ],
}

_ERRORS = {
    400: OpenApiResponse(description="Bad query parameters: `{field: [message]}`."),
    401: OpenApiResponse(description="Not authenticated."),
}
_CLASSROOM_ERRORS = {
    **_ERRORS,
    403: OpenApiResponse(description="Not this classroom's teacher (nor staff)."),
    404: OpenApiResponse(description="No such classroom."),
}


# --- views -------------------------------------------------------------------------------------------


class MyStatsApi(APIView):
    """Your own daily statistics, one entry per local day of the range, and totals."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=RANGE_PARAMETERS, responses={200: MyStatsSerializer, **_ERRORS})
    @method_decorator(reads_from_replica)
    def get(self, request):
        tz = time_zones_of([request.user.pk])[request.user.pk]
        start, end = _date_range(request, tz)
        stats = selectors.learner_daily_stats(request.user.pk, start, end)
        return Response(MyStatsSerializer({"from": start, "to": end, "time_zone": tz.key, **stats}).data)


class ClassroomStatsApi(APIView):
    """A classroom's daily figures and a table of its learners; its teacher and staff only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=RANGE_PARAMETERS, responses={200: ClassroomStatsSerializer, **_CLASSROOM_ERRORS})
    @method_decorator(reads_from_replica)
    def get(self, request, classroom_id: int):
        selectors.classroom_for_stats(request.user, classroom_id)
        start, end = _date_range(request, time_zones_of([request.user.pk])[request.user.pk])
        stats = selectors.classroom_daily_stats(classroom_id, start, end)
        learners = selectors.classroom_learner_stats(classroom_id, start, end,
                                                     selectors.classroom_members(classroom_id))
        return Response(ClassroomStatsSerializer(
            {"classroom": classroom_id, "from": start, "to": end, "learners": learners, **stats}).data)


class ClassroomHardestWordsApi(APIView):
    """The classroom's hardest words: lowest accuracy among words attempted at least ``min_attempts``
    times (over ``from``..``to``, default all time); its teacher and staff only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("min_attempts", OpenApiTypes.INT, description="At least this many attempts (default 5)."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many words, 1-100 (default 20)."),
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day, inclusive (default: all time)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive (default: all time)."),
        ],
        responses={200: HardestWordsSerializer, **_CLASSROOM_ERRORS},
        examples=[OpenApiExample("Words by name; word 31 was deleted since", value=_HARDEST_WORDS_EXAMPLE,
                                 response_only=True)],
    )
    @method_decorator(reads_from_replica)
    def get(self, request, classroom_id: int):
        selectors.classroom_for_stats(request.user, classroom_id)
        query = HardestWordsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        options = query.validated_data
        [words] = selectors.with_word_names(selectors.classroom_hardest_words(
            classroom_id, min_attempts=options["min_attempts"], limit=options["limit"],
            start=options.get("from"), end=options.get("to")))
        return Response(HardestWordsSerializer(
            {"classroom": classroom_id, "min_attempts": options["min_attempts"], "from": options.get("from"),
             "to": options.get("to"), "words": words}).data)
