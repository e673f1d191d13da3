"""Learning events as xAPI statements (IEEE 9274.1.1): the versioned mapping, and the ``xapi`` export.

Every stored event becomes one statement (mapping version ``MAPPING_VERSION``; the table, with the reasons
for each verb, is in ``docs/xapi.md``):

- ``id`` is the event's ``event_id``, so sending a statement again is idempotent on any conformant LRS;
- ``actor`` is an account on ``LEARNING_EVENTS_XAPI_HOME_PAGE`` named by the exports' pseudonym (default) or
  by the username (``LEARNING_EVENTS_XAPI_ACTOR_NAME = "username"``);
- ``verb`` comes from the ADL vocabulary; ``object`` is an activity under ``LEARNING_EVENTS_XAPI_ACTIVITY_BASE``;
- ``result`` carries success, score, completion and an ISO 8601 duration where the event has them;
- ``context.registration`` is the practice session; the classroom is a ``grouping`` context activity;
- ``timestamp`` is ``occurred_at``; ``stored``, ``authority`` and ``version`` are left to the LRS.

The same statements serve xAPI 1.0.3 and 2.0.0: nothing this mapping uses differs between the two (the
forwarding sends the version the LRS is told in ``X-Experience-API-Version``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from . import event_types as types
from . import exports
from .conf import app_settings

MAPPING_VERSION = 1
"""Bumped when a statement of the same event would change; carried in every statement's context."""

VERSIONS = ("1.0.3", "2.0.0")
ACTOR_NAMES = ("pseudonym", "username")

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
VERBS: dict[str, str] = {
    types.PRACTICE_START: "initialized",
    types.PRACTICE_END: "terminated",
    types.WORD_CORRECT: "answered",
    types.WORD_INCORRECT: "answered",
    types.EXAM_ANSWER: "answered",
    types.CONTENT_VIEW: "experienced",
    types.CONTENT_COMPLETE: "completed",
    types.GAME_COMPLETE: "completed",
}

ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
ATTEMPT = ADL_ACTIVITIES + "attempt"
QUESTION = ADL_ACTIVITIES + "question"
ASSESSMENT = ADL_ACTIVITIES + "assessment"
MEDIA = ADL_ACTIVITIES + "media"
MODULE = ADL_ACTIVITIES + "module"
COURSE = ADL_ACTIVITIES + "course"
GAME = "http://activitystrea.ms/schema/1.0/game"


class XapiNotConfigured(exports.ExportError):
    """Statements need ``LEARNING_EVENTS_XAPI_HOME_PAGE`` (the platform that names learners' accounts)."""

    def __init__(self) -> None:
        super().__init__({"format": "xapi needs LEARNING_EVENTS_XAPI_HOME_PAGE, the IRI of the platform that "
                                    "names learners' accounts (docs/xapi.md)"})


def iso_duration(seconds: float) -> str:
    """``seconds`` as an ISO 8601 duration kept to 0.01 s, as xAPI asks: ``PT1H2M3.45S``, ``PT0S``."""
    hundredths = round(seconds * 100)
    hours, rest = divmod(hundredths, 360_000)
    minutes, rest = divmod(rest, 6_000)
    whole, fraction = divmod(rest, 100)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if rest or not (hours or minutes):
        text += f"{whole}.{fraction:02d}".rstrip("0").rstrip(".") + "S"
    return text


def timestamp(value: datetime) -> str:
    """An instant as RFC 3339 in UTC with milliseconds (the precision LRSs keep): ``2026-03-02T10:00:00.123Z``."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


@dataclass(frozen=True)
class Event:
    """What a statement is made of: one stored event, with its learner's username when accounts use it (and,
    for the forwarding's cursor, its row id and when it was stored)."""

    event_id: str
    event_type: str
    occurred_at: datetime
    user_id: int
    classroom_id: int | None
    context: Mapping[str, Any]
    username: str | None = None
    pk: int | None = None
    created_at: datetime | None = None


class StatementMapper:
    """Turns events into statements under the current settings (home page, activity base, actor names)."""

    def __init__(self, *, salt: bytes | None = None):
        home_page = app_settings.XAPI_HOME_PAGE
        if not home_page:
            raise XapiNotConfigured()
        self.home_page = home_page
        self.base = app_settings.XAPI_ACTIVITY_BASE
        self.extensions = f"{home_page.rstrip('/')}/xapi/extensions/"
        self.by_username = app_settings.XAPI_ACTOR_NAME == "username"
        self.responses = app_settings.XAPI_INCLUDE_RESPONSES
        self.pseudonyms = exports.Pseudonymizer(salt)

    # --- activities ---

    def activity(self, path: str, kind: str, **extensions: Any) -> dict[str, Any]:
        definition: dict[str, Any] = {"type": kind}
        if extensions:
            definition["extensions"] = {self.extensions + key: value for key, value in extensions.items()}
        return {"objectType": "Activity", "id": f"{self.base}/{path}", "definition": definition}

    def session(self, session_id: str) -> dict[str, Any]:
        return self.activity(f"practice-sessions/{session_id}", ATTEMPT)

    def word(self, word_id: int) -> dict[str, Any]:
        return self.activity(f"words/{word_id}", QUESTION)

    def classroom(self, event: Event) -> dict[str, Any]:
        # Pseudonymous accounts get pseudonymous classrooms, as in the exports: ids and a timetable re-identify.
        key = event.classroom_id if self.by_username else self.pseudonyms.classroom(event.classroom_id)
        return self.activity(f"classrooms/{key}", COURSE)

    # --- the statement ---

    def statement(self, event: Event) -> dict[str, Any]:
        """The xAPI statement of ``event`` (a JSON-ready dict, keys in a fixed order)."""
        c = event.context
        kind = event.event_type
        result: dict[str, Any] = {}
        context: dict[str, Any] = {}
        activities: dict[str, Any] = {}
        extensions: dict[str, Any] = {}
        session_id = c.get("session_id")
        if kind in (types.PRACTICE_START, types.PRACTICE_END):
            target = self.session(session_id)
            if c.get("word_list_id") is not None:
                activities["parent"] = [self.activity(f"word-lists/{c['word_list_id']}", MODULE)]
        elif kind in types.WORD_TYPES:
            target = self.word(c["word_id"])
            result["success"] = kind == types.WORD_CORRECT
            if session_id:
                activities["parent"] = [self.session(session_id)]
            if isinstance(c.get("response_ms"), int) and c["response_ms"] >= 0:
                result["duration"] = iso_duration(c["response_ms"] / 1000)
        elif kind == types.EXAM_ANSWER:
            target = self.activity(f"exams/{c['exam_id']}/questions/{c['question_id']}", QUESTION)
            result["success"] = c["correct"]
            activities["parent"] = [self.activity(f"exams/{c['exam_id']}", ASSESSMENT)]
            extensions["submission"] = c["submission_id"]
            if c.get("duration_seconds") is not None:
                # The whole submission's time, carried by its first answer only: not this question's duration.
                extensions["submission-duration"] = iso_duration(c["duration_seconds"])
        elif kind in (types.CONTENT_VIEW, types.CONTENT_COMPLETE):
            target = self.activity(f"contents/{c['content_id']}", MEDIA, **{"content-type": c["content_type"]})
            if kind == types.CONTENT_COMPLETE:
                result["completion"] = True
            if c.get("duration_seconds") is not None:
                result["duration"] = iso_duration(c["duration_seconds"])
        elif kind == types.GAME_COMPLETE:
            target = self.activity(f"games/{c['game_id']}", GAME)
            result["completion"] = True
            result["score"] = {"raw": c["score"]}
            result["duration"] = iso_duration(c["duration_seconds"])
            if c.get("word_ids"):
                activities["other"] = [self.word(word_id) for word_id in c["word_ids"]]
        else:  # a type added to the catalogue without a mapping is a programming error, caught by the tests
            raise ValueError(f"no xAPI mapping for event type {kind!r}")
        if self.responses and isinstance(c.get("answer"), str) and c["answer"]:
            result["response"] = c["answer"]
        if session_id:
            context["registration"] = str(session_id)
        if event.classroom_id is not None:
            activities["grouping"] = [self.classroom(event)]
        if activities:
            context["contextActivities"] = activities
        context["extensions"] = {self.extensions + key: value
                                 for key, value in {"mapping-version": MAPPING_VERSION, **extensions}.items()}
        name = event.username if self.by_username else self.pseudonyms.user(event.user_id)
        statement: dict[str, Any] = {
            "id": str(event.event_id),
            "actor": {"objectType": "Agent", "account": {"homePage": self.home_page, "name": name}},
            "verb": {"id": ADL_VERBS + VERBS[kind], "display": {"en-US": VERBS[kind]}},
            "object": target,
        }
        if result:
            statement["result"] = result
        statement["context"] = context
        statement["timestamp"] = timestamp(event.occurred_at)
        return statement


def events(queryset: QuerySet) -> Iterator[Event]:
    """The events of ``queryset`` (in its order) as ``Event`` values, streamed from a server-side cursor."""
    names = ["event_id", "event_type", "occurred_at", "user_id", "classroom_id", "context", "pk", "created_at"]
    fields = [*names[:-2], "id", "created_at"]
    if app_settings.XAPI_ACTOR_NAME == "username":
        names.append("username")
        fields.append(f"user__{get_user_model().USERNAME_FIELD}")
    for row in queryset.values_list(*fields).iterator(chunk_size=exports.CHUNK_SIZE):
        values = dict(zip(names, row))
        yield Event(**{**values, "event_id": str(values["event_id"])})


def statements_export(filters: exports.ExportFilters, *, salt: bytes | None = None) -> exports.Export:
    """The events matching ``filters`` as statements, in the event export's order (``format=xapi``).

    Raises ``XapiNotConfigured`` when ``LEARNING_EVENTS_XAPI_HOME_PAGE`` is unset.
    """
    mapper = StatementMapper(salt=salt)
    queryset = exports.events_queryset(filters)

    def rows() -> Iterator[dict[str, Any]]:
        return map(mapper.statement, events(queryset))

    return exports.Export("statements", (), rows, queryset.count)
