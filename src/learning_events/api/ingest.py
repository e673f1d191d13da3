"""``POST /api/v1/events/batch/``: a client's buffered events, stored per event, idempotently.

Deliberately thin and serializer-free: the body is read once as bytes and handed to
``services.ingest_batch``, which parses it once and checks each event by hand (a DRF serializer per event
would cost more than storing it). The OpenAPI description comes from the serializers below, which only
document the shapes and are never run.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import event_types, services
from ..conf import app_settings
from ..exceptions import BatchTooLarge, MalformedBatch
from .throttles import INGEST_SCOPE, ScopedUserRateThrottle


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is too large."
    default_code = "payload_too_large"


class EventInSerializer(serializers.Serializer):
    event_id = serializers.UUIDField(required=False, allow_null=True,
                                     help_text="Idempotency key; generated when left out.")
    event_type = serializers.ChoiceField(choices=list(event_types.CLIENT_TYPES))
    occurred_at = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="Device time with a time zone; shifted by (server receive time - sent_at). Default: now.")
    context = serializers.DictField(required=False, help_text="See GET /api/v1/events/schema/ for each type.")
    classroom_id = serializers.IntegerField(required=False, allow_null=True,
                                            help_text="A classroom the caller belongs to.")


class BatchInSerializer(serializers.Serializer):
    sent_at = serializers.DateTimeField(required=False, allow_null=True,
                                        help_text="Device time when the batch was sent, for clock-skew repair.")
    events = EventInSerializer(many=True)


class BatchOutSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Events stored by this request.")
    duplicates = serializers.IntegerField(help_text="Events whose event_id was already stored with the same content.")
    rejected = inline_serializer("RejectedEventOut", {
        "index": serializers.IntegerField(help_text="Position of the event in the batch."),
        "event_id": serializers.CharField(allow_null=True, help_text="The event_id sent, if it was a string."),
        "errors": serializers.DictField(child=serializers.CharField(), help_text="{field: problem}"),
    }, many=True)


_ERROR = inline_serializer("BatchError", {"detail": serializers.CharField()})


class EventBatchCreateApi(APIView):
    """Store a batch of client events; each event is accepted, a duplicate, or rejected (and kept)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]  # for the schema only: the view reads the raw body itself
    throttle_classes = [ScopedUserRateThrottle]
    throttle_scope = INGEST_SCOPE

    @extend_schema(
        operation_id="events_batch_create",
        request=BatchInSerializer,
        responses={
            200: BatchOutSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description=(
                'Not UTF-8 JSON, not an object, no `events` list, or a bad `sent_at`: `{"detail": ...}` or '
                '`{"events"|"sent_at": [...]}`.')),
            401: OpenApiResponse(_ERROR, description="Not authenticated."),
            403: OpenApiResponse(_ERROR, description="Session authentication without the CSRF token."),
            413: OpenApiResponse(_ERROR, description="Over the byte or the event limit."),
            415: OpenApiResponse(_ERROR, description="A Content-Type other than application/json."),
            429: OpenApiResponse(_ERROR, description="Over your rate limit: retry after `Retry-After` seconds."),
        },
        examples=[OpenApiExample("A batch", request_only=True, value={
            "sent_at": "2026-05-01T09:31:00Z",
            "events": [{"event_id": "0b5e1c2a-4a59-4f32-9d7e-5d2f1d0b7c11", "event_type": "content_view",
                        "occurred_at": "2026-05-01T09:30:00Z", "classroom_id": 3,
                        "context": {"content_id": 12, "content_type": "story"}}],
        })],
    )
    def post(self, request):
        received_at = timezone.now()
        # The body is always read as UTF-8 JSON: say so to a client that sends anything else.
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            raise exceptions.UnsupportedMediaType(request.content_type or "(none)")
        max_bytes = app_settings.BATCH_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise exceptions.ParseError("The Content-Length header is not a number.")
        # Before reading the body: past DATA_UPLOAD_MAX_MEMORY_SIZE, Django itself would answer 400.
        if length > max_bytes:
            raise PayloadTooLarge(f"The body is {length} bytes; at most {max_bytes} bytes are accepted per request. "
                                  "Send the events in smaller batches.")
        try:
            result = services.ingest_batch(user=request.user, body=request.body, received_at=received_at)
        except BatchTooLarge as exc:
            raise PayloadTooLarge(str(exc))
        except MalformedBatch as exc:
            if exc.detail:
                raise exceptions.ParseError(exc.detail)
            raise exceptions.ValidationError({key: [message] for key, message in exc.errors.items()})
        return Response(result)
