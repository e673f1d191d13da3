"""Fixtures of the pipeline's suite: users with time zones, rooms, and token clients."""

import pytest
from django.contrib.auth import get_user_model

from tests.clients import client_for
from tests.testapp.models import Clock, Room


@pytest.fixture(autouse=True)
def _celery_runs_eagerly():
    """Tasks run in-process here, even when CELERY_BROKER_URL is set (CI sets it for the worker tests)."""
    from celery import current_app

    before = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _reads_on_the_primary(request, settings):
    """Reads stay on the primary except in the replica tests (marked ``replica``): the other tests' rows are
    uncommitted or only just committed, not on a replica yet (learning_events.replica, docs/replica.md)."""
    if request.node.get_closest_marker("replica") is None:
        settings.LEARNING_EVENTS_REPLICA_DATABASE = None


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10**6))

    def make(time_zone: str = "UTC", **fields):
        user = get_user_model().objects.create_user(username=fields.pop("username", f"u{next(counter)}"), **fields)
        Clock.objects.create(user=user, time_zone=time_zone)
        return user

    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def room(user):
    room = Room.objects.create(name="Room 1")
    room.members.add(user)
    return room


@pytest.fixture
def api(user):
    return client_for(user)


@pytest.fixture
def xapi_settings(settings):
    """xAPI statements on, forwarding with Basic auth, a 1 s timeout and 30 s runs (tests/lrs.py's credentials)."""
    from tests.lrs import PASSWORD, USERNAME

    settings.LEARNING_EVENTS_XAPI_HOME_PAGE = "https://school.example"
    settings.LEARNING_EVENTS_XAPI_USERNAME = USERNAME
    settings.LEARNING_EVENTS_XAPI_PASSWORD = PASSWORD
    settings.LEARNING_EVENTS_XAPI_TIMEOUT = 1
    settings.LEARNING_EVENTS_XAPI_INTERVAL_SECONDS = 30
    return settings


@pytest.fixture
def lrs(xapi_settings):
    """A fake LRS (tests/lrs.py) that forwarding sends to."""
    from tests.lrs import FakeLrs

    fake = FakeLrs().start()
    xapi_settings.LEARNING_EVENTS_XAPI_ENDPOINT = fake.endpoint
    yield fake
    fake.stop()
