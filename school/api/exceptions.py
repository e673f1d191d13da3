"""One error shape for the whole API: never a 500 for a client's mistake.

DRF already answers 400/401/403/404/405/413/415/429 with ``{"detail": ...}`` or field errors; this adds
the cases Django raises outside DRF's knowledge: a model's own ValidationError and integrity races.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, IntegrityError):
        return Response({"detail": "The request conflicts with the current state of the data."},
                        status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
