"""Scale benchmark: what one day's work costs with an empty store and with months of history, same run.

Two PostgreSQL databases, built afresh each run with the same 10,000 learners (six time zones, classrooms of
100): ``..._empty`` holds nothing but what the benchmark writes; ``..._history`` also holds 20,000,000 older
events (100 days of 200,000, loaded with SQL in a few statements) and their rollups (computed by
``rollup_day``, day by day, as the nightly task would have). On each, for the same day D (yesterday, UTC):

1. **ingest**: ``learning_events.services.log_events`` of 200,000 events of D (20 for each learner: a practice
   session of 16 graded answers, a story read), in calls of ``--chunk`` events, from an emptied D;
2. **rollup**: ``rollup_day(D)``, every rollup of the day;
3. **export**: the events export of D (``exports.events_export``, JSON Lines, rendered and discarded).

The legs take turns between the two databases, ``--repeat`` rounds, and the medians are compared
(history / empty). The history ends three days before D: it is older than anything D's rollup reads (its
reach is a day and MAX_SESSION either side), so both databases roll up exactly the same events and only the
amount of history differs. Then, on the history database, ``lifecycle.purge_events`` purges everything older
than 60 days before D, and the benchmark checks that nothing else went: the events since the cutoff, every
rollup row and the dead letters are counted before and after.

Run (see bench/README.md)::

    make bench-scale              # or: .venv/bin/python bench/scale.py [--history 20000000] [--repeat 3]

``DATABASE_URL`` names the server and the databases' prefix (default
``postgres://postgres@127.0.0.1:5432/learning_events_bench_scale``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from benchdb import ensure_postgres_database, setup_django  # noqa: E402
os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a line per partition created or dropped
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/learning_events_bench_scale"
ANSWERS = 16  # graded answers of a learner's daily session; with its start and end, a story read: 20 events
PER_LEARNER = ANSWERS + 4
WORDS = 2000
GAP_DAYS = 3  # the history ends this many days before D
PURGE_DAYS = 60
TARGETS = {"ingest": (">=", 0.85), "rollup": ("<=", 1.25), "export": ("<=", 1.25)}


def recreate(url: str) -> None:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    with psycopg.connect(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                         password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')
    ensure_postgres_database(url)


def use(name: str) -> None:
    """Point Django's default connection at the database ``name`` (the same server)."""
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = name


def prepare(name: str, learners: int, day: date) -> list[int]:
    """Migrate the fresh database ``name``, create the learners and D's partitions; return learner ids."""
    from django.core.management import call_command

    from learning_events import partitions
    from ingest import ensure_learners

    use(name)
    call_command("migrate", verbosity=0)
    ids, _, _ = ensure_learners(learners)
    partitions.ensure_days([day - timedelta(days=1), day, day + timedelta(days=1)])
    return ids


def day_events(ids: list[int], day: date, seed: int) -> list[dict]:
    """D's events for ``log_events``: per learner a practice session (start, 16 answers, end) and a story."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT student_id, classroom_id FROM classrooms_membership")
        rooms = dict(cursor.fetchall())
    rng = random.Random(seed)
    start_of_day = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    items = []
    for user_id in ids:
        at = start_of_day + timedelta(hours=6 + user_id % 12, minutes=rng.randint(0, 59))
        session = str(uuid.UUID(int=rng.getrandbits(128)))
        room = rooms.get(user_id)
        timeline = [("practice_start", {"session_id": session})]
        timeline += [("word_correct" if rng.random() < 0.75 else "word_incorrect",
                      {"session_id": session, "word_id": rng.randint(1, WORDS), "response_ms": rng.randint(500, 9000)})
                     for _ in range(ANSWERS)]
        timeline += [("practice_end", {"session_id": session}),
                     ("content_view", {"content_id": rng.randint(1, 200), "content_type": "story"}),
                     ("content_complete", {"content_id": rng.randint(1, 200), "content_type": "story",
                                           "duration_seconds": 300})]
        for n, (event_type, context) in enumerate(timeline):
            items.append({"user": user_id, "event_type": event_type, "context": context, "classroom": room,
                          "occurred_at": at + timedelta(seconds=25 * n), "event_id": str(uuid.UUID(int=rng.getrandbits(128)))})
    return items


def load_history(events: int, learners: int, day: date) -> tuple[date, date]:
    """Load ``events`` older events with SQL, ``learners * PER_LEARNER`` a day up to GAP_DAYS before D, and
    roll their days up as the nightly task would have. Returns the first and last day of history.

    Each day's partition is filled as a table of its own, then given its keys and attached (which builds
    the events table's indexes on it and checks its foreign keys): the same partition as
    ``learning_events.partitions`` makes, several times faster to fill than row by row through its indexes.
    """
    from django.db import connection

    from learning_events import aggregation, partitions

    days = events // (learners * PER_LEARNER)
    last = day - timedelta(days=GAP_DAYS)
    first = last - timedelta(days=days - 1)
    table = partitions.table()
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:  # a connection each, one a core: the generating SQL is CPU-bound
        list(pool.map(lambda share: fill_days(first, days, share, table), (0, 1)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    for n in range(days):
        aggregation.rollup_day(first + timedelta(days=n))
    print(f"history: {days * learners * PER_LEARNER:,} events from {first} to {last} loaded in {loaded:.0f} s, "
          f"rolled up in {time.perf_counter() - started:.0f} s")
    return first, last


def fill_days(first: date, days: int, share: int, table: str) -> None:
    """Fill every other day of history (``share`` 0 or 1), each as a partition of its own."""
    from django.db import connection

    from learning_events import partitions

    with connection.cursor() as cursor:
        for n in range(share, days, 2):
            current = first + timedelta(days=n)
            name, lo, hi = partitions.partition_name(current), partitions.day_start(current), partitions.day_start(
                current + timedelta(days=1))
            cursor.execute(f"DROP TABLE IF EXISTS {name}")  # the migration made the last 31 days', empty
            cursor.execute(f"CREATE TABLE {name} (LIKE {table})")
            cursor.execute(f"""
                INSERT INTO {name} (id, event_id, user_id, event_type, context, classroom_id, created_at, occurred_at)
                SELECT nextval(pg_get_serial_sequence('{table}', 'id')), gen_random_uuid(), m.student_id,
                  CASE WHEN i = 0 THEN 'practice_start' WHEN i = {ANSWERS + 1} THEN 'practice_end'
                       WHEN i = {ANSWERS + 2} THEN 'content_view' WHEN i = {ANSWERS + 3} THEN 'content_complete'
                       WHEN mod(m.student_id + %(n)s + i, 4) = 0 THEN 'word_incorrect' ELSE 'word_correct' END,
                  CASE WHEN i IN (0, {ANSWERS + 1})
                         THEN jsonb_build_object('session_id', md5(m.student_id || '-' || %(n)s)::uuid::text)
                       WHEN i = {ANSWERS + 2}
                         THEN jsonb_build_object('content_id', mod(m.student_id + %(n)s, 200), 'content_type', 'story')
                       WHEN i = {ANSWERS + 3}
                         THEN jsonb_build_object('content_id', mod(m.student_id + %(n)s, 200), 'content_type', 'story',
                                                 'duration_seconds', 300)
                       ELSE jsonb_build_object('session_id', md5(m.student_id || '-' || %(n)s)::uuid::text,
                                               'word_id', 1 + mod(m.student_id * 7 + %(n)s * 13 + i * 31, {WORDS}),
                                               'response_ms', 500 + mod(m.student_id * i, 8500)) END,
                  m.classroom_id, now(),
                  %(start)s + make_interval(hours => 6 + mod(m.student_id, 12), mins => mod(m.student_id, 59),
                                            secs => 25 * i)
                FROM classrooms_membership m, generate_series(0, {PER_LEARNER - 1}) AS i""",
                           {"n": n, "start": lo})
            cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_pkey PRIMARY KEY (id), "
                           f"ADD CONSTRAINT {name}_event_id_key UNIQUE (event_id), "
                           f"ADD CONSTRAINT {name}_bound CHECK (occurred_at >= %s AND occurred_at < %s)", [lo, hi])
            cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [lo, hi])
            cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bound")
    connection.close()


def rollup_models() -> tuple:
    from learning_events import models

    return (models.LearnerDailyStats, models.LearnerClassroomDailyStats, models.ClassroomDailyStats,
            models.LearnerWordDailyStats, models.LearnerClassroomWordDailyStats, models.ClassroomWordDailyStats)


def reset_day(day: date) -> None:
    """Empty D: its events (the partitions of D and its neighbours hold nothing else), its rollups and the
    dirty marks, then a CHECKPOINT, so that every round starts alike."""
    from django.db import connection

    from learning_events import models, partitions

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(partitions.partition_name(day + timedelta(days=n)) for n in (-1, 0, 1))
                       + f", {models.DirtyDay._meta.db_table}")
        for model in rollup_models():
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE date BETWEEN %s AND %s",
                           [day - timedelta(days=1), day + timedelta(days=1)])
        cursor.execute("VACUUM ANALYZE " + ", ".join(model._meta.db_table for model in rollup_models()))
        cursor.execute("CHECKPOINT")


def round_of(day: date, items: list[dict], chunk: int) -> dict[str, float]:
    """One round of the three legs on the current database; seconds of each."""
    from django.db import connection

    from learning_events import aggregation, exports, services

    reset_day(day)
    started = time.perf_counter()
    stored = sum(services.log_events(items[i:i + chunk]) for i in range(0, len(items), chunk))
    ingest = time.perf_counter() - started
    assert stored == len(items), stored
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    started = time.perf_counter()
    summary = aggregation.rollup_day(day)
    rollup = time.perf_counter() - started
    assert summary.learner_days > 0
    started = time.perf_counter()
    size = sum(len(part) for part in exports.render(
        exports.events_export(exports.ExportFilters(since=day, until=day)), "jsonl"))
    export = time.perf_counter() - started
    assert size > 0
    return {"ingest": ingest, "rollup": rollup, "export": export}


def counts(cutoff: datetime) -> dict[str, int]:
    """What a purge before ``cutoff`` must leave alone: the events since the cutoff, every rollup row, the dead
    letters received since the cutoff."""
    from learning_events import models

    found = {"events since the cutoff": models.LearningEvent.objects.filter(occurred_at__gte=cutoff).count(),
             "dead letters since the cutoff": models.RejectedEvent.objects.filter(received_at__gte=cutoff).count()}
    for model in rollup_models():
        found[model._meta.verbose_name_plural] = model.objects.count()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=20_000_000, help="events of history (default 20,000,000)")
    parser.add_argument("--learners", type=int, default=10_000, help="learners (default 10,000)")
    parser.add_argument("--chunk", type=int, default=500, help="events per log_events call (default 500)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the three legs on each database (default 5)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        parser.error(f"DATABASE_URL must be PostgreSQL, not {url!r}")
    began = time.perf_counter()
    names = {kind: f"{url.rsplit('/', 1)[1]}_{kind}" for kind in ("empty", "history")}
    for name in names.values():
        recreate(f"{url.rsplit('/', 1)[0]}/{name}")
    setup_django(f"{url.rsplit('/', 1)[0]}/{names['empty']}", migrate=False)

    from django.db import connection

    from learning_events import lifecycle, partitions
    from learning_events.models import LearningEvent

    day = datetime.now(UTC).date() - timedelta(days=1)
    ids = prepare(names["empty"], args.learners, day)
    items = day_events(ids, day, seed=1)
    assert prepare(names["history"], args.learners, day) == ids
    first, last = load_history(args.history, args.learners, day)
    print(f"D = {day}: {len(items):,} events of {args.learners:,} learners; log_events per {args.chunk}; "
          f"PostgreSQL {connection.pg_version // 10000}")

    runs: dict[str, dict[str, list[float]]] = {kind: {"ingest": [], "rollup": [], "export": []} for kind in names}
    for _ in range(args.repeat):
        for kind, name in names.items():  # taking turns: a slow spell of the machine hits both alike
            use(name)
            for leg, seconds in round_of(day, items, args.chunk).items():
                runs[kind][leg].append(seconds)

    use(names["history"])
    from learning_events import aggregation

    aggregation.rollup_dirty_days()  # the neighbouring days D's sessions marked: the purge would roll them up first
    cutoff = datetime.combine(day - timedelta(days=PURGE_DAYS), datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    kept_before = counts(cutoff)
    partitions_before = len(partitions.list_partitions())
    started = time.perf_counter()
    purge = lifecycle.purge_events(before=cutoff)
    purge_seconds = time.perf_counter() - started
    kept_after = counts(cutoff)
    left_before_cutoff = LearningEvent.objects.filter(occurred_at__lt=cutoff).count()

    print(f"\n{'leg':<8}{'empty (median)':>16}{'history (median)':>18}{'history / empty':>17}   target")
    verdicts = []
    for leg, (sense, bound) in TARGETS.items():
        empty, history = statistics.median(runs["empty"][leg]), statistics.median(runs["history"][leg])
        if leg == "ingest":  # a rate: events per second
            empty, history = len(items) / empty, len(items) / history
            shown = f"{empty:>12,.0f} ev/s{history:>14,.0f} ev/s"
        else:
            shown = f"{empty:>14.2f} s{history:>16.2f} s"
        ratio = history / empty
        met = ratio >= bound if sense == ">=" else ratio <= bound
        verdicts.append(met)
        print(f"{leg:<8}{shown}{ratio:>17.2f}   {sense} {bound}  {'met' if met else 'NOT MET'}")
        print(f"{'':8}runs (s): empty {', '.join(f'{s:.2f}' for s in runs['empty'][leg])}; "
              f"history {', '.join(f'{s:.2f}' for s in runs['history'][leg])}")
    untouched = kept_before == kept_after and left_before_cutoff == 0
    verdicts += [purge_seconds <= 30, untouched]
    print(f"purge   {purge.events_deleted:,} events before {cutoff:%Y-%m-%d %H:%M} UTC in {purge_seconds:.1f} s "
          f"({partitions_before - len(partitions.list_partitions())} partitions dropped)   <= 30 s  "
          f"{'met' if purge_seconds <= 30 else 'NOT MET'}")
    print(f"{'':8}left alone: {'everything' if untouched else 'NOT EVERYTHING'} "
          f"({', '.join(f'{k} {v:,}' for k, v in kept_after.items())}; {left_before_cutoff} events left before the cutoff)")
    print(f"\nhistory {first} to {last}; whole benchmark {(time.perf_counter() - began) / 60:.1f} min")
    if not all(verdicts):
        sys.exit(1)


if __name__ == "__main__":
    main()
