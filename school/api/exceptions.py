"""One error shape for the whole API: never a 500 for a client's mistake.

DRF already answers 400/401/403/404/405/413/415/429 with ``{"detail": ...}`` or field errors; this adds
the cases Django raises outside DRF's knowledge: a model's own ValidationError, integrity races, a body over
Django's upload limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``, ``DATA_UPLOAD_MAX_NUMBER_FIELDS``), the database
out of reach (a restart, dropped connections, a deadlock: 503 with ``Retry-After``, so clients retry
rather than give up), and a URL under ``/api/`` that matches no route.

Django's own ``Http404`` and ``PermissionDenied`` need nothing here: DRF (3.15 and later) answers them 404/403
and keeps their message, so an access check such as ``school.classrooms.selectors.classroom_for_teacher``
raises Django's exceptions and serves the API and the dashboards' HTML pages alike.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


logger = logging.getLogger(__name__)


class DatabaseUnavailable(exceptions.APIException):
    """The database could not be reached or dropped the connection: nothing of the request was committed
    unless its transaction finished, and a retry is safe (writes are idempotent)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable for a moment; retry the request after Retry-After seconds."
    default_code = "database_unavailable"
    wait = 1  # seconds: DRF's handler sends it as the Retry-After header


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(f"The request body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} "
                              "bytes accepted.")
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError("The request has too many fields.")
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, (OperationalError, InterfaceError)):
        # The connection is marked broken; Django closes it when the request ends and opens a fresh one,
        # checked first (CONN_HEALTH_CHECKS), on the next request.
        logger.warning("Database unavailable during %s %s: %s", context["request"].method,
                       context["request"].path, exc, exc_info=exc)
        exc = DatabaseUnavailable()
    elif isinstance(exc, IntegrityError):
        return Response({"detail": "The request conflicts with the current state of the data."},
                        status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


def page_not_found(request, exception):
    """``handler404``: under ``/api/`` a URL that matches no route (``/api/v1/words/abc/``) is a JSON 404 like
    any other unknown id; elsewhere Django's own page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)
