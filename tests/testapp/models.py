"""A stand-in host for the pipeline's tests: rooms with members, and users' time zones."""

from django.conf import settings
from django.db import models


class Room(models.Model):
    name = models.CharField(max_length=50)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="rooms", blank=True)


class Clock(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clock")
    time_zone = models.CharField(max_length=64)


def room_ids_of(user) -> set[int]:
    return set(user.rooms.values_list("id", flat=True))


def time_zones_of(user_ids) -> dict[int, str]:
    return dict(Clock.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "time_zone"))
