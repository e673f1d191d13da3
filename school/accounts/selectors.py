"""Reads about people."""

from collections.abc import Iterable

from .models import LearnerProfile


def time_zones_of_users(user_ids: Iterable[int]) -> dict[int, str]:
    """``{user_id: IANA time zone}`` for users with a profile (the pipeline's LEARNING_EVENTS_USER_TIME_ZONES)."""
    return dict(LearnerProfile.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "time_zone"))
