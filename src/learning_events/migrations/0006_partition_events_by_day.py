# PostgreSQL only: the raw events become a table range-partitioned on occurred_at, one partition per UTC
# day (learning_events.partitions says why; docs/ingest.md, "Storage: time partitions", has the runbook).
# SQLite keeps its plain table, and the model's state does not change.
#
# Forwards, in one transaction, holding the events table's ACCESS EXCLUSIVE lock:
# - the table is renamed and a partitioned table takes its name, with the same columns, foreign keys,
#   indexes (partitioned: one per partition) and statistics, and no primary key or unique constraint of
#   its own (they would have to include occurred_at): each partition has a primary key on id and a unique
#   event_id;
# - an empty table is dropped; a table with events is attached whole, without copying, as the partition
#   of everything before today (UTC), named ..._before_YYYYMMDD; today's and later events move to daily
#   partitions. Its rows are checked once against the partition bound (a sequential scan, no writes);
# - daily partitions are created from 31 days before today to 7 days after (the periodic task
#   learning_events.maintain_partitions keeps that window, by the settings, from then on).
# Backwards: a plain table is created from the model and every event copied into it; the partitions are
# dropped. That copies the whole store (docs/ingest.md says what it costs).
#
# The DDL is written out here, not imported from learning_events.partitions, so that this migration
# keeps doing what it did whatever that module becomes.

from datetime import UTC, datetime, time, timedelta

from django.db import migrations

TABLE = 'learning_events_learningevent'
STATS = 'le_event_user_classroom_stats'
WINDOW_BEFORE, WINDOW_AFTER = 31, 7


def _scalar(cursor, sql, params=None):
    cursor.execute(sql, params)
    return cursor.fetchone()[0]


def _is_partitioned(cursor):
    return _scalar(cursor, 'SELECT relkind FROM pg_class WHERE oid = %s::regclass', [TABLE]) == 'p'


def _model_index_names(model):
    return [index.name for index in model._meta.indexes]


def _create_day_partition(schema_editor, day):
    name = f'{TABLE}_p{day:%Y%m%d}'
    lo = datetime.combine(day, time.min, tzinfo=UTC)
    schema_editor.execute(f'CREATE TABLE {name} (LIKE {TABLE})')
    schema_editor.execute(f'ALTER TABLE {name} ADD CONSTRAINT {name}_pkey PRIMARY KEY (id), '
                          f'ADD CONSTRAINT {name}_event_id_key UNIQUE (event_id)')
    schema_editor.execute(f'ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)',
                          [lo, lo + timedelta(days=1)])


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != 'postgresql':
        return
    model = apps.get_model('learning_events', 'LearningEvent')
    columns = ', '.join(field.column for field in model._meta.concrete_fields)
    with schema_editor.connection.cursor() as cursor:
        if _is_partitioned(cursor):
            return
        cursor.execute(f'LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE')
        today = _scalar(cursor, "SELECT (now() AT TIME ZONE 'UTC')::date")
        cut = datetime.combine(today, time.min, tzinfo=UTC)
        legacy = f'{TABLE}_before_{today:%Y%m%d}'
        has_events = _scalar(cursor, f'SELECT EXISTS (SELECT 1 FROM {TABLE})')
        next_id = _scalar(cursor, f'SELECT COALESCE(MAX(id), 0) + 1 FROM {TABLE}')
        sequence = _scalar(cursor, 'SELECT pg_get_serial_sequence(%s, %s)', [TABLE, 'id'])
        cursor.execute('SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass '
                       "AND contype = 'f' ORDER BY conname", [TABLE])
        foreign_keys = cursor.fetchall()

    # Free the names the partitioned table takes: the table's, its indexes', its sequence's, its statistics'.
    schema_editor.execute(f'DROP STATISTICS IF EXISTS {STATS}')
    for name in _model_index_names(model):
        schema_editor.execute(f'ALTER INDEX {name} RENAME TO {name}_old')
    schema_editor.execute(f'ALTER SEQUENCE {sequence} RENAME TO {legacy}_id_seq')
    schema_editor.execute(f'ALTER TABLE {TABLE} RENAME TO {legacy}')
    schema_editor.execute(f'ALTER TABLE {legacy} RENAME CONSTRAINT {TABLE}_pkey TO {legacy}_pkey')
    schema_editor.execute(f'ALTER TABLE {legacy} RENAME CONSTRAINT {TABLE}_event_id_key TO {legacy}_event_id_key')

    schema_editor.execute(
        f'CREATE TABLE {TABLE} (LIKE {legacy} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE) '
        'PARTITION BY RANGE (occurred_at)')
    schema_editor.execute(f'ALTER TABLE {legacy} ALTER COLUMN id DROP IDENTITY')  # ids come from the new table
    schema_editor.execute(f'ALTER TABLE {TABLE} ALTER COLUMN id RESTART WITH {next_id}')
    for name, definition in foreign_keys:  # the same definitions: attaching the old table reuses its own
        schema_editor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}')
    for index in model._meta.indexes:
        schema_editor.execute(index.create_sql(model, schema_editor))
    schema_editor.execute(f'CREATE STATISTICS {STATS} (ndistinct) ON user_id, classroom_id FROM {TABLE}')

    if has_events:
        schema_editor.execute(f'CREATE TEMPORARY TABLE le_events_moving (LIKE {legacy}) ON COMMIT DROP')
        schema_editor.execute(f'WITH moving AS (DELETE FROM {legacy} WHERE occurred_at >= %s RETURNING *) '
                              'INSERT INTO le_events_moving SELECT * FROM moving', [cut])
        schema_editor.execute(f'ALTER TABLE {legacy} ADD CONSTRAINT {legacy}_bound CHECK (occurred_at < %s)',
                              [cut])
        schema_editor.execute(f'ALTER TABLE {TABLE} ATTACH PARTITION {legacy} FOR VALUES FROM (MINVALUE) TO (%s)',
                              [cut])
        schema_editor.execute(f'ALTER TABLE {legacy} DROP CONSTRAINT {legacy}_bound')  # the bound holds it now
        first_day = today
    else:
        schema_editor.execute(f'DROP TABLE {legacy}')
        first_day = today - timedelta(days=WINDOW_BEFORE)
    day = first_day
    while day <= today + timedelta(days=WINDOW_AFTER):
        _create_day_partition(schema_editor, day)
        day += timedelta(days=1)
    if has_events:
        schema_editor.execute(f'INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM le_events_moving')


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != 'postgresql':
        return
    model = apps.get_model('learning_events', 'LearningEvent')
    columns = ', '.join(field.column for field in model._meta.concrete_fields)
    old = f'{TABLE}_partitioned'
    with schema_editor.connection.cursor() as cursor:
        if not _is_partitioned(cursor):
            return
        cursor.execute(f'LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE')
        next_id = _scalar(cursor, f'SELECT COALESCE(MAX(id), 0) + 1 FROM {TABLE}')
        sequence = _scalar(cursor, 'SELECT pg_get_serial_sequence(%s, %s)', [TABLE, 'id'])
    schema_editor.execute(f'DROP STATISTICS IF EXISTS {STATS}')
    for name in _model_index_names(model):
        schema_editor.execute(f'ALTER INDEX {name} RENAME TO {name}_partitioned')
    schema_editor.execute(f'ALTER SEQUENCE {sequence} RENAME TO {old}_id_seq')
    schema_editor.execute(f'ALTER TABLE {TABLE} RENAME TO {old}')
    schema_editor.create_model(model)  # its foreign keys are added at the end of the migration
    schema_editor.execute(f'INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {old}')
    schema_editor.execute(f'ALTER TABLE {TABLE} ALTER COLUMN id RESTART WITH {next_id}')
    schema_editor.execute(f'CREATE STATISTICS {STATS} (ndistinct) ON user_id, classroom_id FROM {TABLE}')
    schema_editor.execute(f'DROP TABLE {old}')


class Migration(migrations.Migration):

    dependencies = [
        ('learning_events', '0005_event_user_classroom_statistics'),
    ]

    operations = [
        migrations.RunPython(partition, unpartition),
    ]
