"""Per-user rate limits of batch ingest and export downloads: 429 with Retry-After, nothing stored."""

import pytest
from django.core.cache import cache

from learning_events.api.throttles import ScopedUserRateThrottle
from learning_events.models import LearningEvent
from tests.clients import client_for

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/events/batch/"
EXPORTS = ("/api/v1/exports/events/", "/api/v1/exports/traces/")
VIEW = {"event_type": "content_view", "context": {"content_id": 1, "content_type": "story"}}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The throttles' clock, moved by hand; their history starts empty (the cache outlives a test)."""
    cache.clear()
    now = [1_000_000.0]
    monkeypatch.setattr(ScopedUserRateThrottle, "timer", lambda self: now[0])
    yield now
    cache.clear()


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    return set_rates



def send(client):
    return client.post(BATCH, {"events": [VIEW]}, format="json")


def test_ingest_over_the_rate_is_429_with_retry_after_and_stores_nothing(api, rates, clock):
    rates(events_ingest="2/min")
    assert [send(api).status_code for _ in range(2)] == [200, 200]
    clock[0] += 15
    refused = send(api)
    assert (refused.status_code, refused.json(), refused["Retry-After"]) == (
        429, {"detail": "Request was throttled. Expected available in 45 seconds."}, "45")
    assert LearningEvent.objects.count() == 2
    clock[0] += 45
    assert send(api).status_code == 200  # the window has moved on
    assert LearningEvent.objects.count() == 3


def test_the_ingest_limit_is_per_user(api, make_user, rates):
    rates(events_ingest="1/hour")
    other = client_for(make_user())
    assert [send(api).status_code, send(api).status_code, send(other).status_code] == [200, 429, 200]


def test_without_a_configured_rate_nothing_is_limited(api, rates):
    rates()  # the pipeline's default: a host opts in by naming the scope's rate
    assert [send(api).status_code for _ in range(5)] == [200] * 5


@pytest.mark.parametrize("url", EXPORTS)
def test_exports_share_one_limit_per_staff_user(make_user, rates, url):
    rates(exports="1/min", events_ingest="100/min")
    staff = client_for(make_user(is_staff=True))
    first = staff.get(url)
    assert (first.status_code, b"".join(first.streaming_content)) == (200, b"")
    other_url = EXPORTS[1] if url == EXPORTS[0] else EXPORTS[0]
    refused = staff.get(other_url)
    assert (refused.status_code, refused.json(), refused["Retry-After"]) == (
        429, {"detail": "Request was throttled. Expected available in 60 seconds."}, "60")
    # The ingest scope is counted apart.
    assert send(staff).status_code == 200

