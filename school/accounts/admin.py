from django.contrib import admin

from .models import LearnerProfile


@admin.register(LearnerProfile)
class LearnerProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "role", "time_zone"]
    list_filter = ["role", "time_zone"]
    search_fields = ["display_name", "user__username", "user__email"]
    raw_id_fields = ["user"]
