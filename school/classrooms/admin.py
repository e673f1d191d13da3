from django.contrib import admin

from .models import Assignment, Classroom, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["student"]
    readonly_fields = ["joined_at"]


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ["name", "teacher", "language", "join_code", "student_count", "created_at"]
    list_filter = ["language", "created_at"]
    search_fields = ["name", "join_code", "teacher__username"]
    raw_id_fields = ["teacher"]
    inlines = [MembershipInline]

    @admin.display(description="students")
    def student_count(self, obj):
        return obj.memberships.count()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["student", "classroom", "joined_at"]
    list_filter = ["classroom", "joined_at"]
    search_fields = ["student__username", "classroom__name"]
    raw_id_fields = ["student", "classroom"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "classroom", "kind", "due_date"]
    list_filter = ["classroom", "due_date"]
    search_fields = ["title", "classroom__name"]
    raw_id_fields = ["classroom", "word_list", "exam", "content", "game"]
