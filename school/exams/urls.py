"""URLs of the exams API (under /api/v1/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("exams/", api.ExamListCreateApi.as_view(), name="exam-list"),
    path("exams/<int:pk>/", api.ExamDetailApi.as_view(), name="exam-detail"),
    path("exams/<int:pk>/submissions/", api.ExamSubmissionListCreateApi.as_view(), name="exam-submissions"),
]
