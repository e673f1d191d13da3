# Ready to shard by learner (docs/scaling.md): the user id in the primary key and every unique constraint of
# every learner-scoped table, as a learner-sharded PostgreSQL (Citus) requires of a table distributed by it.
#
# - Events: ``event_id`` is unique per learner, ``(event_id, user_id)``, no longer across learners (the same
#   id sent by two learners is two events, each the learner's own: docs/ingest.md, "Idempotency"). On
#   PostgreSQL each partition has its own keys (a partitioned table's would have to include occurred_at):
#   its primary key becomes ``(id, user_id)`` and its unique ``event_id`` index ``(event_id, user_id)``.
#   SQLite's plain table gets the model's constraint.
# - The other learner tables whose Django primary key is ``id`` (dead letters, dirty days, learner days,
#   learner-classroom days, the memory model's tables): on PostgreSQL their primary key becomes
#   ``(id, user_id)``; Django keeps ``id`` as the model's pk (unique through its sequence; a composite
#   pk would change every foreign key, the admin's URLs and the queries by pk), and ``id`` leads the key,
#   so lookups by ``id`` keep their index. SQLite keeps ``id`` alone: nothing shards there.
# - The learner-word and learner-classroom-word rows are keyed by their columns, user included, already.
#
# Each table's keys are rebuilt under an ACCESS EXCLUSIVE lock (one index build per key, per partition for
# the events). Backwards fails if two learners share an event_id by then: that is the point of the change.

import uuid

from django.db import migrations, models
from django.db.migrations.operations.base import Operation

EVENTS = 'learning_events_learningevent'
ID_KEYED = ['RejectedEvent', 'DirtyDay', 'LearnerDailyStats', 'LearnerClassroomDailyStats', 'MemoryDay',
            'MemoryState', 'MemoryParameters']


class NotOnPostgreSQL(Operation):
    """``operation`` in the migration state everywhere, in the database except on PostgreSQL (whose events
    table is partitioned: its keys are the partitions', changed by ``events_keys``)."""

    reduces_to_sql = False

    def __init__(self, operation):
        self.operation = operation

    def deconstruct(self):
        return self.__class__.__name__, [self.operation], {}

    def state_forwards(self, app_label, state):
        self.operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != 'postgresql':
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != 'postgresql':
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f'{self.operation.describe()} (not on PostgreSQL)'


def _keys(cursor, table):
    """``{contype: [constraint names]}`` of the primary key ('p') and unique constraints ('u') of ``table``."""
    cursor.execute("SELECT contype, conname FROM pg_constraint WHERE conrelid = %s::regclass "
                   "AND contype IN ('p', 'u') ORDER BY conname", [table])
    found = {'p': [], 'u': []}
    for contype, name in cursor.fetchall():
        found[contype].append(name)
    return found


def _partitions(cursor):
    cursor.execute('SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid '
                   'WHERE i.inhparent = %s::regclass ORDER BY c.relname', [EVENTS])
    return [row[0] for row in cursor.fetchall()]


def _rekey(schema_editor, table, primary_key, unique=None):
    """Replace ``table``'s primary key (and its unique constraints, when ``unique`` is given) in one
    statement: ``primary_key`` and ``unique`` are column lists; ``unique`` keys the constraint's name."""
    with schema_editor.connection.cursor() as cursor:
        keys = _keys(cursor, table)
    drops = [f'DROP CONSTRAINT {name}' for name in keys['p'] + (keys['u'] if unique else [])]
    adds = [f'ADD CONSTRAINT {table}_pkey PRIMARY KEY ({primary_key})']
    if unique:
        name, columns = unique
        adds.append(f'ADD CONSTRAINT {table}_{name} UNIQUE ({columns})')
    schema_editor.execute(f'ALTER TABLE {table} {", ".join(drops + adds)}')


def _id_keyed_tables(apps):
    return [apps.get_model('learning_events', name)._meta.db_table for name in ID_KEYED]


def learner_in_keys(apps, schema_editor):
    if schema_editor.connection.vendor != 'postgresql':
        return
    with schema_editor.connection.cursor() as cursor:
        partitions = _partitions(cursor)
    for partition in partitions:
        _rekey(schema_editor, partition, 'id, user_id', ('user_event_key', 'event_id, user_id'))
    for table in _id_keyed_tables(apps):
        _rekey(schema_editor, table, 'id, user_id')


def id_keys(apps, schema_editor):
    if schema_editor.connection.vendor != 'postgresql':
        return
    with schema_editor.connection.cursor() as cursor:
        partitions = _partitions(cursor)
    for partition in partitions:
        _rekey(schema_editor, partition, 'id', ('event_id_key', 'event_id'))
    for table in _id_keyed_tables(apps):
        _rekey(schema_editor, table, 'id')


class Migration(migrations.Migration):

    dependencies = [
        ('learning_events', '0010_fan_out_rollups'),
    ]

    operations = [
        NotOnPostgreSQL(migrations.AlterField(
            model_name='learningevent',
            name='event_id',
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        )),
        NotOnPostgreSQL(migrations.AddConstraint(
            model_name='learningevent',
            constraint=models.UniqueConstraint(fields=('event_id', 'user'), name='le_event_user_event_id_unique'),
        )),
        migrations.RunPython(learner_in_keys, id_keys),
    ]
