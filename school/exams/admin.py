"""Admin of exams and their questions, and of learners' graded submissions (read-only answers)."""

from django.contrib import admin
from django.db.models import Count

from .models import Exam, Question, Submission, SubmittedAnswer


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = ["position", "kind", "prompt", "choices", "correct_answer"]


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "owner", "question_count", "created_at"]
    list_filter = ["language", "created_at"]
    search_fields = ["title", "owner__username"]
    raw_id_fields = ["owner"]
    inlines = [QuestionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner").annotate(n_questions=Count("questions"))

    @admin.display(description="questions", ordering="n_questions")
    def question_count(self, obj):
        return obj.n_questions


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "exam", "position", "kind", "correct_answer"]
    list_filter = ["kind", "exam__language"]
    search_fields = ["prompt", "exam__title"]
    list_select_related = ["exam"]
    raw_id_fields = ["exam"]


class SubmittedAnswerInline(admin.TabularInline):
    model = SubmittedAnswer
    extra = 0
    can_delete = False
    fields = ["question", "answer", "correct"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["exam", "learner", "classroom", "score", "correct_count", "question_count", "duration_seconds",
                    "submitted_at"]
    list_filter = ["exam", "classroom", "submitted_at"]
    search_fields = ["learner__username", "exam__title"]
    list_select_related = ["exam", "learner", "classroom"]
    date_hierarchy = "submitted_at"
    readonly_fields = ["exam", "learner", "classroom", "started_at", "submitted_at", "duration_seconds",
                       "correct_count", "question_count", "score"]
    inlines = [SubmittedAnswerInline]

    def has_add_permission(self, request):
        # Submissions are graded and logged as events by the API; one typed in here would be neither.
        return False
