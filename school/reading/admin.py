"""Admin of stories and articles, and of learners' readings of them."""

from django.contrib import admin

from .models import Content, Reading


@admin.register(Content)
class ContentAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "language", "level", "created_at"]
    list_filter = ["kind", "language", "level"]
    search_fields = ["title"]


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ["learner", "content", "classroom", "viewed_at", "completed_at", "duration_seconds"]
    list_filter = ["content__kind", "classroom", "viewed_at", "completed_at"]
    search_fields = ["learner__username", "content__title"]
    list_select_related = ["learner", "content", "classroom"]
    raw_id_fields = ["learner", "content", "classroom"]
    date_hierarchy = "viewed_at"
    readonly_fields = ["viewed_at"]
