"""Reads about reading: the catalogue of stories and articles, one piece, and a learner's reading of it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Content, Reading


def contents(*, kind: str | None = None, language: str | None = None, level: str | None = None) -> QuerySet[Content]:
    """Stories and articles without their bodies, filtered by any given ``kind``, ``language``, ``level``."""
    filters = {name: value for name, value in {"kind": kind, "language": language, "level": level}.items() if value}
    return Content.objects.filter(**filters).defer("body")


def content_by_id(content_id: int) -> Content:
    """One story or article; 404 when unknown."""
    return get_object_or_404(Content, pk=content_id)


def reading_of(learner, content: Content, reading_id: int) -> Reading:
    """The learner's own reading ``reading_id`` of ``content``; 404 when there is none (also someone else's)."""
    return get_object_or_404(Reading, pk=reading_id, learner=learner, content=content)
