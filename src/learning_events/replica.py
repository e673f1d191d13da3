"""Reads from a read replica: a database router, the views that opt into it, and "read your own writes".

A host with a streaming replica names its alias in ``LEARNING_EVENTS_REPLICA_DATABASE`` and installs
``ReplicaRouter`` (``DATABASE_ROUTERS``) and ``ReplicaPinMiddleware`` (``MIDDLEWARE``). Then:

- Every read goes to the primary (``default``) unless it runs inside a view decorated with
  ``reads_from_replica`` (the read API, the dashboards, the export downloads, a streamed body included) or a
  ``replica_reads()`` block (the export commands). Authentication, permissions and rate limits run before
  the view, so they read the primary; so do Celery tasks (rollups), commands and the shell.
- Inside such a view, reads still go to the primary when the primary is inside a transaction, when anything
  was written earlier in the request (from then on, for the rest of it), and when the caller wrote in the
  last ``LEARNING_EVENTS_REPLICA_PIN_SECONDS``: the middleware pins a user after each request of theirs
  that used an unsafe method (POST, PUT, PATCH, DELETE) or wrote, in the cache (shared by every worker, and
  kept per user so that token clients without cookies are pinned too). A learner who answers a flashcard
  and reads their session at once reads it from the primary, never a replica that has not yet caught up.
- Writes always go to the primary; migrations never run on the replica.

Without ``LEARNING_EVENTS_REPLICA_DATABASE`` the decorator and the block change nothing. The database
cache's table (rate-limit counters, the pins themselves) is always read and written on the primary, and its
writes do not count as the caller's.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from .conf import app_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: app_label of the model Django's database cache backend (``DatabaseCache``) reads and writes through.
CACHE_APP_LABEL = "django_cache"


@dataclass
class _Routing:
    """Where the current request's (or block's) reads may go."""

    replica: bool = False  # inside a view or block that reads from the replica
    wrote: bool = False  # something was written: from now on every read stays on the primary


_routing: contextvars.ContextVar[_Routing | None] = contextvars.ContextVar("learning_events_replica",
                                                                           default=None)


def _pin_key(user_id: Any) -> str:
    return f"learning_events:replica-pin:{user_id}"


def pin_to_primary(user: Any) -> None:
    """Keep ``user``'s reads on the primary for ``LEARNING_EVENTS_REPLICA_PIN_SECONDS`` (they just wrote)."""
    if app_settings.REPLICA_DATABASE and app_settings.REPLICA_PIN_SECONDS:
        cache.set(_pin_key(user.pk), True, app_settings.REPLICA_PIN_SECONDS)


def _replica_routing(user: Any) -> _Routing | None:
    """The routing state to read from the replica with, or None when these reads must stay on the primary."""
    if not app_settings.REPLICA_DATABASE:
        return None
    state = _routing.get() or _Routing()
    if state.wrote:
        return None
    if user is not None and user.is_authenticated and cache.get(_pin_key(user.pk)):
        return None
    return state


@contextmanager
def _on_replica(state: _Routing) -> Iterator[None]:
    before = state.replica
    state.replica = True
    token = _routing.set(state)
    try:
        yield
    finally:
        state.replica = before
        _routing.reset(token)


@contextmanager
def replica_reads(user: Any = None) -> Iterator[None]:
    """Reads inside the block go to the replica, as in a ``reads_from_replica`` view, unless ``user`` (if
    given) is pinned to the primary. Writes go to the primary, and the block's later reads with them."""
    state = _replica_routing(user)
    if state is None:
        yield
        return
    with _on_replica(state):
        yield


def _streamed_on_replica(state: _Routing, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """A streamed body is produced after the view returned: each chunk is made with the view's routing."""
    chunks = iter(chunks)
    while True:
        with _on_replica(state):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def reads_from_replica(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a read-only view ``view(request, ...)`` (on a class-based view: ``method_decorator``) so that
    its reads, and those of the body it streams, go to the replica (see the module's docstring for when they
    stay on the primary). The caller is authenticated before: ``request.user`` decides the pin."""

    @functools.wraps(view)
    def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
        state = _replica_routing(getattr(request, "user", None))
        if state is None:
            return view(request, *args, **kwargs)
        with _on_replica(state):
            response = view(request, *args, **kwargs)
        if getattr(response, "streaming", False) and not getattr(response, "is_async", False):
            response.streaming_content = _streamed_on_replica(state, response.streaming_content)
        return response

    return wrapped


def _is_cache(model: Any) -> bool:
    return model._meta.app_label == CACHE_APP_LABEL


class ReplicaRouter:
    """Reads to ``LEARNING_EVENTS_REPLICA_DATABASE`` where a view or block allows it, everything else to the
    primary; no migrations on the replica."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        replica = app_settings.REPLICA_DATABASE
        if not replica:
            return None
        state = _routing.get()
        if (state is not None and state.replica and not state.wrote and not _is_cache(model)
                and not connections[DEFAULT_DB_ALIAS].in_atomic_block):
            return replica
        instance = hints.get("instance")
        if instance is not None and instance._state.db == replica:
            return DEFAULT_DB_ALIAS  # a relation of a row read from the replica, read outside replica reads
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        state = _routing.get()
        if state is not None and not _is_cache(model):
            state.wrote = True
        return DEFAULT_DB_ALIAS  # also for rows read from the replica (Django would write them back there)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        same_data = {DEFAULT_DB_ALIAS, app_settings.REPLICA_DATABASE}
        return True if {obj1._state.db, obj2._state.db} <= same_data else None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return False if db == app_settings.REPLICA_DATABASE else None


class ReplicaPinMiddleware:
    """Notes the writes of each request (for the router) and pins its user to the primary after a request
    that used an unsafe method or wrote. Place it after the authentication middleware."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        state = _Routing()
        token = _routing.set(state)
        try:
            response = self.get_response(request)
        finally:
            _routing.reset(token)
        if request.method not in SAFE_METHODS or state.wrote:
            user = getattr(request, "user", None)  # DRF sets it here when it authenticates a token
            if user is not None and user.is_authenticated:
                pin_to_primary(user)
        return response


def wait_for_replica(timeout: float = 10.0) -> bool:
    """Wait until the replica has replayed every write the primary had made when called. True once it has
    (at once when there is no replica, or its alias reaches the primary's own data, as in tests without a
    streaming replica); False if ``timeout`` seconds passed first."""
    replica = app_settings.REPLICA_DATABASE
    if not replica or connections[replica].vendor != "postgresql":
        return True
    with connections[replica].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        if not cursor.fetchone()[0]:
            return True
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        [target] = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while True:
        with connections[replica].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
