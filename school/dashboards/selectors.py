"""Reads the dashboards need beyond ``learning_events.selectors`` and ``school.classrooms`` (its selectors and
``progress``): a person's local day and the pages' clock, the headline figures of many classrooms at once, a
learner's classrooms and the assignments a viewer may see of them. Figures come from the rollups, never from
raw events (words are named by ``learning_events.selectors.with_word_names``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from learning_events.models import ClassroomDailyStats, LearnerClassroomDailyStats
from learning_events.timezones import zone

from school.classrooms.models import Assignment, Classroom, Membership
from school.classrooms.progress import learner_assignments


def now() -> datetime:
    """The instant the pages are computed at (what is overdue is decided against it)."""
    return timezone.now()


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


def classrooms_of_learner(learner, viewer) -> list[dict[str, Any]]:
    """The classrooms ``learner`` belongs to, each ``{"classroom", "can_open"}``: whether ``viewer`` may
    open its dashboard (its teacher, staff)."""
    memberships = Membership.objects.filter(student=learner).select_related("classroom").order_by(
        "classroom__name", "classroom_id")
    return [{"classroom": m.classroom, "can_open": viewer.is_staff or m.classroom.teacher_id == viewer.pk}
            for m in memberships]


def assignments_for_viewer(learner, viewer) -> QuerySet[Assignment]:
    """The assignments of ``learner``'s classrooms that ``viewer`` may see on the learner's page: all of them
    for the learner and staff, a teacher's own classrooms' otherwise."""
    assignments = learner_assignments(learner)
    if viewer.is_staff or viewer.pk == learner.pk:
        return assignments
    return assignments.filter(classroom__teacher=viewer)
