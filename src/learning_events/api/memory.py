"""Read API of the memory model: a learner's words due for review, and a classroom's predicted retention.

Views parse the query, ask ``selectors`` and format; classroom access, membership and the words' names come
from the host's hooks, as for the statistics (docs/memory.md).
"""

from __future__ import annotations

from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from ..replica import reads_from_replica


class LimitQuery(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)


def _limit(request) -> int:
    query = LimitQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["limit"]


_LIMIT = OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many words, 1-100 (default 20).")


class WordNameFields(serializers.Serializer):
    word_id = serializers.IntegerField()
    text = serializers.CharField(allow_null=True, help_text="The word as written; null when unknown or deleted.")
    translation = serializers.CharField(allow_null=True)
    language = serializers.CharField(allow_null=True)


class ReviewWordSerializer(WordNameFields):
    recall = serializers.FloatField(help_text="Predicted probability of recalling the word today (calibrated).")
    due = serializers.DateField(help_text="The day predicted recall fell (falls) to the target retention.")
    last_review = serializers.DateField()
    stability = serializers.FloatField(help_text="FSRS stability, days.")
    difficulty = serializers.FloatField(help_text="FSRS difficulty, 1-10.")
    reviews = serializers.IntegerField()
    lapses = serializers.IntegerField(help_text="Reviews whose first answer was wrong.")


class MyReviewsSerializer(serializers.Serializer):
    today = serializers.DateField(help_text="Your local day.")
    tracked = serializers.IntegerField(help_text="Words with a memory state (reviewed at least once).")
    due = serializers.IntegerField(help_text="Words due today or before.")
    mean_recall = serializers.FloatField(allow_null=True, help_text="Mean predicted recall over tracked words.")
    words = ReviewWordSerializer(many=True, help_text="Due words, lowest predicted recall first.")


class RetentionWordSerializer(WordNameFields):
    learners = serializers.IntegerField(help_text="Members with a memory of the word.")
    mean_recall = serializers.FloatField()
    due = serializers.IntegerField(help_text="Of those, how many have it due today or before.")


class RetentionLearnerSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    tracked = serializers.IntegerField()
    due = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Words due before today.")
    mean_recall = serializers.FloatField(allow_null=True)


class RetentionSerializer(serializers.Serializer):
    classroom = serializers.IntegerField()
    words = RetentionWordSerializer(many=True, help_text="Words practised here, lowest mean recall first.")
    learners = RetentionLearnerSerializer(many=True, help_text="Every member, most words overdue first.")


_ERRORS = {400: OpenApiResponse(description="Bad `limit`: `{limit: [message]}`."),
           401: OpenApiResponse(description="Not authenticated.")}


class MyReviewsApi(APIView):
    """Your words due for review, lowest predicted recall first, with the probability and the due day."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[_LIMIT], responses={200: MyReviewsSerializer, **_ERRORS})
    @method_decorator(reads_from_replica)
    def get(self, request):
        reviews = selectors.learner_reviews(request.user.pk, limit=_limit(request))
        [reviews["words"]] = selectors.with_word_names(reviews["words"])
        return Response(MyReviewsSerializer(reviews).data)


class ClassroomRetentionApi(APIView):
    """Predicted recall per word across the classroom and its learners with most words overdue; its teacher
    and staff only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[_LIMIT], responses={
        200: RetentionSerializer, **_ERRORS,
        403: OpenApiResponse(description="Not this classroom's teacher (nor staff)."),
        404: OpenApiResponse(description="No such classroom.")})
    @method_decorator(reads_from_replica)
    def get(self, request, classroom_id: int):
        selectors.classroom_for_stats(request.user, classroom_id)
        retention = selectors.classroom_retention(classroom_id, limit=_limit(request))
        return Response(RetentionSerializer({"classroom": classroom_id, **retention}).data)
