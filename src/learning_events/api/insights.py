"""Insight summaries over HTTP: a learner's and a classroom's figures with a plain-language ``summary``.

``GET /api/v1/learners/{id}/insights/?as_of=YYYY-MM-DD`` (the learner, their teachers, staff: the host's
``LEARNING_EVENTS_LEARNER_ACCESS``) and ``GET /api/v1/classrooms/{id}/insights/?as_of=`` (its teacher and
staff: ``LEARNING_EVENTS_CLASSROOM_STATS_ACCESS``). Views check access, parse ``as_of`` and format what
``learning_events.insights`` computes.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import insights, selectors
from ..replica import reads_from_replica
from ..timezones import time_zones_of
from .stats import HardWordSerializer

#: The earliest ``as_of`` accepted: the windows of an insight look 55 days back from it.
EARLIEST_AS_OF = date(1970, 3, 1)


# --- query -------------------------------------------------------------------------------------------


class AsOfQuery(serializers.Serializer):
    """``as_of``: the day the insight is computed for, from ``EARLIEST_AS_OF`` to ``context["latest"]``,
    default ``context["today"]``."""

    as_of = serializers.DateField(required=False)

    def validate_as_of(self, value: date) -> date:
        if value < EARLIEST_AS_OF:
            raise serializers.ValidationError(f"Must not be before {EARLIEST_AS_OF.isoformat()}.")
        if value > self.context["latest"]:
            raise serializers.ValidationError(f"Must not be after {self.context['latest'].isoformat()}.")
        return value


def _as_of(request, *, today: date, latest: date) -> date:
    """The request's validated ``as_of`` (400 on a bad one), ``today`` when not given."""
    query = AsOfQuery(data=request.query_params, context={"latest": latest})
    query.is_valid(raise_exception=True)
    return query.validated_data.get("as_of", today)


def _as_of_parameter(default: str) -> OpenApiParameter:
    return OpenApiParameter(
        "as_of", OpenApiTypes.DATE,
        description=f"The day of the insight (ISO YYYY-MM-DD, from {EARLIEST_AS_OF.isoformat()}); every "
                    f"window ends on it and later data is ignored. Default: {default}.")


# --- responses (for the schema and for shaping) ----------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    active_days = serializers.IntegerField(help_text="Days with any learning event.")
    words_practiced = serializers.IntegerField(help_text="Word attempts (word_correct + word_incorrect).")
    words_correct = serializers.IntegerField()
    unique_words = serializers.IntegerField(help_text="Distinct words attempted.")
    accuracy = serializers.FloatField(allow_null=True, help_text="correct / practised, 0..1; null when none.")
    time_spent = serializers.IntegerField(help_text="Seconds of time on task (docs/aggregation.md).")
    time_per_active_day = serializers.IntegerField(
        allow_null=True, help_text="time_spent / active_days, whole seconds; null without active days.")

    def get_fields(self) -> dict[str, serializers.Field]:
        return {"from": serializers.DateField(), "to": serializers.DateField(), **super().get_fields()}


class ClassroomPeriodSerializer(PeriodSerializer):
    active_learners = serializers.IntegerField(help_text="Distinct learners with an event in the classroom.")


class ChangeSerializer(serializers.Serializer):
    active_days = serializers.IntegerField(help_text="current - previous.")
    words_practiced = serializers.IntegerField(help_text="current - previous.")
    time_spent = serializers.IntegerField(help_text="current - previous, seconds.")
    accuracy_points = serializers.FloatField(
        allow_null=True, help_text="(current - previous accuracy) x 100, one decimal; null unless both exist.")


class ComparisonSerializer(serializers.Serializer):
    current = PeriodSerializer(help_text="The last N days, as_of included.")
    previous = PeriodSerializer(help_text="The N days before them.")
    change = ChangeSerializer()


class ClassroomComparisonSerializer(ComparisonSerializer):
    current = ClassroomPeriodSerializer(help_text="The last N days, as_of included.")
    previous = ClassroomPeriodSerializer(help_text="The N days before them.")


class StreakSerializer(serializers.Serializer):
    current = serializers.IntegerField(
        help_text="Consecutive active days ending on as_of, or on the day before while as_of has none yet.")
    last_active = serializers.DateField(allow_null=True, help_text="The latest active day up to as_of.")


class StaleWordSerializer(HardWordSerializer):
    last_practiced = serializers.DateField()


class FallingBehindSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    reason = serializers.ChoiceField(
        ["inactive", "accuracy_drop"],
        help_text=f"inactive: no event in the classroom in the last {insights.INACTIVE_DAYS} days; accuracy_drop: "
                  f"down {insights.ACCURACY_DROP_POINTS} points or more, last 7 days against the 7 before.")
    last_active = serializers.DateField(allow_null=True, help_text="Latest day active in the classroom.")
    days_inactive = serializers.IntegerField(allow_null=True, help_text="as_of - last_active; null if never.")
    accuracy = serializers.FloatField(allow_null=True, help_text="In the classroom, the last 7 days.")
    previous_accuracy = serializers.FloatField(allow_null=True, help_text="The 7 days before.")
    accuracy_points = serializers.FloatField(allow_null=True)


_WORDS_HELP = (f"Over the last 28 days, at least min_attempts attempts, never-missed words left out; lowest "
               f"accuracy first (ties: more attempts, then lower id); at most {insights.WORDS_SHOWN}. Named by the "
               f"host (text, translation, language; null when unknown).")
_MIN_ATTEMPTS_HELP = "LEARNING_EVENTS_INSIGHTS_MIN_ATTEMPTS: the fewest attempts that make an accuracy count."
_SUMMARY_HELP = "The figures as a short paragraph, from fixed templates (no external service)."
_STALE_HELP = (f"Attempted at least {insights.STALE_MIN_ATTEMPTS} times, last on as_of - "
               f"{insights.STALE_DAYS} days or earlier; longest unpractised first; at most {insights.WORDS_SHOWN}.")


class LearnerInsightsSerializer(serializers.Serializer):
    learner = serializers.IntegerField()
    name = serializers.CharField(help_text="The learner's display name, as the summary calls them.")
    time_zone = serializers.CharField(help_text="Days are the learner's local days in this time zone.")
    as_of = serializers.DateField()
    min_attempts = serializers.IntegerField(help_text=_MIN_ATTEMPTS_HELP)
    last_7_days = ComparisonSerializer()
    last_28_days = ComparisonSerializer()
    streak = StreakSerializer()
    weakest_words = HardWordSerializer(many=True, help_text=_WORDS_HELP)
    stale_words = StaleWordSerializer(many=True, help_text=_STALE_HELP)
    summary = serializers.CharField(help_text=_SUMMARY_HELP)


class ClassroomInsightsSerializer(serializers.Serializer):
    classroom = serializers.IntegerField()
    members = serializers.IntegerField(help_text="Learners in the classroom.")
    as_of = serializers.DateField()
    min_attempts = serializers.IntegerField(help_text=_MIN_ATTEMPTS_HELP)
    last_7_days = ClassroomComparisonSerializer()
    last_28_days = ClassroomComparisonSerializer()
    streak = StreakSerializer()
    hardest_words = HardWordSerializer(many=True, help_text=_WORDS_HELP)
    stale_words = StaleWordSerializer(many=True, help_text=_STALE_HELP)
    falling_behind = FallingBehindSerializer(
        many=True, help_text="Inactive members first (never active, then longest), then the biggest drops.")
    summary = serializers.CharField(help_text=_SUMMARY_HELP)


def _period(start: str, end: str, **figures: Any) -> dict[str, Any]:
    return {"from": start, "to": end, "active_days": 0, "words_practiced": 0, "words_correct": 0,
            "unique_words": 0, "accuracy": None, "time_spent": 0, "time_per_active_day": None, **figures}


_LEARNER_EXAMPLE = {
    "learner": 42, "name": "Ana", "time_zone": "Europe/Madrid", "as_of": "2026-03-11", "min_attempts": 5,
    "last_7_days": {
        "current": _period("2026-03-05", "2026-03-11", active_days=5, words_practiced=120, words_correct=94,
                           unique_words=35, accuracy=0.7833, time_spent=3900, time_per_active_day=780),
        "previous": _period("2026-02-26", "2026-03-04", active_days=4, words_practiced=80, words_correct=67,
                            unique_words=30, accuracy=0.8375, time_spent=3000, time_per_active_day=750),
        "change": {"active_days": 1, "words_practiced": 40, "time_spent": 900, "accuracy_points": -5.4},
    },
    "last_28_days": {
        "current": _period("2026-02-12", "2026-03-11", active_days=16, words_practiced=400, words_correct=316,
                           unique_words=80, accuracy=0.79, time_spent=12600, time_per_active_day=787),
        "previous": _period("2026-01-15", "2026-02-11"),
        "change": {"active_days": 16, "words_practiced": 400, "time_spent": 12600, "accuracy_points": None},
    },
    "streak": {"current": 3, "last_active": "2026-03-11"},
    "weakest_words": [{"word_id": 12, "text": "madrugada", "translation": "early morning", "language": "es",
                       "attempts": 10, "correct": 4, "accuracy": 0.4}],
    "stale_words": [{"word_id": 3, "text": "gato", "translation": "cat", "language": "es", "attempts": 6,
                     "correct": 5, "accuracy": 0.8333, "last_practiced": "2026-02-20"}],
    "summary": "In the last 7 days Ana practised 120 words on 5 days (up from 80), with 78% accuracy (down 6 points "
               "from 84%), and spent 1 h 05 min on task (13 min per active day). In the last 28 days Ana practised "
               "400 words on 16 days (up from 0), with 79% accuracy, and spent 3 h 30 min on task (13 min per "
               "active day). Current streak: 3 days. Weakest words: \"madrugada\" (\"early morning\", es; 40% of "
               "10). Not practised for 14 days or more: \"gato\" (\"cat\", es; last on 2026-02-20).",
}
_CLASSROOM_EXAMPLE = {
    "classroom": 7, "as_of": "2026-03-11", "min_attempts": 5, "members": 2,
    "last_7_days": {
        "current": _period("2026-03-05", "2026-03-11", active_days=3, words_practiced=40, words_correct=22,
                           unique_words=12, accuracy=0.55, time_spent=1800, time_per_active_day=600,
                           active_learners=1),
        "previous": _period("2026-02-26", "2026-03-04", active_days=4, words_practiced=50, words_correct=40,
                            unique_words=15, accuracy=0.8, time_spent=2400, time_per_active_day=600,
                            active_learners=2),
        "change": {"active_days": -1, "words_practiced": -10, "time_spent": -600, "accuracy_points": -25.0},
    },
    "last_28_days": {
        "current": _period("2026-02-12", "2026-03-11", active_days=7, words_practiced=90, words_correct=62,
                           unique_words=20, accuracy=0.6889, time_spent=4200, time_per_active_day=600,
                           active_learners=2),
        "previous": _period("2026-01-15", "2026-02-11", active_learners=0),
        "change": {"active_days": 7, "words_practiced": 90, "time_spent": 4200, "accuracy_points": None},
    },
    "streak": {"current": 0, "last_active": "2026-03-09"},
    "hardest_words": [{"word_id": 12, "text": "madrugada", "translation": "early morning", "language": "es",
                       "attempts": 14, "correct": 5, "accuracy": 0.3571}],
    "stale_words": [],
    "falling_behind": [
        {"user_id": 43, "name": "Bruno", "reason": "inactive", "last_active": "2026-03-02", "days_inactive": 9,
         "accuracy": None, "previous_accuracy": 0.8, "accuracy_points": None},
    ],
    "summary": "In the last 7 days the class (1 learner active) practised 40 words on 3 days (down from 50), with "
               "55% accuracy (down 25 points from 80%), and spent 30 min on task (10 min per active day). In the "
               "last 28 days the class (2 learners active) practised 90 words on 7 days (up from 0), with 69% "
               "accuracy, and spent 1 h 10 min on task (10 min per active day). No current streak; last active "
               "on 2026-03-09. Hardest words: \"madrugada\" (\"early morning\", es; 36% of 14). Falling behind: "
               "Bruno (not active for 9 days).",
}

_ERRORS = {
    400: OpenApiResponse(description="A bad `as_of`: `{\"as_of\": [message]}`."),
    401: OpenApiResponse(description="Not authenticated."),
}


# --- views -------------------------------------------------------------------------------------------


class LearnerInsightsApi(APIView):
    """A learner's insights: the learner themself, a teacher of a classroom they belong to, or staff."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[_as_of_parameter("today in the learner's time zone")],
        responses={200: LearnerInsightsSerializer, **_ERRORS,
                   403: OpenApiResponse(description="Neither the learner, nor their teacher, nor staff."),
                   404: OpenApiResponse(description="No such learner.")},
        examples=[OpenApiExample("A learner's week", value=_LEARNER_EXAMPLE, response_only=True)],
    )
    @method_decorator(reads_from_replica)
    def get(self, request, learner_id: int):
        name = selectors.learner_for_stats(request.user, learner_id)
        tz = time_zones_of([learner_id])[learner_id]
        today = timezone.now().astimezone(tz).date()
        as_of = _as_of(request, today=today, latest=today)
        figures = insights.learner_insights(learner_id, name=name, as_of=as_of)
        return Response(LearnerInsightsSerializer({**figures, "time_zone": tz.key}).data)


class ClassroomInsightsApi(APIView):
    """A classroom's insights, with the members falling behind; its teacher and staff only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[_as_of_parameter("today in UTC; at most tomorrow in UTC, as learners' days run ahead")],
        responses={200: ClassroomInsightsSerializer, **_ERRORS,
                   403: OpenApiResponse(description="Not this classroom's teacher (nor staff)."),
                   404: OpenApiResponse(description="No such classroom.")},
        examples=[OpenApiExample("A classroom's week", value=_CLASSROOM_EXAMPLE, response_only=True)],
    )
    @method_decorator(reads_from_replica)
    def get(self, request, classroom_id: int):
        selectors.classroom_for_stats(request.user, classroom_id)
        today = timezone.now().astimezone(UTC).date()
        # A classroom's days are its learners' local days, up to 14 hours ahead of UTC.
        as_of = _as_of(request, today=today, latest=today + timedelta(days=1))
        figures = insights.classroom_insights(classroom_id, members=selectors.classroom_members(classroom_id),
                                              as_of=as_of)
        return Response(ClassroomInsightsSerializer(figures).data)
