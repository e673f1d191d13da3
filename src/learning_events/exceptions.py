"""The pipeline's own exceptions."""

from __future__ import annotations


class InvalidEvent(ValueError):
    """An event that breaks the catalogue: unknown type, bad context, bad time. ``errors`` says where."""

    def __init__(self, errors: dict[str, str], event_type: str | None = None):
        self.errors = errors
        self.event_type = event_type
        details = "; ".join(f"{key} {message}" for key, message in errors.items())
        super().__init__(f"invalid {event_type or 'learning'} event: {details}")


class MalformedBatch(ValueError):
    """A client batch that cannot be read at all: not UTF-8, not JSON, or without an ``events`` list.

    ``detail`` is a sentence for the whole body, or ``errors`` maps a top-level field to its problem.
    """

    def __init__(self, detail: str | None = None, errors: dict[str, str] | None = None):
        self.detail = detail
        self.errors = errors or {}
        super().__init__(detail or "; ".join(f"{key} {message}" for key, message in self.errors.items()))


class BatchTooLarge(ValueError):
    """A client batch over the limits (``LEARNING_EVENTS_BATCH_MAX_BYTES`` / ``_BATCH_MAX_EVENTS``)."""
