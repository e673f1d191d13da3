"""Per-user rate limits of the pipeline's costly endpoints: batch ingest and export downloads.

Each view names a scope (``throttle_scope``); the host sets the scope's rate in
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (e.g. ``{"events_ingest": "120/min", "exports": "10/min"}``).
A scope without a rate (or with ``None``) is not limited, so a host opts in. Over the rate the answer is a
429 with ``Retry-After`` (seconds). The request history lives in Django's default cache: it must be shared
by every server process (Redis, or the database cache), or each process counts on its own.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

INGEST_SCOPE = "events_ingest"
EXPORTS_SCOPE = "exports"


class ScopedUserRateThrottle(ScopedRateThrottle):
    """DRF's ``ScopedRateThrottle``, keyed by the signed-in user, whose rate is read at request time.

    DRF binds ``THROTTLE_RATES`` when the module is imported, so a settings override (a test, a reload)
    would not reach it; and it refuses a scope without a rate, where this one lets the request through.
    """

    def get_rate(self) -> str | None:
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope)
