from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.template.defaultfilters import pluralize

from . import services
from .models import LearnerProfile

User = get_user_model()


@admin.register(LearnerProfile)
class LearnerProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "role", "time_zone"]
    list_filter = ["role", "time_zone"]
    search_fields = ["display_name", "user__username", "user__email"]
    raw_id_fields = ["user"]


admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    """Django's user admin, with the accounts' two security actions (docs/security.md, "Accounts and tokens").
    Failed sign-ins and lockouts themselves are listed under "Axes: Access attempts", the tokens (digests only)
    under "Knox: Auth tokens"."""

    actions = ["unlock_sign_in", "revoke_api_tokens"]

    @admin.action(description="Unlock sign-in (forget the failed sign-ins)")
    def unlock_sign_in(self, request, queryset):
        forgotten = sum(services.unlock_sign_in(user=user) for user in queryset)
        self.message_user(request, f"Sign-in unlocked: {counted(len(queryset), 'account')}, "
                                   f"{counted(forgotten, 'failure record')} forgotten.")

    @admin.action(description="Revoke all API tokens (sign out of the API everywhere)")
    def revoke_api_tokens(self, request, queryset):
        revoked = sum(services.revoke_all_tokens(user=user) for user in queryset)
        self.message_user(request, f"Signed out of the API: {counted(len(queryset), 'account')}, "
                                   f"{counted(revoked, 'token')} revoked.")


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}{pluralize(number)}"
