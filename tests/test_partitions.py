"""Time partitions of the events on PostgreSQL: created ahead of need and on demand, read only where a
query looks (EXPLAIN), and the migration of a store whose events were a plain table. SQLite keeps a plain
table: there the partition functions do nothing, which the first test checks."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from learning_events import aggregation, exports, partitions, services, tasks
from learning_events.models import LearningEvent
from tests.rollups import event, log

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
PARTITION = re.compile(r"learning_events_learningevent_(?:p\d{8}|before_\d{8})")


def noon(day: date, hours: float = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12 + hours)


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("time partitions are PostgreSQL's; SQLite keeps a plain table (see the first test)")


def test_on_sqlite_the_events_are_a_plain_table_and_partition_upkeep_does_nothing(user, capsys):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL partitions its events (the other tests of this module)")
    assert partitions.ensure_partitions([noon(DAY)]) == []
    assert partitions.maintain_partitions() == partitions.Maintenance(created=[], partitions=0, lock_slots=0)
    tasks.maintain_partitions_task.delay()
    call_command("maintain_partitions")
    assert capsys.readouterr().out == "The events are a plain table on this database (SQLite): nothing to do.\n"
    assert services.log_events([event(user, "word_correct", noon(DAY), word_id=1)]) == 1


def test_the_periodic_task_creates_the_acceptance_window_and_the_days_ahead():
    postgres_only()
    now = datetime(2031, 6, 15, 8, tzinfo=UTC)  # no partition there yet
    expected = [partitions.partition_name(day) for day in partitions.window_days(now.date())]
    assert expected[0] == partitions.partition_name(date(2031, 5, 15))  # 30 days of age, and a day to spare
    assert expected[-1] == partitions.partition_name(date(2031, 6, 22))  # PARTITIONS_AHEAD_DAYS = 7

    done = partitions.maintain_partitions(now)

    assert done.created == expected
    assert partitions.maintain_partitions(now).created == []  # nothing twice
    held = {p.name: (p.lo, p.hi) for p in partitions.list_partitions()}
    assert held[partitions.partition_name(date(2031, 6, 15))] == (datetime(2031, 6, 15, tzinfo=UTC),
                                                                  datetime(2031, 6, 16, tzinfo=UTC))


def test_the_task_and_the_command_keep_the_days_ahead(capsys):
    postgres_only()
    ahead = datetime.now(UTC).date() + timedelta(days=7)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {partitions.partition_name(ahead)}")  # as if the task had not run for a week
    tasks.maintain_partitions_task.delay()
    assert partitions.partition_name(ahead) in {p.name for p in partitions.list_partitions()}

    call_command("maintain_partitions", "--list")
    out = capsys.readouterr().out
    assert out.startswith(f"Created 0 partition(s). The events table has {len(partitions.list_partitions())} "
                          "partition(s).\n")
    assert f"{partitions.partition_name(ahead)}: {ahead:%Y-%m-%d} 00:00 to {ahead + timedelta(days=1):%Y-%m-%d} 00:00 UTC" in out


def test_a_new_partition_has_the_events_tables_indexes_its_own_keys_and_foreign_keys():
    postgres_only()
    [name] = partitions.ensure_partitions([noon(date(2031, 1, 1))])
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [name])
        indexes = [re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON public\.\S+ USING btree ", r"\1", row[0])
                   for row in cursor.fetchall()]
        cursor.execute("SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                       "ORDER BY 1, 2", [name])
        constraints = [(kind, definition.split(" REFERENCES ")[0]) for kind, definition in cursor.fetchall()]
    assert sorted(indexes) == sorted(["(classroom_id, occurred_at)", "(occurred_at)", "(user_id, occurred_at)",
                                      "(user_id, event_type, created_at)", "UNIQUE (id, user_id)",
                                      "UNIQUE (event_id, user_id)"])
    assert constraints == [("f", "FOREIGN KEY (classroom_id)"), ("f", "FOREIGN KEY (user_id)"),
                           ("p", "PRIMARY KEY (id, user_id)"), ("u", "UNIQUE (event_id, user_id)")]
    assert len(indexes) + 1 == partitions.RELATIONS_PER_PARTITION


def test_an_event_of_a_day_without_a_partition_creates_it_on_demand(user):
    postgres_only()
    backfill = noon(date(2019, 2, 3))
    assert partitions.partition_name(backfill.date()) not in {p.name for p in partitions.list_partitions()}
    stored = services.log_event(user, "word_correct", {"word_id": 1}, occurred_at=backfill)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {LearningEvent._meta.db_table} WHERE id = %s",
                       [stored.pk])
        assert cursor.fetchone()[0] == partitions.partition_name(backfill.date())
    assert services.log_events([event(user, "word_correct", backfill + timedelta(hours=1), word_id=2)]) == 1


def test_a_partition_of_several_days_covers_them_and_new_days_start_where_it_ends(user):
    postgres_only()
    # What migration 0006 leaves for a store that had events: one partition for all its days.
    start = datetime(2030, 1, 1, tzinfo=UTC)
    with connection.cursor() as cursor:
        partitions._create_partition(cursor, connection, "learning_events_learningevent_before_20300104",
                                     start, start + timedelta(days=3))
    assert partitions.ensure_partitions([start + timedelta(days=1, hours=5)]) == []
    assert partitions.ensure_partitions([start + timedelta(days=3)]) == [partitions.partition_name(date(2030, 1, 4))]
    assert services.log_events([event(user, "word_correct", start + timedelta(days=2), word_id=1)]) == 1


# --- what reads which partitions ------------------------------------------------------------------


def partitions_read(action) -> set[str]:
    """The partitions in the plans of the statements on the events table that ``action`` runs: each is
    EXPLAINed just before it runs, in its own transaction state."""
    table = LearningEvent._meta.db_table
    seen: set[str] = set()

    def explain_first(execute, sql, params, many, context):
        if table in sql and not many and sql.lstrip().upper().startswith(("SELECT", "CREATE", "WITH")):
            with context["connection"].connection.cursor() as cursor:  # a plain cursor, even for a named one's query
                cursor.execute("EXPLAIN " + sql, params)
                seen.update(PARTITION.findall("\n".join(row[0] for row in cursor.fetchall())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain_first):
        action()
    return seen


def days_of(*days: date) -> set[str]:
    return {partitions.partition_name(day) for day in days}


@pytest.fixture
def three_far_apart_days(make_user, room):
    """Events on DAY, ten days before and ten days after: each in its own partition."""
    postgres_only()
    learners = [make_user(time_zone=zone) for zone in ("Pacific/Kiritimati", "UTC", "Pacific/Pago_Pago")]
    session = str(uuid.uuid4())
    for offset in (-10, 0, 10):
        day = DAY + timedelta(days=offset)
        for learner in learners:
            log(event(learner, "practice_start", noon(day), room, session_id=session),
                event(learner, "word_correct", noon(day, 0.1), room, word_id=1, session_id=session),
                event(learner, "content_complete", noon(day, 1), room, content_id=1, content_type="story",
                      duration_seconds=60))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {LearningEvent._meta.db_table}")
    return learners


def test_a_days_rollup_reads_only_the_partitions_its_learners_days_reach(three_far_apart_days):
    read = partitions_read(lambda: aggregation.rollup_day(DAY))
    # Local days from UTC+14 to UTC-11, and sessions reaching MAX_SESSION beyond them: two days either side.
    reach = days_of(*(DAY + timedelta(days=n) for n in range(-2, 3)))
    assert days_of(DAY) <= read <= reach


def test_the_rollup_of_dirty_days_reads_only_their_partitions(three_far_apart_days):
    aggregation.rollup_dirty_days()
    services.log_events([event(three_far_apart_days[1], "word_correct", noon(DAY, 2), word_id=7)])
    read = partitions_read(aggregation.rollup_dirty_days)
    assert days_of(DAY) <= read <= days_of(*(DAY + timedelta(days=n) for n in range(-2, 3)))


def test_a_days_export_reads_only_that_days_partition(three_far_apart_days):
    def export() -> None:
        assert b"".join(exports.render(exports.events_export(exports.ExportFilters(since=DAY, until=DAY)), "jsonl"))

    assert partitions_read(export) == days_of(DAY)


def test_a_retry_near_midnight_looks_only_at_the_two_partitions_around_it(user):
    postgres_only()
    first = {"user": user, "event_type": "content_view", "context": {"content_id": 1, "content_type": "story"},
             "occurred_at": datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) - timedelta(seconds=1),
             "event_id": str(uuid.uuid4())}
    log(first, *(event(user, "word_correct", noon(DAY + timedelta(days=n)), word_id=1) for n in (0, 5)))
    retry = {**first, "occurred_at": first["occurred_at"] + timedelta(seconds=2)}
    read = partitions_read(lambda: log(retry))
    assert read == days_of(DAY - timedelta(days=1), DAY)
    assert LearningEvent.objects.filter(event_id=first["event_id"]).count() == 1


# --- migrating a store whose events were a plain table --------------------------------------------

# AFTER: the latest migration (0006 partitions the events; the code logging events needs the ones after it).
BEFORE = ("learning_events", "0005_event_user_classroom_statistics")
AFTER = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes("learning_events")[0]


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.fixture
def latest_schema_after():
    """Migrations tests leave the schema at their own target: put back every later migration, for the tests
    that run after (pytest-django runs the transactional ones last, on the same database)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def relkind() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [LearningEvent._meta.db_table])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_after")
def test_a_plain_table_with_events_migrates_to_partitions_and_back_with_every_event(user):
    postgres_only()
    table = LearningEvent._meta.db_table
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    migrate(BEFORE)
    assert relkind() == "r"
    instants = [today - timedelta(days=400), today - timedelta(days=2, hours=3), today - timedelta(microseconds=1),
                today + timedelta(hours=1), today + timedelta(days=2)]
    ids = [str(uuid.uuid4()) for _ in instants]
    with connection.cursor() as cursor:
        for event_id, at in zip(ids, instants):
            cursor.execute(f"INSERT INTO {table} (event_id, user_id, event_type, context, occurred_at, created_at) "
                           "VALUES (%s, %s, 'content_view', '{\"content_id\": 1, \"content_type\": \"story\"}', %s, %s)",
                           [event_id, user.pk, at, at])
    before = sorted(LearningEvent.objects.values_list("id", "event_id", "occurred_at"))

    migrate(AFTER)

    assert relkind() == "p"
    assert sorted(LearningEvent.objects.values_list("id", "event_id", "occurred_at")) == before
    held = {p.name: p for p in partitions.list_partitions()}
    legacy = held[f"{table}_before_{today:%Y%m%d}"]
    assert (legacy.lo, legacy.hi) == (None, today)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT event_id::text, tableoid::regclass::text FROM {table}")
        home = dict(cursor.fetchall())
    assert [home[event_id] for event_id in ids] == [legacy.name] * 3 + [
        partitions.partition_name(today.date()), partitions.partition_name(today.date() + timedelta(days=2))]
    # The store works on: ids go on from the old table's, a retry of an old event is a duplicate.
    fresh = services.log_event(user, "word_correct", {"word_id": 1})
    assert fresh.pk > max(row[0] for row in before)
    retry = {"user": user, "event_type": "content_view", "context": {"content_id": 1, "content_type": "story"},
             "occurred_at": instants[2] + timedelta(seconds=1), "event_id": ids[2]}
    assert services.log_events([retry]) == 0

    migrate(BEFORE)

    assert relkind() == "r"
    after = sorted(LearningEvent.objects.values_list("id", "event_id", "occurred_at"))
    assert after == sorted([*before, (fresh.pk, fresh.event_id, fresh.occurred_at)])
    # (Stored through the model: the service also marks dirty days, whose table is the latest migration's.)
    assert LearningEvent.objects.create(user=user, event_type="word_correct", context={"word_id": 2}).pk > fresh.pk
    migrate(AFTER)
    assert relkind() == "p" and LearningEvent.objects.count() == len(after) + 1
