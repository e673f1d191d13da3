"""Forwarding of the stored events to a learning record store (LRS), as xAPI statements, in the background.

With ``LEARNING_EVENTS_XAPI_ENDPOINT`` set, the periodic task ``learning_events.forward_xapi`` calls
``forward_xapi()``: it sends the events stored since the last run in batches (``POST <endpoint>/statements``,
``X-Experience-API-Version``, Basic auth), in the order they were stored, and records how far it got in
``XapiCursor`` (one row per endpoint, in the database, so a restart resumes where the last run stopped).
Nothing is ever sent while an event is being stored: ingest never waits on the LRS.

Guarantees (docs/xapi.md, "Delivery"):

- **At least once.** The cursor moves only past events the LRS accepted or refused for good. A run that dies
  between a POST and the cursor's update sends those statements again; their ids are the events' ids, so a
  conformant LRS stores each once (a 409, or an id it already has, counts as delivered).
- **In order.** Events go out in the order of their row id (the order they were stored), batch after batch;
  a learner's statements therefore reach the LRS in the order the platform stored them.
- **No event skipped.** An id that is not visible yet (its transaction is still open: ids are taken at insert,
  rows appear at commit) holds back the events after it until it appears, or until the events after it are
  older than ``LEARNING_EVENTS_XAPI_SETTLE_SECONDS`` (then the id is taken for one that will never appear:
  a rolled-back insert, or a duplicate the insert skipped).
- **Backoff.** A run that cannot reach the LRS (refused connection, timeout, 5xx, 401/403/404/429) stops
  without moving the cursor and the next runs wait ``interval × 2^(failures-1)``, at most an hour.
- **Dead letters.** A batch the LRS refuses (400, 409, 413, 422) is split in halves until the refused
  statements stand alone; each is kept as an ``XapiDeadLetter`` with the LRS's answer (admin: retry action),
  and the others are delivered.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import requests
from django.db import IntegrityError, transaction
from django.db.models import F, Min, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone

from . import xapi
from .conf import app_settings
from .models import LearningEvent, XapiCursor, XapiDeadLetter

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
ANSWER_CHARS = 10_000
"""Characters kept of an LRS's answer in a dead letter or a cursor's last error."""
ACCEPTED = frozenset({200, 204})
REFUSED = frozenset({400, 409, 413, 422})
"""Answers about the statements themselves: split the batch to find the ones refused."""
LEASE_MARGIN = timedelta(seconds=30)


class LrsUnavailable(Exception):
    """The LRS could not take statements now (unreachable, too slow, 5xx, auth): retry later, lose nothing."""


@dataclass
class ForwardReport:
    """What one run did: statements delivered and dead-lettered, and why it stopped early if it did."""

    delivered: int = 0
    dead_lettered: int = 0
    skipped: str = ""
    failed: str = ""


@dataclass(frozen=True)
class Item:
    """One statement on its way, with the row id of its event."""

    pk: int
    statement: dict


class LrsClient:
    """POSTs statements to one LRS with the configured version, credentials and timeout (``requests``)."""

    def __init__(self, endpoint: str):
        self.url = f"{endpoint}/statements"
        self.timeout = app_settings.XAPI_TIMEOUT
        self.session = requests.Session()
        self.session.auth = app_settings.XAPI_CREDENTIALS
        self.session.headers.update({"X-Experience-API-Version": app_settings.XAPI_VERSION,
                                     "Content-Type": "application/json"})

    def post(self, statements: Sequence[dict]) -> tuple[int, str]:
        """Send ``statements``; return the LRS's status and answer when it is about the statements (accepted or
        refused), raise ``LrsUnavailable`` otherwise."""
        body = json.dumps(list(statements), ensure_ascii=False, separators=(",", ":")).encode()
        try:
            response = self.session.post(self.url, data=body, timeout=self.timeout)
        except requests.Timeout as exc:
            raise LrsUnavailable(f"{self.url} did not answer within {self.timeout:g} s") from exc
        except requests.RequestException as exc:
            raise LrsUnavailable(f"cannot reach {self.url}: {exc}") from exc
        if response.status_code in ACCEPTED or response.status_code in REFUSED:
            return response.status_code, response.text[:ANSWER_CHARS]
        raise LrsUnavailable(f"{self.url} answered {response.status_code}: {response.text[:500]}")

    def close(self) -> None:
        self.session.close()


class Outcome(Protocol):
    def accepted(self, items: list[Item]) -> None: ...

    def refused(self, item: Item, status: int, answer: str) -> None: ...


def send(client: LrsClient, items: list[Item], outcome: Outcome) -> None:
    """Deliver ``items`` in order, telling ``outcome`` about each run of accepted items and each refused one.

    A refused batch is split in halves (left first, so the order holds) until each refused statement stands
    alone: ``log2(batch)`` more requests per bad statement. A 409 for a statement alone means the LRS already
    holds a statement with its id: delivered. Raises ``LrsUnavailable`` (what was told to ``outcome`` holds).
    """
    status, answer = client.post([item.statement for item in items])
    if status in ACCEPTED or (status == 409 and len(items) == 1):
        if status == 409:
            logger.warning("xAPI: the LRS already holds statement %s with other content (409): counted as delivered",
                           items[0].statement["id"])
        outcome.accepted(items)
    elif len(items) == 1:
        outcome.refused(items[0], status, answer)
    else:
        half = len(items) // 2
        send(client, items[:half], outcome)
        send(client, items[half:], outcome)


# --- the periodic run ------------------------------------------------------------------------------


class _Cursor:
    """Moves an endpoint's cursor as statements are handled, one small transaction each."""

    def __init__(self, cursor: XapiCursor, report: ForwardReport):
        self.cursor = cursor
        self.report = report

    def _advance(self, position: int, *, delivered: int = 0, dead_lettered: int = 0) -> None:
        XapiCursor.objects.filter(pk=self.cursor.pk).update(
            position=Greatest(F("position"), position), delivered=F("delivered") + delivered,
            dead_lettered=F("dead_lettered") + dead_lettered)
        self.cursor.position = max(self.cursor.position, position)

    def accepted(self, items: list[Item]) -> None:
        self._advance(items[-1].pk, delivered=len(items))
        self.report.delivered += len(items)

    def refused(self, item: Item, status: int, answer: str) -> None:
        logger.warning("xAPI: the LRS refused statement %s (%s): kept as a dead letter", item.statement["id"], status)
        now = timezone.now()
        with transaction.atomic():
            letter, created = XapiDeadLetter.objects.get_or_create(
                endpoint=self.cursor.endpoint, event_id=item.statement["id"],
                defaults={"event_pk": item.pk, "statement": item.statement, "status_code": status, "response": answer,
                          "created_at": now, "last_attempt_at": now})
            if not created:  # sent again after a restart
                XapiDeadLetter.objects.filter(pk=letter.pk).update(
                    statement=item.statement, status_code=status, response=answer, attempts=F("attempts") + 1,
                    last_attempt_at=now, delivered_at=None)
            self._advance(item.pk, dead_lettered=1)
        self.report.dead_lettered += 1


def _claim(endpoint: str, now: datetime) -> XapiCursor | str:
    """The endpoint's cursor, leased to this run; or why this run must not send (another run, a backoff)."""
    try:
        with transaction.atomic():
            cursor = XapiCursor.objects.select_for_update().filter(endpoint=endpoint).first()
            if cursor is None:
                # A new endpoint starts before the oldest stored event: it gets the whole history, and the
                # ids below it (purged events) are not waited for as missing ones.
                first = LearningEvent.objects.aggregate(first=Min("id"))["first"]
                cursor = XapiCursor.objects.create(endpoint=endpoint, position=(first or 1) - 1)
            if cursor.leased_until and cursor.leased_until > now:
                return "another run is forwarding"
            if cursor.next_attempt_at and cursor.next_attempt_at > now:
                return f"backing off until {cursor.next_attempt_at.isoformat()}"
            cursor.leased_until = now + app_settings.XAPI_INTERVAL + timedelta(seconds=app_settings.XAPI_TIMEOUT) \
                + LEASE_MARGIN
            cursor.last_attempt_at = now
            cursor.save(update_fields=["leased_until", "last_attempt_at"])
            return cursor
    except IntegrityError:  # two first runs created the cursor at once: the other one goes ahead
        return "another run is forwarding"


def _settled(events: list[xapi.Event], position: int, settled_before: datetime) -> list[xapi.Event]:
    """The leading events that may go now: each follows the one before it without a missing id, or, after a
    missing id, was stored before ``settled_before`` (by then the missing id will never appear)."""
    ready = []
    previous = position
    for event in events:
        if event.pk != previous + 1 and event.created_at > settled_before:
            break
        ready.append(event)
        previous = event.pk
    return ready


def forward_xapi() -> ForwardReport:
    """Send the events stored since the last run to ``LEARNING_EVENTS_XAPI_ENDPOINT``; see the module's doc.

    Runs for at most ``LEARNING_EVENTS_XAPI_INTERVAL_SECONDS`` (and one request's timeout), then leaves the
    rest to the next run. Returns what it did; never raises for the LRS's sake (failures are recorded on the
    cursor, shown in the admin, and retried with backoff). Raises ``XapiNotConfigured`` without a home page.
    """
    endpoint = app_settings.XAPI_ENDPOINT
    if not endpoint:
        return ForwardReport(skipped="LEARNING_EVENTS_XAPI_ENDPOINT is unset")
    mapper = xapi.StatementMapper()
    now = timezone.now()
    claimed = _claim(endpoint, now)
    if isinstance(claimed, str):
        return ForwardReport(skipped=claimed)
    report = ForwardReport()
    progress = _Cursor(claimed, report)
    client = LrsClient(endpoint)
    deadline = time.monotonic() + app_settings.XAPI_INTERVAL.total_seconds()
    size = app_settings.XAPI_BATCH_SIZE
    try:
        while time.monotonic() < deadline:
            pending = list(xapi.events(
                LearningEvent.objects.filter(id__gt=progress.cursor.position).order_by("id")[:size]))
            ready = _settled(pending, progress.cursor.position, timezone.now() - app_settings.XAPI_SETTLE)
            if ready:
                send(client, [Item(event.pk, mapper.statement(event)) for event in ready], progress)
            if len(ready) < size:  # caught up, or waiting for a missing id
                break
    except LrsUnavailable as exc:
        report.failed = str(exc)
        logger.warning("xAPI forwarding to %s failed, retried later: %s", endpoint, exc)
    except BaseException as exc:  # a bug or a shutdown: recorded and backed off like an LRS failure
        report.failed = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        client.close()
        _finish(claimed, report)
    return report


def _finish(cursor: XapiCursor, report: ForwardReport) -> None:
    now = timezone.now()
    if report.failed:
        failures = cursor.consecutive_failures + 1
        # Doubling stops long before the cap matters (2^16 intervals); a bigger power would overflow timedelta.
        backoff = min(app_settings.XAPI_INTERVAL * 2 ** min(failures - 1, 16), MAX_BACKOFF)
        XapiCursor.objects.filter(pk=cursor.pk).update(
            leased_until=None, consecutive_failures=failures, failures=F("failures") + 1,
            last_error=report.failed[:ANSWER_CHARS], next_attempt_at=now + backoff)
    else:
        XapiCursor.objects.filter(pk=cursor.pk).update(
            leased_until=None, consecutive_failures=0, next_attempt_at=None, last_success_at=now)


# --- dead letters -----------------------------------------------------------------------------------


@dataclass
class RetryReport:
    delivered: int = 0
    refused: int = 0
    gone: int = 0
    elsewhere: int = 0


class _Letters:
    """Records a retry's outcome on the dead letters it sent."""

    def __init__(self, letters: dict[str, XapiDeadLetter], report: RetryReport):
        self.letters = letters
        self.report = report

    def accepted(self, items: list[Item]) -> None:
        now = timezone.now()
        ids = [self.letters[item.statement["id"]].pk for item in items]
        XapiDeadLetter.objects.filter(pk__in=ids).update(delivered_at=now, last_attempt_at=now,
                                                         attempts=F("attempts") + 1)
        self.report.delivered += len(items)

    def refused(self, item: Item, status: int, answer: str) -> None:
        XapiDeadLetter.objects.filter(pk=self.letters[item.statement["id"]].pk).update(
            statement=item.statement, status_code=status, response=answer, attempts=F("attempts") + 1,
            last_attempt_at=timezone.now())
        self.report.refused += 1


def retry_dead_letters(letters: QuerySet[XapiDeadLetter] | Iterable[XapiDeadLetter]) -> RetryReport:
    """Send the pending ``letters`` of the current endpoint again, each statement rebuilt from its event (so a
    corrected event or mapping goes out). Letters of another endpoint, and of events purged since, stay.
    Raises ``LrsUnavailable`` when the LRS cannot be reached (nothing changes then)."""
    report = RetryReport()
    endpoint = app_settings.XAPI_ENDPOINT
    pending = {str(letter.event_id): letter for letter in letters if letter.delivered_at is None}
    ours = {event_id: letter for event_id, letter in pending.items() if letter.endpoint == endpoint}
    report.elsewhere = len(pending) - len(ours)
    if not ours:
        return report
    mapper = xapi.StatementMapper()
    items = [Item(event.pk, mapper.statement(event))
             # By row id too: since event ids are unique per learner, another learner may share one.
             for event in xapi.events(LearningEvent.objects.filter(
                 event_id__in=list(ours), pk__in=[letter.event_pk for letter in ours.values()]).order_by("id"))]
    report.gone = len(ours) - len(items)
    if items:
        client = LrsClient(endpoint)
        try:
            send(client, items, _Letters(ours, report))
        finally:
            client.close()
    return report
