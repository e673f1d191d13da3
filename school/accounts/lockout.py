"""Sign-in throttling: failed sign-ins counted per account and per client address, each against its own limit.

django-axes records every failed ``authenticate()`` that carries a request (the login page, the admin's login,
``POST /api/v1/auth/token/``) as ``AccessAttempt`` rows, one per (username, address, user agent), and refuses a
sign-in while a limit is reached; a failure is forgotten ``AXES_COOLOFF_TIME`` after the row's last failure.
Axes holds every lockout parameter to one limit, but learners of a school share one address behind its NAT,
so an address needs a far higher limit than an account: ``AccountAndAddressHandler`` gives the account
``LOGIN_FAILURES_PER_ACCOUNT`` failures and the address ``LOGIN_FAILURES_PER_ADDRESS`` (axes' maintainers'
answer to this wish is a handler of one's own: jazzband/django-axes#661). Both are allowed in full; the
attempt after them is refused, whatever the password, until the failures that reached the limit expire.

A refused attempt is answered ``429 Too Many Requests`` with ``Retry-After``: by ``SignInLockout``, a DRF
throttle, on the token endpoint (in the API's error shape, before any password is checked), and by
``locked_out_page`` (``AXES_LOCKOUT_CALLABLE``, through axes' middleware) on the login pages.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle


class AccountAndAddressHandler(AxesDatabaseHandler):
    """axes' database handler, with a failure limit of its own for each lockout parameter."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return self.locked_until(request, credentials) is not None

    def locked_until(self, request, credentials: dict | None = None) -> datetime | None:
        """When the sign-in lockout of this request's account or address ends (the later, when both are
        locked); None when neither is. Reads the attempts of the last ``AXES_COOLOFF_TIME``, newest first."""
        limits = {"username": settings.LOGIN_FAILURES_PER_ACCOUNT, "ip_address": settings.LOGIN_FAILURES_PER_ADDRESS}
        cool_off = get_cool_off(request)
        ends = []
        for parameter, attempts in zip(settings.AXES_LOCKOUT_PARAMETERS, self.get_user_attempts(request, credentials),
                                       strict=True):
            rows = attempts.order_by("-attempt_time").values_list("attempt_time", "failures_since_start")
            end = lockout_end(rows.iterator(), limits[parameter], cool_off)
            if end is not None:
                ends.append(end)
        return max(ends, default=None)


def lockout_end(rows: Iterable[tuple[datetime, int]], limit: int, cool_off: timedelta) -> datetime | None:
    """When a lockout ends, from the recent ``(last failure time, failures)`` rows of one account or address,
    newest first: the limit stays reached until the row that completes it, counting from the newest, expires.
    None when the rows do not reach the limit."""
    failures = 0
    for last_failure, count in rows:
        failures += count
        if failures >= limit:
            return last_failure + cool_off
    return None


def seconds_locked(request, username: str | None) -> int | None:
    """Whole seconds until ``username`` may try to sign in from this request's address (what ``Retry-After``
    says); None when neither the account nor the address is locked, or django-axes is turned off."""
    if not settings.AXES_ENABLED:
        return None
    AxesProxyHandler.update_request(request)  # the request's address, user agent and time, as axes reads them
    until = AxesProxyHandler.get_implementation().locked_until(request, get_credentials(username))
    if until is None:
        return None
    return max(1, math.ceil((until - request.axes_attempt_time).total_seconds()))


def client_address(request: HttpRequest) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the address failures are counted against.

    With no proxy (``LOGIN_PROXY_COUNT=0``) the peer's own address; X-Forwarded-For is ignored, since a client
    can write anything there. Behind N trusted proxies, each appending the address it received from to
    X-Forwarded-For, the address N hops back from the peer: what the outermost proxy saw, whatever a client put
    in front of it. A value that is not an IP address (a proxy that is not configured as said) falls back to the
    peer's address. The server must be reachable only through its proxies (docs/security.md)."""
    peer = request.META.get("REMOTE_ADDR") or None
    hops = settings.LOGIN_PROXY_COUNT
    if not hops:
        return peer
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    chain = [*forwarded, peer or ""]
    candidate = chain[max(len(chain) - 1 - hops, 0)]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


class SignInLocked(Throttled):
    default_detail = "Too many failed sign-ins for this account or from this address."
    extra_detail_singular = "Try again in {wait} second."
    extra_detail_plural = "Try again in {wait} seconds."
    default_code = "sign_in_locked"


class SignInLockout(BaseThrottle):
    """The token endpoint's lockout, checked before the password: a DRF throttle, so the answer is the API's
    429 (``SignInLocked``, with ``Retry-After``) and the OpenAPI schema documents it like any other limit."""

    def allow_request(self, request, view) -> bool:
        username = request.data.get("username") if isinstance(request.data, Mapping) else None
        self.seconds = seconds_locked(request, username if isinstance(username, str) else None)
        return self.seconds is None

    def wait(self) -> int:
        return self.seconds


def locked_out_page(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the login page's (and the admin login's) answer to a refused sign-in, 429 with
    ``Retry-After`` and a page saying when to try again."""
    username = (credentials or {}).get("username")
    seconds = seconds_locked(request, username) or 1  # None: the lockout ended since axes refused the attempt
    response = render(request, "registration/locked_out.html", {
        "minutes": math.ceil(seconds / 60),
        "until": request.axes_attempt_time + timedelta(seconds=seconds),
    }, status=429)
    response["Retry-After"] = str(seconds)
    return response
