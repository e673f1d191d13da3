"""Reads about exams: the catalogue, one exam with its questions, and the submissions a person may see."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from .models import Exam, Submission


def exams(*, language: str | None = None) -> QuerySet[Exam]:
    """Every exam (any signed-in person may take one), with its owner and question count."""
    # An aggregate query drops Meta.ordering, so order explicitly.
    qs = Exam.objects.select_related("owner").annotate(question_count=Count("questions")).order_by("title", "id")
    if language:
        qs = qs.filter(language=language)
    return qs


def exam_by_id(exam_id: int) -> Exam:
    """One exam; 404 when unknown."""
    return get_object_or_404(Exam, pk=exam_id)


def exam_with_questions(exam_id: int) -> Exam:
    """One exam with its questions in order; 404 when unknown."""
    # Question's default ordering puts them in position order.
    return get_object_or_404(exams().prefetch_related("questions"), pk=exam_id)


def manages_exam(user, exam: Exam) -> bool:
    """The exam's owner and staff see its correct answers and everyone's submissions."""
    return user.is_staff or (exam.owner_id is not None and exam.owner_id == user.pk)


def _submissions_with_answers() -> QuerySet[Submission]:
    # SubmittedAnswer's default ordering puts the answers in question order.
    return Submission.objects.select_related("learner").prefetch_related("answers")


def submissions_for(user, exam: Exam) -> QuerySet[Submission]:
    """Submissions of ``exam`` that ``user`` may see, newest first: all for its owner and staff, else their own."""
    qs = _submissions_with_answers().filter(exam=exam)
    return qs if manages_exam(user, exam) else qs.filter(learner=user)


def submission_with_answers(submission_id: int) -> Submission:
    """One submission with its graded answers, in question order."""
    return _submissions_with_answers().get(pk=submission_id)
