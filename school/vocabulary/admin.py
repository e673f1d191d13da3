"""Admin of vocabulary: words, word lists, and practice sessions with their (read-only) answers."""

from django.contrib import admin
from django.db.models import Count

from .models import PracticeAnswer, PracticeSession, ReviewWord, Word, WordList


@admin.register(Word)
class WordAdmin(admin.ModelAdmin):
    list_display = ["text", "translation", "language"]
    list_filter = ["language"]
    search_fields = ["text", "translation"]


@admin.register(WordList)
class WordListAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "owner", "word_count", "created_at"]
    list_filter = ["language"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["words"]
    list_select_related = ["owner"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(word_count=Count("words"))

    @admin.display(description="words", ordering="word_count")
    def word_count(self, obj):
        return obj.word_count


class ReadOnlyInline(admin.TabularInline):
    """Rows shown with their parent, never added, edited or deleted here."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PracticeAnswerInline(ReadOnlyInline):
    """Graded answers are history, each with its learning event: shown, never edited here."""

    model = PracticeAnswer
    fields = readonly_fields = ["word", "answer", "correct", "response_ms", "answered_at"]


class ReviewWordInline(ReadOnlyInline):
    """The words a review session picked, in order: set when it started, never edited here."""

    model = ReviewWord
    fields = readonly_fields = ["position", "word"]


@admin.register(PracticeSession)
class PracticeSessionAdmin(admin.ModelAdmin):
    list_display = ["uuid", "learner", "mode", "word_list", "classroom", "started_at", "ended_at"]
    list_filter = ["mode", "classroom", ("ended_at", admin.EmptyFieldListFilter), "started_at"]
    search_fields = ["uuid", "learner__username", "word_list__name"]
    list_select_related = ["learner", "word_list", "classroom"]
    raw_id_fields = ["learner", "word_list", "classroom"]
    readonly_fields = ["uuid", "started_at"]
    date_hierarchy = "started_at"
    inlines = [ReviewWordInline, PracticeAnswerInline]


@admin.register(PracticeAnswer)
class PracticeAnswerAdmin(admin.ModelAdmin):
    list_display = ["session", "word", "answer", "correct", "response_ms", "answered_at"]
    list_filter = ["correct", "answered_at"]
    search_fields = ["session__uuid", "session__learner__username", "word__text", "answer"]
    list_select_related = ["session__learner", "session__word_list", "word"]
    readonly_fields = ["session", "word", "answer", "correct", "response_ms", "answered_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
