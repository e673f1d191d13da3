"""URLs of the pipeline API (under /api/v1/)."""

from django.urls import path

from .exports import EventsExportView, TracesExportView
from .ingest import EventBatchCreateApi
from .insights import ClassroomInsightsApi, LearnerInsightsApi
from .memory import ClassroomRetentionApi, MyReviewsApi
from .schema import EventSchemaApi
from .stats import ClassroomHardestWordsApi, ClassroomStatsApi, MyStatsApi

urlpatterns: list = [
    path("events/batch/", EventBatchCreateApi.as_view(), name="learning-events-batch"),
    path("events/schema/", EventSchemaApi.as_view(), name="learning-events-schema"),
    path("exports/events/", EventsExportView.as_view(), name="learning-events-export-events"),
    path("exports/traces/", TracesExportView.as_view(), name="learning-events-export-traces"),
    path("me/stats/", MyStatsApi.as_view(), name="learning-events-my-stats"),
    path("classrooms/<int:classroom_id>/stats/", ClassroomStatsApi.as_view(), name="learning-events-classroom-stats"),
    path("classrooms/<int:classroom_id>/words/", ClassroomHardestWordsApi.as_view(),
         name="learning-events-classroom-words"),
    path("classrooms/<int:classroom_id>/insights/", ClassroomInsightsApi.as_view(),
         name="learning-events-classroom-insights"),
    path("me/reviews/", MyReviewsApi.as_view(), name="learning-events-my-reviews"),
    path("classrooms/<int:classroom_id>/retention/", ClassroomRetentionApi.as_view(),
         name="learning-events-classroom-retention"),
    path("learners/<int:learner_id>/insights/", LearnerInsightsApi.as_view(), name="learning-events-learner-insights"),
]
