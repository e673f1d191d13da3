"""A client of ``POST /api/v1/events/batch/`` as the reliability tests drive it, and the events it sends.

``BatchClient.deliver`` behaves like an app's uploader on a flaky network: it sends a batch until the
server answers 200, waiting ``Retry-After`` after a 503 or a 429 and a moment after a dropped connection, and keeps
every status it saw so a test can tell which failures the server produced. ``learner_events`` makes a
learner's realistic stream of client events (practice sessions, reading, games) over the last days.
Standard library only (``http.client``): nothing between the test and the socket.
"""

from __future__ import annotations

import http.client
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

BATCH_PATH = "/api/v1/events/batch/"
#: What a dropped or refused connection raises in ``http.client``.
CONNECTION_ERRORS = (ConnectionError, http.client.HTTPException, TimeoutError)


@dataclass
class Delivery:
    """The outcome of delivering one batch: the final 200 answer and every failed attempt before it."""

    answer: dict[str, Any]
    failures: list[str] = field(default_factory=list)  # "503", "ConnectionResetError", ...


class DeliveryFailed(AssertionError):
    """The server answered something no retry can fix (a 4xx, a 500), or kept failing past the limit."""


class BatchClient:
    """One learner's uploader, authenticated with their token, against the server at ``port``."""

    def __init__(self, port: int, token: str, *, timeout: float = 60, max_attempts: int = 30,
                 max_wait: float = 2.0):
        self.port = port
        self.token = token
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_wait = max_wait  # seconds: the longest pause between attempts, whatever Retry-After says

    def post(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """One attempt: ``(status, headers, body)``. Raises a ``CONNECTION_ERRORS`` member when the
        connection fails."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request("POST", BATCH_PATH, body=body, headers={
                "Authorization": f"Token {self.token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def deliver(self, events: list[dict[str, Any]]) -> Delivery:
        """Send ``events`` as one batch until it is stored; ``sent_at`` is stamped on every attempt, as a
        device would. Raises ``DeliveryFailed`` on an answer a retry cannot fix."""
        failures: list[str] = []
        for _ in range(self.max_attempts):
            body = json.dumps({"sent_at": datetime.now().astimezone().isoformat(), "events": events}).encode()
            try:
                status, headers, content = self.post(body)
            except CONNECTION_ERRORS as exc:
                failures.append(type(exc).__name__)
                time.sleep(0.2)
                continue
            if status == 200:
                return Delivery(answer=json.loads(content), failures=failures)
            if status in (429, 503) and "Retry-After" in headers:
                failures.append(str(status))
                time.sleep(min(float(headers["Retry-After"]), self.max_wait))
                continue
            raise DeliveryFailed(f"HTTP {status} after {failures or 'no failures'}: {content[:500]!r}")
        raise DeliveryFailed(f"not stored after {self.max_attempts} attempts: {failures}")


def learner_events(rng: random.Random, *, count: int, classroom_id: int, now: datetime,
                   days: int = 6) -> list[dict[str, Any]]:
    """``count`` valid client events of one learner between ``days`` days and an hour before ``now``, in
    time order: practice sessions (start, end), stories and articles (view, complete, with the reading
    time), and games; about one event in five outside the classroom. Each has its own ``event_id``."""
    start = now - timedelta(days=days)
    span = (timedelta(days=days) - timedelta(hours=1)).total_seconds()
    instants = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    events: list[dict[str, Any]] = []
    index = 0
    while index < count:
        room = classroom_id if rng.random() < 0.8 else None
        kind = rng.choice(("practice", "reading", "game"))
        if kind == "game" or index == count - 1:
            pair = [("game_complete", {"game_id": rng.randint(1, 20), "score": rng.randint(0, 100),
                                       "duration_seconds": rng.randint(30, 600),
                                       "word_ids": rng.sample(range(1, 200), 5)})]
        elif kind == "practice":
            session = str(_uuid(rng))
            pair = [("practice_start", {"session_id": session}), ("practice_end", {"session_id": session})]
        else:
            content = {"content_id": rng.randint(1, 50), "content_type": rng.choice(("story", "article"))}
            pair = [("content_view", content),
                    ("content_complete", {**content, "duration_seconds": round(rng.uniform(20, 900), 3)})]
        for event_type, context in pair:
            events.append({"event_id": str(_uuid(rng)), "event_type": event_type,
                           "occurred_at": instants[index].isoformat(), "classroom_id": room, "context": context})
            index += 1
    return events


def _uuid(rng: random.Random) -> uuid.UUID:
    """A random (version 4) UUID from ``rng``: reproducible runs."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)
