"""Reads from the read replica: which alias serves each read, read-your-writes pins, writes on the primary.

The ``replica`` alias of the test settings is the real streaming replica when DATABASE_REPLICA_URL names one
(CI's PostgreSQL run: scripts/start_replica), else a second connection to the test database: either way the
alias that served a read is observable, so the routing is tested on SQLite too. Rows are committed
(transaction=True) and ``wait_for_replica`` waits out the streaming lag before reading.
"""

import os
import time
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest
from django.core.cache import cache
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connections, router, transaction
from django.test import RequestFactory
from django.utils import timezone
from knox.models import AuthToken

from learning_events import aggregation, tasks
from learning_events.models import LearnerDailyStats, LearningEvent
from learning_events.replica import ReplicaPinMiddleware, replica_reads, wait_for_replica
from tests.clients import client_for
from tests.replicas import readers_of, served
from tests.rollups import event, log
from tests.testapp.models import Room

pytestmark = pytest.mark.replica
#: Committed rows (the replica sees nothing else) and both aliases.
on_both = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
STATS = "/api/v1/me/stats/?from=2026-03-10&to=2026-03-10"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def no_pins_left():
    cache.clear()
    yield
    cache.clear()


def practised(user, word_id: int = 1) -> None:
    """A committed word attempt of ``user`` today, rolled up, and on the replica."""
    log(event(user, "word_correct", NOW.replace(hour=9), word_id=word_id))
    aggregation.rollup_dirty_days()
    assert wait_for_replica(), "the replica did not catch up within 10 s"


def ingest(user) -> None:
    """A write of ``user``'s through the API (a POST)."""
    response = client_for(user).post("/api/v1/events/batch/", {"sent_at": NOW.isoformat(), "events": [
        {"event_type": "content_view", "occurred_at": NOW.isoformat(),
         "context": {"content_id": 1, "content_type": "story"}}]}, format="json")
    assert response.status_code == 200, response.content


def words_practised(response) -> int:
    assert response.status_code == 200, response.content
    return response.json()["totals"]["words_practiced"]


@on_both
def test_the_read_api_reads_the_replica_and_authenticates_on_the_primary(user):
    practised(user)
    with served() as queries:
        response = client_for(user).get(STATS)
    assert words_practised(response) == 1
    assert readers_of(queries, LearnerDailyStats) == ["replica"]
    assert readers_of(queries, AuthToken) == ["default"]  # who is asking: the primary


@on_both
def test_a_callers_reads_stay_on_the_primary_right_after_their_own_write(make_user, settings):
    writer, other = make_user(), make_user()
    practised(writer)
    practised(other)
    ingest(writer)
    with served() as queries:
        assert words_practised(client_for(writer).get(STATS)) == 1
    assert readers_of(queries, LearnerDailyStats) == ["default"]
    with served() as queries:  # someone else did not write: the replica
        assert words_practised(client_for(other).get(STATS)) == 1
    assert readers_of(queries, LearnerDailyStats) == ["replica"]


@on_both
def test_the_pin_lasts_the_pin_seconds(user, settings):
    settings.LEARNING_EVENTS_REPLICA_PIN_SECONDS = 2
    practised(user)
    ingest(user)
    with served() as queries:
        client_for(user).get(STATS)
    assert readers_of(queries, LearnerDailyStats) == ["default"]
    time.sleep(2.1)
    with served() as queries:
        client_for(user).get(STATS)
    assert readers_of(queries, LearnerDailyStats) == ["replica"]


@on_both
def test_pin_seconds_zero_never_pins(user, settings):
    settings.LEARNING_EVENTS_REPLICA_PIN_SECONDS = 0
    practised(user)
    ingest(user)
    with served() as queries:
        client_for(user).get(STATS)
    assert readers_of(queries, LearnerDailyStats) == ["replica"]


@on_both
def test_a_request_that_wrote_pins_its_user_whatever_its_method(user):
    practised(user)
    request = RequestFactory().get("/")
    request.user = user
    ReplicaPinMiddleware(lambda request: Room.objects.create(name="written during a GET"))(request)
    with served() as queries, replica_reads(user):
        assert list(LearnerDailyStats.objects.filter(user=user).values_list("words_practiced", flat=True)) == [1]
    assert readers_of(queries, LearnerDailyStats) == ["default"]


@on_both
def test_after_a_write_the_rest_of_the_block_reads_the_primary(user):
    practised(user)
    with served() as queries, replica_reads():
        assert LearnerDailyStats.objects.filter(user=user).count() == 1
        Room.objects.create(name="Room 2")
        assert list(Room.objects.values_list("name", flat=True).order_by("name")) == ["Room 2"]
    assert readers_of(queries, LearnerDailyStats) == ["replica"]
    assert readers_of(queries, Room) == ["default"]
    assert not any(sql.lstrip().upper().startswith("INSERT") for sql in queries["replica"])


@on_both
def test_a_row_read_from_the_replica_is_saved_on_the_primary(user):
    Room.objects.create(name="Before")
    assert wait_for_replica()
    with served() as queries, replica_reads():
        room = Room.objects.get()
        room.name = "After"
        room.save()
    assert [sql.split()[0] for sql in queries["replica"]] == ["SELECT"]
    assert [sql.split()[0] for sql in queries["default"]] == ["UPDATE"]
    assert Room.objects.using("default").get().name == "After"


@on_both
def test_reads_inside_a_transaction_stay_on_the_primary(user):
    practised(user)
    with served() as queries, replica_reads(), transaction.atomic():
        assert LearnerDailyStats.objects.filter(user=user).count() == 1
    assert readers_of(queries, LearnerDailyStats) == ["default"]


@on_both
def test_without_a_replica_alias_the_read_api_reads_the_primary(user, settings):
    settings.LEARNING_EVENTS_REPLICA_DATABASE = None
    practised(user)
    with served() as queries:
        assert words_practised(client_for(user).get(STATS)) == 1
    assert readers_of(queries, LearnerDailyStats) == ["default"]


@on_both
def test_rollups_and_tasks_read_and_write_the_primary(user):
    log(event(user, "word_correct", NOW.replace(hour=9), word_id=1))
    with served() as queries:
        tasks.rollup_dirty_days_task()
    assert queries["replica"] == []
    assert LearnerDailyStats.objects.get(user=user).words_practiced == 1


@on_both
def test_the_streamed_export_reads_the_replica(make_user, user):
    practised(user)
    staff = make_user(is_staff=True)
    with served() as queries:
        response = client_for(staff).get("/api/v1/exports/events/?format=csv")
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert (response.status_code, len(lines)) == (200, 2)  # the header and the one event
    assert readers_of(queries, LearningEvent) == ["replica"]


@on_both
def test_the_export_command_reads_the_replica(user, tmp_path):
    practised(user)
    with served() as queries:
        call_command("export_events", "--format", "jsonl", "--output", str(tmp_path / "events.jsonl"))
    assert len((tmp_path / "events.jsonl").read_text().splitlines()) == 1
    assert readers_of(queries, LearningEvent) == ["replica"]


def test_migrations_never_run_on_the_replica():
    assert router.allow_migrate("replica", "learning_events") is False
    assert router.allow_migrate("default", "learning_events") is True


@pytest.mark.parametrize(("overrides", "ids"), [
    ({"LEARNING_EVENTS_REPLICA_DATABASE": "nowhere"}, ["learning_events.E004"]),
    ({"DATABASE_ROUTERS": []}, ["learning_events.E005"]),
    ({"MIDDLEWARE": []}, ["learning_events.E006"]),
    ({"LEARNING_EVENTS_REPLICA_PIN_SECONDS": -1}, ["learning_events.E003"]),
    ({}, []),
])
def test_a_replica_without_its_router_or_middleware_fails_the_checks(settings, overrides, ids):
    for name, value in overrides.items():
        setattr(settings, name, value)
    assert [error.id for error in run_checks() if (error.id or "").startswith("learning_events.")] == ids


needs_streaming_replica = pytest.mark.skipif(
    not os.environ.get("DATABASE_REPLICA_URL"),
    reason="no streaming replica: DATABASE_REPLICA_URL is unset (CI's PostgreSQL run starts one with "
           "scripts/start_replica); the routing tests above ran against a second connection instead")


@needs_streaming_replica
@on_both
def test_a_real_streaming_replica_serves_the_read(user):
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (False,)
    practised(user, word_id=42)  # written on the primary, streamed to the replica
    with served() as queries:
        assert words_practised(client_for(user).get(STATS)) == 1
    assert readers_of(queries, LearnerDailyStats) == ["replica"]
    with connections["replica"].cursor() as cursor:  # the connection that served it is a standby's
        cursor.execute("SELECT pg_is_in_recovery(), current_setting('port')::int")
        assert cursor.fetchone() == (True, urlparse(os.environ["DATABASE_REPLICA_URL"]).port)
