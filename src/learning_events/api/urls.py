"""URLs of the pipeline API (under /api/v1/)."""

from django.urls import path

from .exports import EventsExportView, TracesExportView
from .ingest import EventBatchCreateApi
from .schema import EventSchemaApi

urlpatterns: list = [
    path("events/batch/", EventBatchCreateApi.as_view(), name="learning-events-batch"),
    path("events/schema/", EventSchemaApi.as_view(), name="learning-events-schema"),
    path("exports/events/", EventsExportView.as_view(), name="learning-events-export-events"),
    path("exports/traces/", TracesExportView.as_view(), name="learning-events-export-traces"),
]
