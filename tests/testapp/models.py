"""A stand-in host for the pipeline's tests: rooms with members, and users' time zones."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404


class Room(models.Model):
    name = models.CharField(max_length=50)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="rooms", blank=True)
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="rooms_taught")


class Clock(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clock")
    time_zone = models.CharField(max_length=64)


def room_ids_of(user) -> set[int]:
    return set(user.rooms.values_list("id", flat=True))


def time_zones_of(user_ids) -> dict[int, str]:
    return dict(Clock.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "time_zone"))


def room_for_teacher(user, room_id) -> Room:
    """The room whose statistics ``user`` may read: its teacher or staff (404 unknown, 403 otherwise)."""
    room = get_object_or_404(Room, pk=room_id)
    if not (user.is_staff or room.teacher_id == user.pk):
        raise PermissionDenied("Only this room's teacher can read its statistics.")
    return room


def room_member_names(room_id) -> dict[int, str]:
    return dict(Room.members.through.objects.filter(room_id=room_id).order_by("user__username")
                .values_list("user_id", "user__username"))


def learner_name_for(user, learner_id) -> str:
    """The username of the learner whose statistics ``user`` may read: the learner, a teacher of a room they
    are in, or staff (404 unknown, 403 otherwise)."""
    learner = get_object_or_404(get_user_model(), pk=learner_id)
    if not (user.is_staff or user.pk == learner.pk or Room.objects.filter(teacher=user, members=learner).exists()):
        raise PermissionDenied("Only the learner, their rooms' teachers and staff can read their statistics.")
    return learner.get_username()
