"""People of the platform: Django's users, each with a profile saying who they are to the school."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone such as 'Europe/Madrid'.")


def default_time_zone() -> str:
    return settings.TIME_ZONE


class LearnerProfile(models.Model):
    class Role(models.TextChoices):
        LEARNER = "learner", "Learner"
        TEACHER = "teacher", "Teacher"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner_profile")
    display_name = models.CharField(max_length=150)
    time_zone = models.CharField(max_length=64, default=default_time_zone, validators=[validate_time_zone])
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.LEARNER)

    def __str__(self) -> str:
        return f"{self.display_name} ({self.role})"
