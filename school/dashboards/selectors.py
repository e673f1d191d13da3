"""Reads the dashboards need beyond ``learning_events.selectors``: who may see which learner, the
headline figures of many classrooms at once, a learner's streak and weakest words, and the school's
names for the pipeline's word ids. All from the rollups, never from raw events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, FloatField, QuerySet, Sum
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from django.utils import timezone
from learning_events.models import (
    ClassroomDailyStats,
    LearnerClassroomDailyStats,
    LearnerDailyStats,
    LearnerWordDailyStats,
)
from learning_events.timezones import zone

from school.classrooms.models import Classroom, Membership
from school.vocabulary.models import Word

User = get_user_model()


def today_for(user) -> date:
    """Today in ``user``'s own time zone (their profile's; the site's without one): the days of the
    rollups are learners' local days."""
    profile = getattr(user, "learner_profile", None)
    return timezone.localdate(timezone=zone(profile.time_zone)) if profile else timezone.localdate()


def taught_classrooms(user) -> QuerySet[Classroom]:
    """The classrooms ``user`` teaches (staff: all), each with ``learner_count``."""
    qs = Classroom.objects.all() if user.is_staff else Classroom.objects.filter(teacher=user)
    return qs.select_related("teacher").annotate(learner_count=Count("memberships")).order_by("name", "id")


def classroom_headlines(classroom_ids: Iterable[int], start: date, end: date) -> dict[int, dict[str, Any]]:
    """``{classroom_id: {active_learners, words_practiced, accuracy, time_spent}}`` over ``[start, end]``
    for many classrooms in two queries (``learning_events.selectors.classroom_daily_stats`` reads one
    classroom at a time). Classrooms without activity come back with zeros and ``accuracy`` None."""
    ids = list(classroom_ids)
    sums = {
        row["classroom_id"]: row for row in ClassroomDailyStats.objects
        .filter(classroom_id__in=ids, date__range=(start, end)).values("classroom_id")
        .annotate(words=Sum("words_practiced"), correct=Sum("words_correct"), seconds=Sum("time_spent"))
    }
    active = dict(
        LearnerClassroomDailyStats.objects.filter(classroom_id__in=ids, date__range=(start, end))
        .values("classroom_id").annotate(n=Count("user_id", distinct=True)).values_list("classroom_id", "n")
    )
    headlines = {}
    for classroom_id in ids:
        row = sums.get(classroom_id, {"words": 0, "correct": 0, "seconds": 0})
        headlines[classroom_id] = {
            "active_learners": active.get(classroom_id, 0),
            "words_practiced": row["words"],
            "accuracy": row["correct"] / row["words"] if row["words"] else None,
            "time_spent": row["seconds"],
        }
    return headlines


def learner_for_viewer(viewer, learner_id: int):
    """The person whose progress ``viewer`` may see: themself, a learner of a classroom they teach, anyone
    for staff. Raises Http404 for an unknown id, PermissionDenied otherwise."""
    learner = get_object_or_404(User.objects.select_related("learner_profile"), pk=learner_id)
    if viewer.is_staff or viewer.pk == learner.pk:
        return learner
    if Membership.objects.filter(student=learner, classroom__teacher=viewer).exists():
        return learner
    raise PermissionDenied("You can see your own progress and that of the learners in the classrooms you teach.")


def classrooms_of_learner(learner, viewer) -> list[dict[str, Any]]:
    """The classrooms ``learner`` belongs to, each ``{"classroom", "can_open"}``: whether ``viewer`` may
    open its dashboard (its teacher, staff)."""
    memberships = Membership.objects.filter(student=learner).select_related("classroom").order_by(
        "classroom__name", "classroom_id")
    return [{"classroom": m.classroom, "can_open": viewer.is_staff or m.classroom.teacher_id == viewer.pk}
            for m in memberships]


def current_streak(user_id: int, today: date) -> int:
    """How many days in a row, up to ``today``, the learner was active (had a daily rollup). A streak that
    ended yesterday still counts: today is not over yet."""
    days = (LearnerDailyStats.objects.filter(user_id=user_id, date__lte=today)
            .order_by("-date").values_list("date", flat=True))
    streak, expected = 0, None
    for day in days.iterator(chunk_size=64):
        if expected is None:
            if day < today - timedelta(days=1):
                return 0
            expected = day
        if day != expected:
            break
        streak += 1
        expected = day - timedelta(days=1)
    return streak


def weakest_words(user_id: int, start: date, end: date, *, min_attempts: int = 3,
                  limit: int = 10) -> list[dict[str, Any]]:
    """The learner's words with the lowest accuracy over ``[start, end]`` among those attempted at least
    ``min_attempts`` times and missed at least once: ``word_id``, ``attempts``, ``correct``, ``accuracy`` and ``last_correct`` (the
    result of the latest attempt in the range). Ties: more attempts first, then the lower word id."""
    rows = LearnerWordDailyStats.objects.filter(user_id=user_id, date__range=(start, end))
    ranked = list(
        rows.values("word_id")
        .annotate(total_attempts=Sum("attempts"), total_correct=Sum("correct"))
        .filter(total_attempts__gte=min_attempts, total_correct__lt=F("total_attempts"))
        .annotate(ratio=Cast("total_correct", FloatField()) / Cast("total_attempts", FloatField()))
        .order_by("ratio", "-total_attempts", "word_id")[:limit]
    )
    latest: dict[int, tuple] = {}
    for word_id, seen, correct in rows.filter(word_id__in=[r["word_id"] for r in ranked]).values_list(
            "word_id", "last_seen", "last_correct"):
        if word_id not in latest or seen > latest[word_id][0]:
            latest[word_id] = (seen, correct)
    return [{"word_id": r["word_id"], "attempts": r["total_attempts"], "correct": r["total_correct"],
             "accuracy": r["total_correct"] / r["total_attempts"], "last_correct": latest[r["word_id"]][1]}
            for r in ranked]


def with_words(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (each with a ``word_id``) with ``word``: the school's Word, or None for a deleted word."""
    words = Word.objects.in_bulk([row["word_id"] for row in rows])
    return [{**row, "word": words.get(row["word_id"])} for row in rows]
