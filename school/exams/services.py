"""Writes about exams: create one with its questions, and submit, grade and log a learner's answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from learning_events.conf import app_settings as pipeline_settings
from learning_events.services import log_exam_answers

from .models import Exam, Question, Submission, SubmittedAnswer

MAX_QUESTIONS = 200
"""The most questions an exam created through the API may have (and so answers a submission may carry)."""


def normalise_text(text: str) -> str:
    """A short-text answer as it is compared: trimmed, inner whitespace collapsed, case folded."""
    return " ".join(text.split()).casefold()


def is_correct(question: Question, answer: str) -> bool:
    """Grade one answer: the exact option for multiple choice, a normalised text match for short text."""
    if question.kind == Question.Kind.MULTIPLE_CHOICE:
        return answer == question.correct_answer
    return normalise_text(answer) == normalise_text(question.correct_answer)


@transaction.atomic
def create_exam(*, owner, title: str, language: str, questions: Sequence[Mapping[str, Any]]) -> Exam:
    """Create an exam owned by ``owner`` with ``questions`` in the given order (``position`` 0, 1, ...).

    Each question mapping has ``kind``, ``prompt``, ``correct_answer`` and, for multiple choice, ``choices``.
    Raises ``ValidationError`` when a question breaks ``Question.clean``.
    """
    exam = Exam.objects.create(owner=owner, title=title, language=language)
    rows = [
        Question(exam=exam, position=position, kind=q["kind"], prompt=q["prompt"],
                 choices=list(q.get("choices") or []), correct_answer=q["correct_answer"])
        for position, q in enumerate(questions)
    ]
    for row in rows:
        row.full_clean(exclude=["exam"])
    Question.objects.bulk_create(rows)
    return exam


def _answer_problems(questions: dict[int, Question], answers: Sequence[Mapping[str, Any]]) -> list[str]:
    """What is wrong with a submission's set of answers, as messages naming the question ids."""
    counts = Counter(a["question_id"] for a in answers)
    problems = []
    missing = sorted(set(questions) - set(counts))
    if missing:
        problems.append(f"Missing answers to questions: {_ids(missing)}.")
    repeated = sorted(qid for qid, n in counts.items() if n > 1)
    if repeated:
        problems.append(f"Questions answered more than once: {_ids(repeated)}.")
    foreign = sorted(set(counts) - set(questions))
    if foreign:
        problems.append(f"Questions not in this exam: {_ids(foreign)}.")
    for a in answers:
        question = questions.get(a["question_id"])
        if question and question.kind == Question.Kind.MULTIPLE_CHOICE and a["answer"] not in question.choices:
            problems.append(f"Question {question.pk}: {a['answer']!r} is not one of its choices.")
    return problems


def _ids(ids: Sequence[int]) -> str:
    return ", ".join(str(i) for i in ids)


def checked_start(started_at: datetime, submitted_at: datetime) -> datetime:
    """When a learner opened an exam submitted at ``submitted_at``, from the client's ``started_at``.

    Clocks differ: a start up to the pipeline's ``MAX_FUTURE_SKEW`` after the submission is taken as the
    submission's own instant (no time spent). Returns the start to store. Raises ``ValidationError`` (on
    ``started_at``) when it has no time zone, lies further in the future, or lies more than the pipeline's
    ``MAX_SESSION`` (the longest a timed activity counts) before the submission.
    """
    if timezone.is_naive(started_at):
        raise ValidationError({"started_at": "Must include a time zone offset (e.g. Z or +02:00)."})
    skew, longest = pipeline_settings.MAX_FUTURE_SKEW, pipeline_settings.MAX_SESSION
    if started_at > submitted_at + skew:
        raise ValidationError({"started_at": f"Must not be in the future: at most {int(skew.total_seconds())} "
                                             "seconds after the server's clock."})
    if started_at < submitted_at - longest:
        raise ValidationError({"started_at": f"Must be at most {int(longest.total_seconds())} seconds before "
                                             "the submission."})
    return min(started_at, submitted_at)


@transaction.atomic
def submit_exam(*, learner, exam: Exam, answers: Sequence[Mapping[str, Any]], classroom=None,
                started_at: datetime | None = None) -> Submission:
    """Grade ``answers`` (``question_id``, ``answer``) to every question of ``exam`` and store the submission.

    Each graded answer is logged as one ``exam_answer`` event, all in one insert and in this transaction:
    the submission and its events commit or roll back together. ``classroom`` must already be checked as
    one the learner belongs to. ``started_at`` (optional, when the learner opened the exam) is checked by
    ``checked_start`` and makes the submission timed: it stores ``started_at`` and ``duration_seconds``,
    and the first answer's event carries that duration (time on task). Raises ``ValidationError`` when the
    exam has no questions, when the answers miss, repeat or stray from its questions, or name an option a
    question does not offer, or on a bad ``started_at``.
    """
    questions = {q.pk: q for q in exam.questions.all()}
    if not questions:
        raise ValidationError({"non_field_errors": "This exam has no questions, so it cannot be submitted."})
    problems = _answer_problems(questions, answers)
    if problems:
        raise ValidationError({"answers": problems})
    submitted_at = timezone.now()
    duration_seconds = None
    if started_at is not None:
        started_at = checked_start(started_at, submitted_at)
        duration_seconds = (submitted_at - started_at).total_seconds()

    graded = sorted(
        ((questions[a["question_id"]], a["answer"], is_correct(questions[a["question_id"]], a["answer"]))
         for a in answers),
        key=lambda item: (item[0].position, item[0].pk),
    )
    correct_count = sum(correct for _, _, correct in graded)
    submission = Submission.objects.create(
        exam=exam, learner=learner, classroom=classroom, correct_count=correct_count,
        question_count=len(graded), score=correct_count / len(graded), submitted_at=submitted_at,
        started_at=started_at, duration_seconds=duration_seconds,
    )
    SubmittedAnswer.objects.bulk_create(
        SubmittedAnswer(submission=submission, question=question, answer=answer, correct=correct)
        for question, answer, correct in graded
    )
    log_exam_answers(
        learner, exam_id=exam.pk, submission_id=submission.pk, classroom=classroom,
        occurred_at=submission.submitted_at, duration_seconds=duration_seconds,
        answers=[{"question_id": q.pk, "correct": correct, "answer": answer} for q, answer, correct in graded],
    )
    return submission
