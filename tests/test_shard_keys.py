"""Ready to shard by learner (docs/scaling.md): every learner-scoped table of the pipeline has the learner's id
in its primary key and in every unique constraint or index, as a learner-sharded PostgreSQL (Citus,
distributing by ``user_id``) requires. Checked against the database's own constraints, for every model of the
app with a ``user`` field: a model added later is checked too. On PostgreSQL the events' keys are their
partitions' (migration 0011)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from learning_events import partitions
from learning_events.models import LearningEvent
from tests.test_partitions import latest_schema_after, migrate  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

LEARNER_TABLES = [model for model in apps.get_app_config("learning_events").get_models()
                  if any(field.name == "user" for field in model._meta.get_fields())]
BEFORE, AFTER = ("learning_events", "0010_fan_out_rollups"), ("learning_events", "0011_learner_in_every_key")


def tables_of(model) -> list[str]:
    """The tables that hold ``model``'s rows and keys: its table, or on PostgreSQL its partitions."""
    if model is LearningEvent and partitions.is_partitioned():
        return [partition.name for partition in partitions.list_partitions()]
    return [model._meta.db_table]


def keys(table: str) -> dict[str, dict]:
    """``{name: constraint}`` of the primary key and unique constraints and indexes of ``table``."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: c for name, c in found.items() if c["primary_key"] or c["unique"]}


def user_column(model) -> str:
    return model._meta.get_field("user").column


def test_the_learner_tables_are_found_by_their_user_field():
    # What the two tests below cover today; a new model with a ``user`` field joins them by itself.
    assert {model.__name__ for model in LEARNER_TABLES} == {
        "LearningEvent", "RejectedEvent", "DirtyDay", "LearnerDailyStats", "LearnerClassroomDailyStats",
        "LearnerWordDailyStats", "LearnerClassroomWordDailyStats", "MemoryDay", "MemoryState", "MemoryParameters"}


@pytest.mark.parametrize("model", LEARNER_TABLES, ids=lambda model: model.__name__)
def test_every_unique_constraint_of_a_learner_table_includes_the_learner(model):
    tables = tables_of(model)
    assert tables  # on PostgreSQL, the events have partitions (migration 0006 creates a window of them)
    for table in tables:
        unique = {name: c["columns"] for name, c in keys(table).items() if not c["primary_key"]}
        assert {name: columns for name, columns in unique.items() if user_column(model) not in columns} == {}, table


@pytest.mark.parametrize("model", LEARNER_TABLES, ids=lambda model: model.__name__)
def test_the_primary_key_of_a_learner_table_includes_the_learner(model):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite is never sharded: its tables keep Django's primary key (id) alone")
    for table in tables_of(model):
        [primary] = [c["columns"] for c in keys(table).values() if c["primary_key"]]
        assert user_column(model) in primary, table


def test_the_events_table_itself_has_no_key_of_its_own_on_postgresql():
    # Its keys are its partitions' (checked above): a key of the partitioned table would have to include
    # occurred_at, and would make event_id unique per instant instead of per learner.
    if connection.vendor != "postgresql":
        pytest.skip("the events are a plain table on SQLite, keyed as the model declares (checked above)")
    assert keys(LearningEvent._meta.db_table) == {}


def test_one_users_event_id_is_unique_in_the_database(user, make_user):
    at = datetime.now(UTC)
    event_id = uuid.uuid4()
    LearningEvent.objects.create(user=user, event_type="word_correct", context={"word_id": 1}, event_id=event_id,
                                 occurred_at=at)
    LearningEvent.objects.create(user=make_user(), event_type="word_correct", context={"word_id": 1},
                                 event_id=event_id, occurred_at=at)
    with pytest.raises(IntegrityError), transaction.atomic():
        LearningEvent.objects.create(user=user, event_type="word_correct", context={"word_id": 1},
                                     event_id=event_id, occurred_at=at + timedelta(seconds=1))
    assert LearningEvent.objects.filter(event_id=event_id).count() == 2


def event_keys() -> list[tuple[str, ...]]:
    """The column lists of the events' primary key and unique constraints (on PostgreSQL, their partitions')."""
    return sorted({tuple(c["columns"]) for table in tables_of(LearningEvent) for c in keys(table).values()})


def primary_keys() -> dict[str, tuple[str, ...]]:
    """``{model name: primary key columns}`` of the learner tables other than the events."""
    return {model.__name__: tuple(c["columns"]) for model in LEARNER_TABLES if model is not LearningEvent
            for c in keys(model._meta.db_table).values() if c["primary_key"]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_after")
def test_the_migration_puts_the_learner_in_the_keys_of_a_store_with_events_and_back(user):
    table = LearningEvent._meta.db_table
    today = datetime.now(UTC)
    migrate(BEFORE)
    event_id = str(uuid.uuid4())
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (event_id, user_id, event_type, context, occurred_at, created_at) "
                       "VALUES (%s, %s, 'word_correct', '{\"word_id\": 1}', %s, %s)", [event_id, user.pk, today, today])
    before, before_primary = event_keys(), primary_keys()

    migrate(AFTER)

    if connection.vendor == "postgresql":
        assert (before, event_keys()) == ([("event_id",), ("id",)], [("event_id", "user_id"), ("id", "user_id")])
        assert {name: "user_id" in columns for name, columns in primary_keys().items()} == {
            name: True for name in before_primary}
    else:  # SQLite: the model's unique constraint; primary keys unchanged
        assert (before, event_keys()) == ([("event_id",), ("id",)], [("event_id", "user_id"), ("id",)])
        assert primary_keys() == before_primary
    assert list(LearningEvent.objects.values_list("event_id", "user_id")) == [(uuid.UUID(event_id), user.pk)]

    migrate(BEFORE)

    assert (event_keys(), primary_keys()) == (before, before_primary)
    assert list(LearningEvent.objects.values_list("event_id", "user_id")) == [(uuid.UUID(event_id), user.pk)]
