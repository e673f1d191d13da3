"""Reads about classrooms: who belongs where, and which classrooms a person may see.

Access checks raise Django's ``Http404`` and ``PermissionDenied`` with a message, so that the same check
serves the API (DRF answers them as JSON 404/403 and keeps the message) and the dashboards' pages (Django's
404/403 pages).
"""

from collections import Counter
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Assignment, Classroom, Membership


def member_classroom_ids(user) -> set[int]:
    """Ids of the classrooms ``user`` belongs to as a learner (the pipeline's LEARNING_EVENTS_USER_CLASSROOM_IDS)."""
    return set(Membership.objects.filter(student=user).values_list("classroom_id", flat=True))


def visible_classrooms(user) -> QuerySet[Classroom]:
    """Classrooms ``user`` teaches or belongs to (staff: all)."""
    qs = Classroom.objects.select_related("teacher")
    if user.is_staff:
        return qs
    return qs.filter(Q(teacher=user) | Q(memberships__student=user)).distinct()


def classroom_for_member(user, classroom_id) -> Classroom:
    """The classroom ``user`` may act in as a learner: 404 when unknown, 403 when not a member."""
    classroom = get_object_or_404(Classroom, pk=classroom_id)
    if not Membership.objects.filter(classroom=classroom, student=user).exists():
        raise PermissionDenied("You are not a member of this classroom.")
    return classroom


def classroom_for_teacher(user, classroom_id) -> Classroom:
    """The classroom ``user`` may manage: 404 when unknown, 403 unless its teacher (or staff)."""
    classroom = get_object_or_404(Classroom.objects.select_related("teacher"), pk=classroom_id)
    if not (user.is_staff or classroom.teacher_id == user.pk):
        raise PermissionDenied("Only this classroom's teacher can do this.")
    return classroom


def classroom_for_viewer(user, classroom_id) -> Classroom:
    """The classroom ``user`` may see: its teacher, its learners, staff. 404 unknown, 403 otherwise."""
    classroom = get_object_or_404(Classroom.objects.select_related("teacher"), pk=classroom_id)
    if user.is_staff or classroom.teacher_id == user.pk:
        return classroom
    if not Membership.objects.filter(classroom=classroom, student=user).exists():
        raise PermissionDenied("You are not a member of this classroom.")
    return classroom


def optional_member_classroom(user, classroom_id) -> Classroom | None:
    """For actions that may happen inside a classroom: None, or the classroom the learner belongs to."""
    if classroom_id is None:
        return None
    return classroom_for_member(user, classroom_id)


def member_names(classroom_id: int) -> dict[int, str]:
    """``{user_id: name}`` of the classroom's learners by name, ignoring case (the pipeline's
    LEARNING_EVENTS_CLASSROOM_MEMBERS), each named as ``distinct_names`` says."""
    rows = Membership.objects.filter(classroom_id=classroom_id).select_related("student__learner_profile")
    return distinct_names((m.student_id, display_name(m.student), m.student.get_username()) for m in rows)


def distinct_names(people: Iterable[tuple[int, str, str]]) -> dict[int, str]:
    """``{user_id: name}`` of (user id, display name, username) triples, in name order (ignoring case and
    spacing, then username, then id). A display name two of them share carries each one's username, "Ana
    Ortiz (ana.o)", so that a teacher can tell them apart in every table, list and summary."""
    people = sorted(people, key=lambda person: (name_key(person[1]), person[2], person[0]))
    uses = Counter(name_key(name) for _, name, _ in people)
    return {user_id: f"{name} ({username})" if uses[name_key(name)] > 1 and name != username else name
            for user_id, name, username in people}


def name_key(name: str) -> str:
    """What makes two names look the same to a reader: case and spacing aside."""
    return " ".join(name.split()).casefold()


def display_name(user) -> str:
    """The name ``user`` chose for their profile, or their username."""
    profile = getattr(user, "learner_profile", None)
    return profile.display_name if profile and profile.display_name else user.get_username()


def memberships_of(classroom: Classroom) -> QuerySet[Membership]:
    return classroom.memberships.select_related("student", "student__learner_profile")


def assignments_of(classroom: Classroom) -> QuerySet[Assignment]:
    return classroom.assignments.select_related("word_list", "exam", "content", "game")


def learner_for_viewer(user, learner_id: int):
    """The learner whose statistics ``user`` may read: the learner themself, a teacher of a classroom the learner
    belongs to, or staff. 404 when unknown, 403 otherwise."""
    learner = get_object_or_404(get_user_model().objects.select_related("learner_profile"), pk=learner_id)
    if not (user.is_staff or user.pk == learner.pk
            or Membership.objects.filter(student=learner, classroom__teacher=user).exists()):
        raise PermissionDenied("Only the learner, their teachers and staff can read their statistics.")
    return learner


def learner_name_for_viewer(user, learner_id: int) -> str:
    """``learner_for_viewer``'s display name (the pipeline's LEARNING_EVENTS_LEARNER_ACCESS)."""
    return display_name(learner_for_viewer(user, learner_id))
