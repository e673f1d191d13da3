"""The platform on a read replica: settings from DATABASE_REPLICA_URL, and reads served by a real standby.

The settings tests run everywhere. The others need the replica alias, which only DATABASE_REPLICA_URL makes
(CI's PostgreSQL run: scripts/start_replica starts a streaming standby on port 5433): without it they skip,
and say so. Their rows are committed (transaction=True) and ``wait_for_replica`` waits out the lag.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from learning_events import aggregation
from learning_events.models import ClassroomDailyStats
from learning_events.replica import wait_for_replica
from learning_events.services import log_word_practice
from tests.replicas import readers_of, served

from school import factories
from school.classrooms.models import Assignment, Classroom
from school.vocabulary.models import PracticeAnswer

ROOT = Path(__file__).resolve().parents[3]
SHOWN = "import json; from school.config import settings as s; print(json.dumps({" \
        "'aliases': sorted(s.DATABASES), 'routers': getattr(s, 'DATABASE_ROUTERS', []), " \
        "'pin_middleware': 'learning_events.replica.ReplicaPinMiddleware' in s.MIDDLEWARE, " \
        "'replica': getattr(s, 'LEARNING_EVENTS_REPLICA_DATABASE', None), " \
        "'pin_seconds': getattr(s, 'LEARNING_EVENTS_REPLICA_PIN_SECONDS', None), " \
        "'replica_test': s.DATABASES.get('replica', {}).get('TEST'), " \
        "'replica_port': s.DATABASES.get('replica', {}).get('PORT')}))"


def settings_with(**environment: str) -> dict:
    """The school's settings as a fresh process reads them with ``environment`` (replica variables unset)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DATABASE_REPLICA")}
    result = subprocess.run([sys.executable, "-c", SHOWN], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**env, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
                                 **environment})
    return json.loads(result.stdout)


def test_without_a_replica_url_there_is_no_replica_alias_nor_router():
    assert settings_with() == {"aliases": ["default"], "routers": [], "pin_middleware": False, "replica": None,
                               "pin_seconds": None, "replica_test": None, "replica_port": None}


def test_a_replica_url_adds_the_alias_its_router_and_the_pin():
    assert settings_with(DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:5433/school",
                         DATABASE_REPLICA_PIN_SECONDS="9") == {
        "aliases": ["default", "replica"], "routers": ["learning_events.replica.ReplicaRouter"],
        "pin_middleware": True, "replica": "replica", "pin_seconds": 9, "replica_test": {"MIRROR": "default"},
        "replica_port": 5433}


needs_replica = pytest.mark.skipif(
    "replica" not in django_settings.DATABASES,
    reason="no read replica: DATABASE_REPLICA_URL is unset (CI's PostgreSQL run starts a streaming one with "
           "scripts/start_replica; tests/test_replica.py tests the routing itself everywhere)")


def on_replica(test):
    """A test of committed rows on both aliases, skipped (and said so) without a replica."""
    for mark in (needs_replica, pytest.mark.replica,
                 pytest.mark.django_db(transaction=True, databases=["default", "replica"])):
        test = mark(test)
    return test


@pytest.fixture
def practised_classroom(classroom, learner):
    """A committed classroom with a graded answer rolled up and an assignment, streamed to the replica."""
    word = factories.WordFactory()
    log_word_practice(learner, word.pk, True, classroom)
    aggregation.rollup_dirty_days()
    Assignment.objects.create(classroom=classroom, title="Animal words",
                              word_list=factories.WordListFactory(words=[word]))
    assert wait_for_replica(), "the replica did not catch up within 10 s"
    return classroom


@on_replica
def test_the_replica_is_a_streaming_standby_of_the_primary():
    with connections["default"].cursor() as primary, connections["replica"].cursor() as replica:
        primary.execute("SELECT pg_is_in_recovery(), current_database()")
        replica.execute("SELECT pg_is_in_recovery(), current_database()")
        (primary_recovering, name), standby = primary.fetchone(), replica.fetchone()
    assert (primary_recovering, standby) == (False, (True, name))  # the standby's copy of the test database


@on_replica
@pytest.mark.parametrize(("path", "shown"), [
    ("/dashboard/", "{name}"),
    ("/dashboard/classrooms/{id}/", "{name}"),
    ("/api/v1/classrooms/{id}/stats/", '"words_practiced":1,'),
    ("/api/v1/classrooms/{id}/assignments/progress/", '"title":"Animal words"'),
    ("/api/v1/classrooms/{id}/retention/", '"classroom":{id},'),
])
def test_the_dashboards_and_the_read_api_read_the_replica(practised_classroom, teacher, client_for, path, shown):
    client = client_for(teacher)
    client.force_login(teacher)  # the dashboards sign in by session, the API by token
    with served() as queries:
        response = client.get(path.format(id=practised_classroom.pk))
    assert response.status_code == 200
    assert shown.format(name=practised_classroom.name, id=practised_classroom.pk) in response.content.decode()
    assert readers_of(queries, Classroom) == ["replica"]


@on_replica
def test_a_learner_reads_their_session_from_the_primary_right_after_answering(learner, client_for, settings):
    # The database cache keeps whole seconds: a pin of 3 s lasts 2 to 3 s.
    settings.LEARNING_EVENTS_REPLICA_PIN_SECONDS = 3
    hola = factories.WordFactory(text="hola", translation="hello")
    client = client_for(learner)
    started = client.post("/api/v1/practice-sessions/", {"word_list_id": factories.WordListFactory(words=[hola]).pk})
    session = f"/api/v1/practice-sessions/{started.json()['id']}/"
    assert client.post(f"{session}answers/", {"word_id": hola.pk, "answer": "hello"}).status_code == 201
    with served() as queries:
        right_after = client.get(session)
    assert right_after.json()["summary"] == {"answers": 1, "correct": 1, "accuracy": 1.0}
    assert readers_of(queries, PracticeAnswer) == ["default"]
    time.sleep(3)  # the pin lapses: the replica again, with the same answer
    assert wait_for_replica()
    with served() as queries:
        later = client.get(session)
    assert (later.status_code, later.json()) == (200, right_after.json())
    assert readers_of(queries, PracticeAnswer) == ["replica"]
