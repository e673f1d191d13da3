"""Admin of the pipeline: raw events (read-only), the dead letters of rejected client events, and the
rollups (read-only: recompute them with ``rollup_stats``). Learner-word and learner-classroom-word rows have a
composite primary key, which Django 5.2's admin cannot register: each learner-day's page, and each
learner-classroom-day's page, lists them instead."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from . import services
from .models import (
    ClassroomDailyStats,
    ClassroomWordDailyStats,
    DirtyDay,
    EventPurge,
    LearnerClassroomDailyStats,
    LearnerClassroomWordDailyStats,
    LearnerDailyStats,
    LearnerWordDailyStats,
    LearningEvent,
    RejectedEvent,
)

_USERNAME = f"user__{get_user_model().USERNAME_FIELD}"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the pipeline: viewable, never added, edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(LearningEvent)
class LearningEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "event_type", "user", "classroom", "context", "event_id", "created_at"]
    list_filter = ["event_type", ("occurred_at", admin.DateFieldListFilter), "classroom"]
    search_fields = [_USERNAME]
    list_select_related = ["user", "classroom"]
    ordering = ["-occurred_at", "-id"]  # newest first, along the occurred_at index
    show_full_result_count = False  # no second COUNT(*) over millions of rows per page


class ReplayStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("replayed", "Replayed")]

    def queryset(self, request, queryset):
        if self.value() in ("pending", "replayed"):
            return queryset.filter(replayed_at__isnull=self.value() == "pending")
        return queryset


@admin.register(RejectedEvent)
class RejectedEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "user", "reason", "batch_index", "errors", "replayed_at"]
    list_filter = [ReplayStatusFilter, "reason", ("received_at", admin.DateFieldListFilter)]
    search_fields = [_USERNAME]
    list_select_related = ["user"]
    actions = ["replay"]

    @admin.action(description="Replay the selected dead letters that now pass validation", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[RejectedEvent]) -> None:
        report = services.replay_rejected(queryset)
        messages.success(request, f"Replayed {report.replayed} dead letter(s); {report.pending} still pending.")

    def has_replay_permission(self, request: HttpRequest) -> bool:
        # Replaying writes events: the same right as changing dead letters would need.
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


# --- rollups: derived rows, recomputed from the events (``rollup_stats``), never edited by hand ---------

_FIGURES = ["words_practiced", "accuracy", "unique_words", "exam_answers", "exam_accuracy", "content_completed",
            "games_completed", "game_score", "sessions", "time_spent", "exam_seconds", "reading_seconds", "game_seconds"]


@admin.register(LearnerDailyStats)
class LearnerDailyStatsAdmin(ReadOnlyAdmin):
    list_display = ["date", "user", *_FIGURES, "updated_at"]
    list_filter = [("date", admin.DateFieldListFilter)]
    search_fields = [_USERNAME]
    list_select_related = ["user"]
    date_hierarchy = "date"
    ordering = ["-date", "user_id"]
    readonly_fields = ["words"]

    @admin.display(description="words of the day")
    def words(self, obj: LearnerDailyStats) -> str:
        """The learner's learner-word rows of the day, as a table."""
        rows = (LearnerWordDailyStats.objects.filter(user_id=obj.user_id, date=obj.date).order_by("word_id")
                .values_list("word_id", "attempts", "correct", "last_correct", "first_seen", "last_seen"))
        if not rows:
            return "none"
        header = format_html_join("", "<th>{}</th>", ((name,) for name in (
            "word id", "attempts", "correct", "last answer", "first seen", "last seen")))
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (word_id, attempts, correct, "correct" if last_correct else "incorrect", f"{localtime(first):%H:%M:%S}",
             f"{localtime(last):%H:%M:%S}") for word_id, attempts, correct, last_correct, first, last in rows))
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", header, body)


@admin.register(LearnerClassroomDailyStats)
class LearnerClassroomDailyStatsAdmin(ReadOnlyAdmin):
    list_display = ["date", "classroom", "user", *_FIGURES, "updated_at"]
    list_filter = [("date", admin.DateFieldListFilter), "classroom"]
    search_fields = [_USERNAME]
    list_select_related = ["user", "classroom"]
    date_hierarchy = "date"
    ordering = ["-date", "classroom_id", "user_id"]
    readonly_fields = ["words"]

    @admin.display(description="words of the day in this classroom")
    def words(self, obj: LearnerClassroomDailyStats) -> str:
        """The learner's learner-classroom-word rows of the day, as a table."""
        rows = (LearnerClassroomWordDailyStats.objects
                .filter(user_id=obj.user_id, date=obj.date, classroom_id=obj.classroom_id).order_by("word_id")
                .values_list("word_id", "attempts", "correct"))
        if not rows:
            return "none"
        header = format_html_join("", "<th>{}</th>", ((name,) for name in ("word id", "attempts", "correct")))
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", header, body)


@admin.register(ClassroomDailyStats)
class ClassroomDailyStatsAdmin(ReadOnlyAdmin):
    list_display = ["date", "classroom", "active_learners", *_FIGURES, "updated_at"]
    list_filter = [("date", admin.DateFieldListFilter), "classroom"]
    list_select_related = ["classroom"]
    date_hierarchy = "date"
    ordering = ["-date", "classroom_id"]


@admin.register(ClassroomWordDailyStats)
class ClassroomWordDailyStatsAdmin(ReadOnlyAdmin):
    list_display = ["date", "classroom", "word_id", "attempts", "correct", "learners"]
    list_filter = [("date", admin.DateFieldListFilter), "classroom"]
    search_fields = ["=word_id"]
    list_select_related = ["classroom"]
    ordering = ["-date", "classroom_id", "word_id"]


@admin.register(DirtyDay)
class DirtyDayAdmin(ReadOnlyAdmin):
    """Learner-days waiting for the periodic rollup (normally empty within a minute)."""

    list_display = ["date", "user", "marked_at"]
    list_filter = [("date", admin.DateFieldListFilter)]
    search_fields = [_USERNAME]
    list_select_related = ["user"]
    ordering = ["marked_at", "id"]


@admin.register(EventPurge)
class EventPurgeAdmin(ReadOnlyAdmin):
    """Runs of ``purge_events``; the latest ``before`` is the horizon below which rollups are frozen."""

    list_display = ["started_at", "before", "events_deleted", "dead_letters_deleted", "dirty_days_dropped",
                    "finished_at"]
    list_filter = [("before", admin.DateFieldListFilter)]
    ordering = ["-started_at", "-id"]
