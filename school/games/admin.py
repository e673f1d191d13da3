"""Admin of games and their completed plays."""

from django.contrib import admin
from django.db.models import Count

from .models import Game, GamePlay


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "word_list", "play_count", "created_at"]
    list_filter = ["kind", "word_list__language", "created_at"]
    search_fields = ["title", "word_list__name"]
    raw_id_fields = ["word_list"]
    list_select_related = ["word_list"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(play_count=Count("plays"))

    @admin.display(description="plays", ordering="play_count")
    def play_count(self, obj):
        return obj.play_count


@admin.register(GamePlay)
class GamePlayAdmin(admin.ModelAdmin):
    list_display = ["game", "learner", "classroom", "score", "duration_seconds", "completed_at"]
    list_filter = ["game__kind", "classroom", "completed_at"]
    search_fields = ["game__title", "learner__username"]
    raw_id_fields = ["game", "learner", "classroom"]
    list_select_related = ["game", "learner", "classroom"]
    date_hierarchy = "completed_at"
    readonly_fields = ["completed_at"]
