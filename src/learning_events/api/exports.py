"""HTTP downloads of the exports, for staff: the event export and the learning traces, streamed.

``GET /api/v1/exports/events/?format=jsonl&since=2026-01-01&until=2026-01-31&classroom=3&types=word_correct``
``GET /api/v1/exports/traces/?format=parquet&since=...&until=...&classroom=...``

``format=xapi`` (events only) streams xAPI statements, one JSON object a line (docs/xapi.md).
The body is the same file ``export_events`` / ``export_traces`` write, streamed as it is produced (Parquet
too, row group by row group). Every argument is checked before the first byte leaves: a bad one is a 400
naming it; errors are JSON whatever ``format`` asks for.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from learning_events import exports, xapi
from learning_events.replica import reads_from_replica

from .throttles import EXPORTS_SCOPE, ScopedUserRateThrottle


class IsStaff(BasePermission):
    """Exports hold every learner's activity: only staff download them."""

    message = "Only staff can download exports."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class FormatIsAFileFormat(BaseContentNegotiation):
    """Here ``?format=`` names the export's file format, not a DRF renderer: answers other than the
    file (errors) are always JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


_DETAIL = inline_serializer("ExportErrorDetail", {"detail": serializers.CharField()})
_FILE = ("The export file, as format asks: JSON Lines (a record a line), CSV (a header row), Parquet, or (events "
         "only) xAPI statements as JSON Lines.")
_DATE_HELP = "ISO date YYYY-MM-DD, inclusive: whole UTC days of occurred_at."


def _format(formats: tuple[str, ...], description: str) -> OpenApiParameter:
    return OpenApiParameter("format", str, enum=list(formats), default="jsonl", description=description)


_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATE, description=f"First day. {_DATE_HELP}"),
    OpenApiParameter("until", OpenApiTypes.DATE, description=f"Last day. {_DATE_HELP}"),
    OpenApiParameter("classroom", int, description="Only rows inside this classroom (its id)."),
]
_RESPONSES = {
    (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description=_FILE),
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=_FILE),
    (200, "application/vnd.apache.parquet"): OpenApiResponse(OpenApiTypes.BINARY, description=_FILE),
    400: OpenApiResponse(OpenApiTypes.OBJECT, description='Bad arguments, e.g. {"since": ["..."]}.'),
    401: OpenApiResponse(_DETAIL, description="Not signed in."),
    403: OpenApiResponse(_DETAIL, description="Not staff."),
    429: OpenApiResponse(_DETAIL, description="Over your rate limit: retry after `Retry-After` seconds."),
}


class ExportDownloadView(APIView):
    """Base of the two downloads: parse the query, build the export, stream it."""

    permission_classes = [IsStaff]
    throttle_classes = [ScopedUserRateThrottle]
    throttle_scope = EXPORTS_SCOPE
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatIsAFileFormat
    accepts_types = True
    formats = exports.FORMATS
    export_of = staticmethod(exports.events_export)

    @method_decorator(reads_from_replica)
    def get(self, request):
        query = request.query_params
        if not self.accepts_types and "types" in query:
            raise ValidationError({"types": ["traces are graded word attempts; types does not apply"]})
        errors: dict[str, str] = {}
        try:
            fmt = exports.parse_format(query.get("format") or "jsonl", self.formats)
        except exports.ExportError as exc:
            errors.update(exc.errors)
        try:
            filters = exports.parse_filters(since=query.get("since"), until=query.get("until"),
                                            classroom=query.get("classroom"), types=query.get("types"))
        except exports.ExportError as exc:
            errors.update(exc.errors)
        if not errors:
            try:
                export = xapi.statements_export(filters) if fmt == "xapi" else self.export_of(filters)
            except exports.ExportError as exc:
                errors.update(exc.errors)
        if errors:
            raise ValidationError({name: [message] for name, message in errors.items()})
        response = StreamingHttpResponse(exports.render(export, fmt), content_type=exports.MEDIA_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(export, fmt, filters)}"'
        response["Cache-Control"] = "no-store"
        return response


class EventsExportView(ExportDownloadView):
    """Download the pseudonymous event export (staff only)."""

    @extend_schema(
        operation_id="exports_events",
        summary="Download learning events (staff)",
        description=("Pseudonymous events ordered by (occurred_at, id); columns in docs/exports.md. format=xapi: "
                     "one xAPI statement a line (docs/xapi.md); 400 while LEARNING_EVENTS_XAPI_HOME_PAGE is unset."),
        parameters=[
            _format(exports.FORMATS, "File format; xapi: xAPI statements, one a line."), *_PARAMETERS,
            OpenApiParameter("types", str,
                             description="Only these event types, comma-separated, e.g. word_correct,word_incorrect."),
        ],
        responses=_RESPONSES,
    )
    def get(self, request):
        return super().get(request)


class TracesExportView(ExportDownloadView):
    """Download the learning traces: one row per graded word attempt (staff only)."""

    accepts_types = False
    formats = exports.TABLE_FORMATS
    export_of = staticmethod(exports.traces_export)

    @extend_schema(
        operation_id="exports_traces",
        summary="Download learning traces (staff)",
        description=("One row per graded word attempt with history features computed over the learner's "
                     "whole history; since/until/classroom choose the rows only. Columns in docs/exports.md."),
        parameters=[_format(exports.TABLE_FORMATS, "File format."), *_PARAMETERS],
        responses=_RESPONSES,
    )
    def get(self, request):
        return super().get(request)
