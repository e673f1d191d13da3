"""Writes about classrooms: create, join by code, leave, assign work."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import Assignment, Classroom, Membership, new_join_code


def create_classroom(*, teacher, name: str, language: str = "") -> Classroom:
    for _ in range(5):  # a fresh join code collides with a vanishingly small chance; retry then
        try:
            with transaction.atomic():
                return Classroom.objects.create(teacher=teacher, name=name, language=language,
                                                join_code=new_join_code())
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free join code")


def join_classroom(*, student, join_code: str) -> Membership:
    """Join the classroom with ``join_code`` (case-insensitive); joining twice keeps the first membership."""
    try:
        classroom = Classroom.objects.get(join_code=join_code.strip().upper())
    except Classroom.DoesNotExist:
        raise ValidationError({"join_code": "No classroom has this join code."}) from None
    if classroom.teacher_id == student.pk:
        raise ValidationError({"join_code": "You teach this classroom; teachers do not join their own classrooms."})
    membership, _ = Membership.objects.get_or_create(classroom=classroom, student=student)
    return membership


def create_assignment(*, classroom: Classroom, title: str, due_date=None, **target) -> Assignment:
    """Assign one of ``word_list``, ``exam``, ``content`` or ``game`` in ``classroom``."""
    assignment = Assignment(classroom=classroom, title=title, due_date=due_date, **target)
    assignment.full_clean()
    assignment.save()
    return assignment
