"""Fixtures of the accounts' tests: a clock moved by hand."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import axes.handlers.proxy
import pytest
from django.utils import timezone


@dataclass
class Clock:
    now: datetime

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The time as Django (token expiry, stored attempt times) and django-axes (a sign-in's time, from which its
    lockout window is reckoned) read it, standing still until ``clock.advance(minutes=...)`` moves it."""
    clock = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    monkeypatch.setattr(axes.handlers.proxy, "now", lambda: clock.now)  # imported by name there
    return clock
