"""Writes about people."""

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import LearnerProfile

User = get_user_model()


@transaction.atomic
def create_person(*, username: str, password: str, display_name: str = "", email: str = "",
                  role: str = LearnerProfile.Role.LEARNER, time_zone: str | None = None):
    """Create a user with a profile; ``role`` is ``learner`` or ``teacher``."""
    user = User.objects.create_user(username=username, password=password, email=email)
    profile = LearnerProfile(user=user, display_name=display_name or username, role=role)
    if time_zone:
        profile.time_zone = time_zone
    profile.full_clean()
    profile.save()
    return user


def ensure_profile(user) -> LearnerProfile:
    """The user's profile, created with defaults for users made outside ``create_person`` (e.g. createsuperuser)."""
    profile, _ = LearnerProfile.objects.get_or_create(user=user, defaults={"display_name": user.get_username()})
    return profile
