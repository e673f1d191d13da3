"""The event catalogue: every event type and the schema of its context, declared once.

The same declarations drive validation (fast, hand-written: it runs once per ingested event) and the
JSON Schema published at ``/api/v1/events/schema/``. Keys beyond the declared ones are allowed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class ValueKind:
    """One kind of context value: how to check it, and how JSON Schema describes it."""

    name: str
    check: Callable[[Any], bool]
    json_schema: dict[str, Any]
    message: str


def _is_int(value: Any) -> bool:
    return type(value) is int and -(2**63) <= value < 2**63


def _is_number(value: Any) -> bool:
    return (type(value) is int and -(2**63) <= value < 2**63) or (
        type(value) is float and value == value and value not in (float("inf"), float("-inf"))
    )


def _is_uuid_string(value: Any) -> bool:
    if type(value) is not str or len(value) not in (32, 36):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_int_list(value: Any) -> bool:
    return type(value) is list and all(_is_int(item) for item in value)


INTEGER = ValueKind("integer", _is_int, {"type": "integer"}, "must be an integer")
NON_NEGATIVE_NUMBER = ValueKind(
    "number",
    lambda v: _is_number(v) and v >= 0,
    {"type": "number", "minimum": 0},
    "must be a number, zero or more",
)
NUMBER = ValueKind("number", _is_number, {"type": "number"}, "must be a number")
BOOLEAN = ValueKind("boolean", lambda v: type(v) is bool, {"type": "boolean"}, "must be true or false")
STRING = ValueKind("string", lambda v: type(v) is str, {"type": "string"}, "must be a string")
UUID_STRING = ValueKind("uuid", _is_uuid_string, {"type": "string", "format": "uuid"}, "must be a UUID string")
CONTENT_TYPE = ValueKind(
    "content_type",
    lambda v: isinstance(v, str) and v in ("story", "article"),
    {"type": "string", "enum": ["story", "article"]},
    'must be "story" or "article"',
)
INTEGER_LIST = ValueKind(
    "integer list", _is_int_list, {"type": "array", "items": {"type": "integer"}}, "must be a list of integers"
)


@dataclass(frozen=True)
class EventType:
    """An event type: its stored value, label, context schema and whether clients may send it."""

    value: str
    label: str
    required: dict[str, ValueKind]
    optional: dict[str, ValueKind] = field(default_factory=dict)
    client_may_send: bool = False
    description: str = ""

    def validate_context(self, context: Any) -> dict[str, str]:
        """Return ``{key: message}`` for every problem of ``context``; empty when it is valid."""
        if type(context) is not dict:
            return {"context": "must be a JSON object"}
        errors: dict[str, str] = {}
        for key, kind in self.required.items():
            if key not in context:
                errors[key] = "is required"
            elif not kind.check(context[key]):
                errors[key] = kind.message
        for key, kind in self.optional.items():
            if key in context and context[key] is not None and not kind.check(context[key]):
                errors[key] = kind.message
        return errors

    def json_schema(self) -> dict[str, Any]:
        properties = {key: kind.json_schema for key, kind in self.required.items()}
        properties.update({key: {"anyOf": [kind.json_schema, {"type": "null"}]} for key, kind in self.optional.items()})
        return {
            "title": self.value,
            "description": self.description,
            "type": "object",
            "properties": properties,
            "required": list(self.required),
            "additionalProperties": True,
        }


PRACTICE_START = "practice_start"
PRACTICE_END = "practice_end"
WORD_CORRECT = "word_correct"
WORD_INCORRECT = "word_incorrect"
EXAM_ANSWER = "exam_answer"
CONTENT_VIEW = "content_view"
CONTENT_COMPLETE = "content_complete"
GAME_COMPLETE = "game_complete"

_practice = {"session_id": UUID_STRING}
_content = {"content_id": INTEGER, "content_type": CONTENT_TYPE}

CATALOGUE: dict[str, EventType] = {
    t.value: t
    for t in (
        EventType(PRACTICE_START, "Practice Started", _practice, {"word_list_id": INTEGER}, True,
                  "A learner started a flashcard practice session."),
        EventType(PRACTICE_END, "Practice Ended", _practice, {"word_list_id": INTEGER}, True,
                  "A learner ended a flashcard practice session."),
        EventType(WORD_CORRECT, "Word Correct", {"word_id": INTEGER},
                  {"session_id": UUID_STRING, "response_ms": INTEGER, "answer": STRING}, False,
                  "The server graded a flashcard answer as correct."),
        EventType(WORD_INCORRECT, "Word Incorrect", {"word_id": INTEGER},
                  {"session_id": UUID_STRING, "response_ms": INTEGER, "answer": STRING}, False,
                  "The server graded a flashcard answer as incorrect."),
        EventType(EXAM_ANSWER, "Exam Answer",
                  {"exam_id": INTEGER, "question_id": INTEGER, "submission_id": INTEGER, "correct": BOOLEAN},
                  {"answer": STRING, "duration_seconds": NON_NEGATIVE_NUMBER}, False,
                  "The server graded one answer of an exam submission. The first answer of a timed submission "
                  "carries the seconds the learner spent on the whole exam (duration_seconds)."),
        EventType(CONTENT_VIEW, "Content Viewed", _content, {"duration_seconds": NON_NEGATIVE_NUMBER}, True,
                  "A learner opened a story or an article."),
        EventType(CONTENT_COMPLETE, "Content Completed", _content, {"duration_seconds": NON_NEGATIVE_NUMBER}, True,
                  "A learner finished a story or an article."),
        EventType(GAME_COMPLETE, "Game Completed",
                  {"game_id": INTEGER, "score": NUMBER, "duration_seconds": NON_NEGATIVE_NUMBER},
                  {"word_ids": INTEGER_LIST}, True, "A learner finished a game."),
    )
}

CHOICES: list[tuple[str, str]] = [(t.value, t.label) for t in CATALOGUE.values()]
WORD_TYPES = (WORD_CORRECT, WORD_INCORRECT)
CLIENT_TYPES = tuple(t.value for t in CATALOGUE.values() if t.client_may_send)


def catalogue_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of every event type's context, keyed by event type."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Learning event contexts",
        "types": {
            value: {**t.json_schema(), "x-client-may-send": t.client_may_send} for value, t in CATALOGUE.items()
        },
    }
