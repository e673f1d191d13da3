"""``GET /api/v1/events/schema/``: the JSON Schema of every event type's context (public documentation)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import event_types


class EventSchemaApi(APIView):
    """The event catalogue as JSON Schema: each type's context keys, and whether clients may send it."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(operation_id="events_schema_retrieve", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(event_types.catalogue_json_schema())
