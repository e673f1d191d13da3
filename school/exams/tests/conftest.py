"""Fixtures of the exams tests: an exam with one multiple-choice and one short-text question."""

import pytest

from school import factories
from school.exams.models import Question


@pytest.fixture
def exam(teacher):
    exam = factories.ExamFactory(owner=teacher, title="Animals", language="es")
    factories.QuestionFactory(exam=exam, position=0, kind=Question.Kind.MULTIPLE_CHOICE, prompt="Cat?",
                              choices=["perro", "gato", "casa"], correct_answer="gato")
    factories.QuestionFactory(exam=exam, position=1, kind=Question.Kind.SHORT_TEXT, prompt="Translate 'el gato'",
                              choices=[], correct_answer="The cat")
    return exam


@pytest.fixture
def questions(exam):
    """The exam's questions, in order: multiple choice, then short text."""
    return list(exam.questions.order_by("position"))
