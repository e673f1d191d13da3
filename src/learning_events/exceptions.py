"""The pipeline's own exceptions."""

from __future__ import annotations


class InvalidEvent(ValueError):
    """An event that breaks the catalogue: unknown type, bad context, bad time. ``errors`` says where."""

    def __init__(self, errors: dict[str, str], event_type: str | None = None):
        self.errors = errors
        self.event_type = event_type
        details = "; ".join(f"{key} {message}" for key, message in errors.items())
        super().__init__(f"invalid {event_type or 'learning'} event: {details}")
