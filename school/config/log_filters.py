"""Logging filters of the site, named in ``settings.LOGGING``."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Keep the one-line message of a request that ended in a 4xx, without its traceback.

    Django logs a refused or missing page (``PermissionDenied``, ``Http404``) on ``django.request`` with the
    exception attached, so every 403 a learner meets by following an old link wrote a full traceback into the
    server log, burying the real errors. A 4xx is the client's doing: its line ("Forbidden (Permission
    denied): /dashboard/classrooms/3/") says all there is. A 5xx keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
