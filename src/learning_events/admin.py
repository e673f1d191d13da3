"""Admin of the pipeline: raw events (read-only), the dead letters of rejected client events, the xAPI
forwarding (its cursors, with lag and failures, and the statements the LRS refused, with a retry action), and the
rollups and the memory model (read-only: recompute them with ``rollup_stats`` and ``rebuild_memory``).
Learner-word and learner-classroom-word rows have a composite primary key, which Django 5.2's admin cannot
register: each learner-day's page, and each learner-classroom-day's page, lists them instead."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from . import forwarding, services
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
    MemoryCalibration,
    MemoryDay,
    MemoryParameters,
    MemoryState,
    RejectedEvent,
    XapiCursor,
    XapiDeadLetter,
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


# --- xAPI forwarding (docs/xapi.md) ----------------------------------------------------------------


@admin.register(XapiCursor)
class XapiCursorAdmin(ReadOnlyAdmin):
    """How far forwarding got per LRS endpoint: events waiting and their age (the lag), failures, backoff."""

    list_display = ["endpoint", "position", "waiting", "lag", "delivered", "dead_lettered", "consecutive_failures",
                    "failures", "last_error", "last_success_at", "next_attempt_at"]
    ordering = ["endpoint"]

    @admin.display(description="events waiting")
    def waiting(self, obj: XapiCursor) -> int:
        return LearningEvent.objects.filter(id__gt=obj.position).count()

    @admin.display(description="lag")
    def lag(self, obj: XapiCursor) -> str:
        """How long the oldest event not yet handled has been waiting."""
        oldest = LearningEvent.objects.filter(id__gt=obj.position).order_by("id").values_list("created_at", flat=True)
        first = oldest.first()
        if first is None:
            return "none"
        seconds = int((timezone.now() - first).total_seconds())
        return f"{seconds // 3600} h {seconds // 60 % 60:02d} min {seconds % 60:02d} s"


class DeliveryStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("delivered", "Delivered on retry")]

    def queryset(self, request, queryset):
        if self.value() in ("pending", "delivered"):
            return queryset.filter(delivered_at__isnull=self.value() == "pending")
        return queryset


@admin.register(XapiDeadLetter)
class XapiDeadLetterAdmin(ReadOnlyAdmin):
    """Statements the LRS refused, with its answer; retry them once the event, the mapping or the LRS is fixed."""

    list_display = ["created_at", "event_id", "status_code", "response", "attempts", "last_attempt_at", "delivered_at",
                    "endpoint"]
    list_filter = [DeliveryStatusFilter, "status_code", "endpoint"]
    search_fields = ["=event_id"]
    actions = ["retry"]

    @admin.action(description="Retry the selected statements (rebuilt from their events)", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[XapiDeadLetter]) -> None:
        try:
            report = forwarding.retry_dead_letters(queryset)
        except forwarding.LrsUnavailable as exc:
            messages.error(request, f"Nothing retried: {exc}")
            return
        text = f"Delivered {report.delivered} statement(s); {report.refused} refused again."
        if report.gone:
            text += f" {report.gone} event(s) are no longer stored."
        if report.elsewhere:
            text += f" {report.elsewhere} belong to another endpoint than LEARNING_EVENTS_XAPI_ENDPOINT."
        messages.success(request, text)

    def has_retry_permission(self, request: HttpRequest) -> bool:
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


@admin.register(MemoryState)
class MemoryStateAdmin(ReadOnlyAdmin):
    list_display = ["user", "word_id", "stability", "difficulty", "last_review", "reviews", "lapses", "due",
                    "updated_at"]
    list_filter = [("due", admin.DateFieldListFilter)]
    search_fields = [_USERNAME]
    list_select_related = ["user"]
    show_full_result_count = False


@admin.register(MemoryParameters)
class MemoryParametersAdmin(ReadOnlyAdmin):
    list_display = ["user", "scale", "reviews", "fitted_at"]
    search_fields = [_USERNAME]
    list_select_related = ["user"]


@admin.register(MemoryCalibration)
class MemoryCalibrationAdmin(ReadOnlyAdmin):
    list_display = ["fitted_at", "slope", "intercept", "reviews"]


@admin.register(MemoryDay)
class MemoryDayAdmin(ReadOnlyAdmin):
    """Learner-days rolled up whose reviews the memory model has not taken in yet."""

    list_display = ["date", "user", "marked_at"]
    list_select_related = ["user"]
