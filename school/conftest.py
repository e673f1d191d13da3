"""Fixtures shared by the platform's tests: people, a classroom, and API clients signed in as them."""

import pytest
from rest_framework.test import APIClient

from school import factories
from school.accounts.services import issue_token


@pytest.fixture(autouse=True)
def _celery_runs_eagerly(request):
    """Tasks run in-process, even when CELERY_BROKER_URL is set, except in the real-worker tests."""
    from school.config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = request.node.get_closest_marker("celery_worker") is None
    yield
    app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _reads_on_the_primary(request, settings):
    """Reads stay on the primary except in the replica tests (marked ``replica``): the other tests' rows are
    uncommitted or only just committed, not on a replica yet (learning_events.replica, docs/replica.md)."""
    if request.node.get_closest_marker("replica") is None:
        settings.LEARNING_EVENTS_REPLICA_DATABASE = None


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests hash passwords in microseconds instead of PBKDF2's ~0.3 s each; production keeps PBKDF2."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # hashes made outside the fixture, e.g. seed_demo
    ]


@pytest.fixture
def teacher(db):
    return factories.TeacherFactory()


@pytest.fixture
def other_teacher(db):
    return factories.TeacherFactory()


@pytest.fixture
def classroom(teacher):
    return factories.ClassroomFactory(teacher=teacher)


@pytest.fixture
def learner(classroom):
    """A learner who belongs to ``classroom``."""
    user = factories.UserFactory()
    factories.MembershipFactory(classroom=classroom, student=user)
    return user


@pytest.fixture
def outsider(db):
    """A learner in no classroom."""
    return factories.UserFactory()


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client authenticated with ``user``'s token (None: anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = issue_token(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make
