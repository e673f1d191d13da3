"""Learners' local days: which calendar day an instant falls on for a learner, and a day's bounds."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from .conf import app_settings


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo called ``name``; an unknown name falls back to the site's time zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def time_zones_of(user_ids: Iterable[int]) -> dict[int, ZoneInfo]:
    """Each user's time zone, from the host's ``LEARNING_EVENTS_USER_TIME_ZONES`` (default: the site's)."""
    ids = set(user_ids)
    lookup = app_settings.user_time_zones
    names = lookup(ids) if (lookup and ids) else {}
    return {user_id: zone(names.get(user_id) or settings.TIME_ZONE) for user_id in ids}


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The aware instants where ``day`` starts and the next day starts, in ``tz`` (DST-correct)."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end
