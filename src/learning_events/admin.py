"""Admin of the pipeline: raw events (read-only) and the dead letters of rejected client events."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import LearningEvent, RejectedEvent

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
