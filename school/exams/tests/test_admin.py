import pytest
from django.urls import reverse

from school import factories
from school.exams import services

pytestmark = pytest.mark.django_db


def test_admin_pages_of_exams_questions_and_submissions_render(admin_client, exam, questions, learner, classroom):
    submission = services.submit_exam(learner=learner, exam=exam, classroom=classroom, answers=[
        {"question_id": questions[0].pk, "answer": "gato"}, {"question_id": questions[1].pk, "answer": "a cat"}])
    for name, obj in (("exam", exam), ("question", questions[0]), ("submission", submission)):
        assert admin_client.get(reverse(f"admin:exams_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:exams_{name}_change", args=[obj.pk])).status_code == 200
    page = admin_client.get(reverse("admin:exams_submission_changelist"),
                            {"exam__id__exact": exam.pk, "classroom__id__exact": classroom.pk})
    assert list(page.context["cl"].result_list) == [submission]
    assert admin_client.get(reverse("admin:exams_submission_add")).status_code == 403


def test_admin_refuses_a_multiple_choice_question_whose_answer_is_not_a_choice(admin_client):
    exam = factories.ExamFactory()
    response = admin_client.post(reverse("admin:exams_question_add"), {
        "exam": exam.pk, "position": 0, "kind": "multiple_choice", "prompt": "Cat?",
        "choices": '["perro", "gato"]', "correct_answer": "casa"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "correct_answer": ["The correct answer must be one of the choices."]}
    assert not exam.questions.exists()
