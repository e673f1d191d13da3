"""Rollup benchmark: one local day of 1,000,000 events from 10,000 learners, rolled up three ways.

1. ``rollup``: ``learning_events.aggregation.rollup_day(day)``, the whole stored rollup: learner,
   learner-in-classroom, classroom, learner-word and classroom-word days, time on task included.
2. ``raw SQL``: the counting alone written by hand: per-learner and per-learner-word counts, each one
   ``INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE`` over the day's events. The floor.
3. ``per-learner``: the spec's approach, one learner at a time: ``aggregate_daily_stats`` and
   ``update_or_create`` of the learner's row, then the learner's word counts (one grouped query) and one
   bulk upsert of their word rows: the raw SQL's output (its ``last_correct`` is not even computed, which
   only flatters it). Timed on a sample of learners and extrapolated to all of them; the figure says so.

4. ``fan-out``: the same day's rollup fanned out over 1, 2 and 4 Celery worker processes (``--workers``):
   planned (its learners and classrooms looked up), sent as a chord of learner shards of ``--shard-size``
   learners and the classroom rows, timed from the plan to the chord's result. Each run's stored rows
   (every rollup table, ``updated_at`` left out) must have the same checksum as ``rollup_day``'s, or the
   bench fails; the wall times print with their ratio to the 1-worker run of the same bench run. Needs a
   Redis broker (``CELERY_BROKER_URL``, default ``redis://127.0.0.1:6379/14``); the workers are started
   and stopped by the bench, on a queue of their own.

Every leg starts from empty rollup tables (truncated, then a CHECKPOINT, untimed) and is timed in its own
transaction, commit included. The three legs take turns, ``--repeat`` rounds; each leg's best and median
print, and the ratios of the bests (and of the medians).

Data: learners spread over six time zones (two with DST), 30 per classroom; each works through their
classroom's deck of 40 words (decks drawn from a pool of 2,000) in 3 practice sessions of 30 answers
(start and end events besides), reads and finishes a story (timed), plays a game (timed) and answers an
exam question: 100 events each, all inside their local day. Generated in PostgreSQL (``generate_series``).

Run (see bench/README.md)::

    make bench-rollup                # or: .venv/bin/python bench/rollup.py [--learners 10000] [--sample 200]
    .venv/bin/python bench/rollup.py --fan-out-only [--workers 1,2,4] [--shard-size 1250]

``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/learning_events_bench_rollup``) is created
if missing and migrated; its events are replaced when their number or the day differs.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from benchdb import ensure_postgres_database, setup_django  # noqa: E402
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/learning_events_bench_rollup"
TIME_ZONES = ["UTC", "Europe/Madrid", "America/New_York", "Asia/Kolkata", "Asia/Tokyo", "America/Lima"]
DAY = date(2026, 3, 10)
DECK = 40
WORD_POOL = 2000
SESSIONS = 3
ANSWERS = 30  # word answers per session; with its start and end, 32 events
PER_CLASSROOM = 30
EVENTS_PER_LEARNER = SESSIONS * (ANSWERS + 2) + 4  # + content_view, content_complete, game, exam answer


def generate(learners: int) -> None:
    """(Re)create the bench people, classrooms and the day's events, unless they are already there."""
    from django.db import connection

    from learning_events import partitions
    from learning_events.models import LearningEvent

    expected = learners * EVENTS_PER_LEARNER
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), MIN(occurred_at), MAX(occurred_at) FROM learning_events_learningevent")
        count, first, last = cursor.fetchone()
    if count == expected and first.date() >= date.fromordinal(DAY.toordinal() - 1) and last.date() <= date.fromordinal(DAY.toordinal() + 1):
        print(f"reusing {count:,} events of {DAY}")
        return
    started = time.perf_counter()
    zones = "ARRAY[" + ", ".join(f"'{z}'" for z in TIME_ZONES) + "]"
    classrooms = -(-learners // PER_CLASSROOM)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE learning_events_learningevent, learning_events_dirtyday, "
                       "classrooms_membership, classrooms_assignment, classrooms_classroom, "
                       "accounts_learnerprofile, auth_user CASCADE")
        cursor.execute("""
            INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email,
                                   is_staff, is_active, date_joined)
            SELECT n, '!', false, 'bench-' || n, '', '', '', false, true, now()
            FROM generate_series(1, %s + %s) AS n""", [learners, classrooms])
        cursor.execute(f"""
            INSERT INTO accounts_learnerprofile (user_id, display_name, time_zone, role)
            SELECT n, 'Bench ' || n, ({zones})[1 + mod(n, {len(TIME_ZONES)})],
                   CASE WHEN n > %s THEN 'teacher' ELSE 'learner' END
            FROM generate_series(1, %s + %s) AS n""", [learners, learners, classrooms])
        cursor.execute("""
            INSERT INTO classrooms_classroom (id, name, teacher_id, join_code, language, created_at)
            SELECT c, 'Bench class ' || c, %s + c, 'B' || lpad(c::text, 7, '0'), 'es', now()
            FROM generate_series(1, %s) AS c""", [learners, classrooms])
        cursor.execute("""
            INSERT INTO classrooms_membership (classroom_id, student_id, joined_at)
            SELECT 1 + (n - 1) / %s, n, now() FROM generate_series(1, %s) AS n""", [PER_CLASSROOM, learners])
        for table in ("auth_user", "classrooms_classroom"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        partitions.ensure_days([DAY + timedelta(days=n) for n in (-1, 0, 1)])  # the events' days, in any zone
        # Each learner's local midnight, computed by PostgreSQL from their profile's zone.
        learner_days = f"""
            SELECT p.user_id AS u, 1 + (p.user_id - 1) / {PER_CLASSROOM} AS room,
                   ('{DAY.isoformat()}'::timestamp AT TIME ZONE p.time_zone) AS midnight,
                   mod((1 + (p.user_id - 1) / {PER_CLASSROOM}) * {DECK}, {WORD_POOL}) AS deck
            FROM accounts_learnerprofile p WHERE p.role = 'learner'"""
        # Sessions at 08:00, 13:00 and 19:00 local time (+ a few minutes per learner), one answer every
        # 20-50 s; position 0 is the start, ANSWERS + 1 the end.
        cursor.execute(f"""
            INSERT INTO learning_events_learningevent (event_id, user_id, event_type, context, classroom_id,
                                                       created_at, occurred_at)
            SELECT gen_random_uuid(), l.u,
                   CASE WHEN i = 0 THEN 'practice_start' WHEN i = {ANSWERS + 1} THEN 'practice_end'
                        WHEN mod(l.u + s + i, 4) = 0 THEN 'word_incorrect' ELSE 'word_correct' END,
                   CASE WHEN i IN (0, {ANSWERS + 1})
                        THEN jsonb_build_object('session_id', md5(l.u || '-' || s)::uuid::text)
                        ELSE jsonb_build_object('session_id', md5(l.u || '-' || s)::uuid::text,
                                                'word_id', l.deck + mod(i * 7 + s * 11, {DECK}),
                                                'response_ms', 900 + mod(l.u * i, 4000)) END,
                   l.room, now(),
                   l.midnight + make_interval(hours => 8 + s * 5 + mod(l.u, 3), mins => mod(l.u, 40))
                              + make_interval(secs => i * 20 + mod(l.u + i, 31))
            FROM ({learner_days}) AS l, generate_series(0, {SESSIONS - 1}) AS s,
                 generate_series(0, {ANSWERS + 1}) AS i""")
        cursor.execute(f"""
            INSERT INTO learning_events_learningevent (event_id, user_id, event_type, context, classroom_id,
                                                       created_at, occurred_at)
            SELECT gen_random_uuid(), l.u, k.event_type, k.context, l.room, now(), l.midnight + k.at
            FROM ({learner_days}) AS l, LATERAL (VALUES
                ('content_view', jsonb_build_object('content_id', mod(l.u, 200), 'content_type', 'story'),
                 interval '16 hours'),
                ('content_complete', jsonb_build_object('content_id', mod(l.u, 200), 'content_type', 'story',
                                                         'duration_seconds', 420.5), interval '16 hours 7 minutes'),
                ('game_complete', jsonb_build_object('game_id', mod(l.u, 30), 'score', 80,
                                                      'duration_seconds', 300), interval '17 hours'),
                ('exam_answer', jsonb_build_object('exam_id', 1, 'question_id', 1, 'submission_id', l.u,
                                                    'correct', mod(l.u, 2) = 0), interval '18 hours')
            ) AS k(event_type, context, at)""")
        cursor.execute("ANALYZE")
    stored = LearningEvent.objects.count()
    print(f"generated {stored:,} events for {learners:,} learners in {classrooms:,} classrooms "
          f"in {time.perf_counter() - started:.1f} s")


def timed(leg) -> float:
    """Seconds ``leg()`` takes in its own transaction, commit included, from empty rollup tables."""
    from django.db import transaction

    truncate_rollups()
    started = time.perf_counter()
    with transaction.atomic():
        leg()
    return time.perf_counter() - started


def raw_sql_counts() -> None:
    """The counting alone, by hand: per-learner and per-learner-word counts, upserted."""
    from django.db import connection
    from django.utils import timezone

    from learning_events.aggregation import _utc_reach
    from learning_events.conf import app_settings

    lo, hi = _utc_reach(DAY)
    now = timezone.now()
    with connection.cursor() as cursor:
        # The memory the rollup gives its sorts and hash tables (aggregation._Dialect.prepare), so that
        # neither leg spills to disk where the other would not.
        cursor.execute("SELECT set_config('work_mem', %s, true)", [app_settings.ROLLUP_WORK_MEM])
        cursor.execute("""
            INSERT INTO learning_events_learnerdailystats (user_id, date, words_practiced, words_correct,
                words_incorrect, unique_words, accuracy, exam_answers, exam_correct, exam_accuracy,
                content_viewed, content_completed, games_completed, sessions, time_spent, exam_seconds,
                reading_seconds, game_seconds, game_score, updated_at)
            SELECT user_id, %s,
                COUNT(*) FILTER (WHERE event_type IN ('word_correct', 'word_incorrect')),
                COUNT(*) FILTER (WHERE event_type = 'word_correct'),
                COUNT(*) FILTER (WHERE event_type = 'word_incorrect'),
                COUNT(DISTINCT (context ->> 'word_id')), NULL,
                COUNT(*) FILTER (WHERE event_type = 'exam_answer'),
                COUNT(*) FILTER (WHERE event_type = 'exam_answer' AND context -> 'correct' = 'true'), NULL,
                COUNT(*) FILTER (WHERE event_type = 'content_view'),
                COUNT(*) FILTER (WHERE event_type = 'content_complete'),
                COUNT(*) FILTER (WHERE event_type = 'game_complete'),
                COUNT(DISTINCT context ->> 'session_id') FILTER (WHERE event_type = 'practice_start'), 0, 0, 0, 0, 0,
                %s
            FROM learning_events_learningevent WHERE occurred_at >= %s AND occurred_at < %s
            GROUP BY user_id
            ON CONFLICT (user_id, date) DO UPDATE SET words_practiced = excluded.words_practiced,
                words_correct = excluded.words_correct, words_incorrect = excluded.words_incorrect,
                unique_words = excluded.unique_words, exam_answers = excluded.exam_answers,
                exam_correct = excluded.exam_correct, content_viewed = excluded.content_viewed,
                content_completed = excluded.content_completed, games_completed = excluded.games_completed,
                sessions = excluded.sessions, updated_at = excluded.updated_at""", [DAY, now, lo, hi])
        cursor.execute("""
            INSERT INTO learning_events_learnerworddailystats (user_id, date, word_id, attempts, correct,
                first_seen, last_seen, last_correct, first_correct, updated_at)
            SELECT user_id, %s, (context ->> 'word_id')::bigint, COUNT(*),
                COUNT(*) FILTER (WHERE event_type = 'word_correct'), MIN(occurred_at), MAX(occurred_at),
                bool_or(event_type = 'word_correct'), bool_and(event_type = 'word_correct'), %s
            FROM learning_events_learningevent
            WHERE occurred_at >= %s AND occurred_at < %s AND event_type IN ('word_correct', 'word_incorrect')
            GROUP BY user_id, (context ->> 'word_id')::bigint
            ON CONFLICT (user_id, date, word_id) DO UPDATE SET attempts = excluded.attempts,
                correct = excluded.correct, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
                last_correct = excluded.last_correct, updated_at = excluded.updated_at""", [DAY, now, lo, hi])


def per_learner(user_ids: list[int]) -> None:
    """The spec's sketch, storing what the raw SQL stores: for each learner, compute the day from their
    events (``aggregate_daily_stats``), store their row, then their word rows (one bulk upsert)."""
    from django.db.models import Count, Max, Min, Q

    from learning_events.aggregation import aggregate_daily_stats
    from learning_events.models import LearnerDailyStats, LearnerWordDailyStats, LearningEvent
    from learning_events.timezones import day_bounds, time_zones_of

    for user_id in user_ids:
        LearnerDailyStats.objects.update_or_create(user_id=user_id, date=DAY,
                                                   defaults=aggregate_daily_stats(user_id, DAY))
        start, end = day_bounds(DAY, time_zones_of([user_id])[user_id])
        words = (LearningEvent.objects.filter(user_id=user_id, occurred_at__gte=start, occurred_at__lt=end,
                                              event_type__in=["word_correct", "word_incorrect"])
                 .values("context__word_id")
                 .annotate(attempts=Count("id"), correct=Count("id", filter=Q(event_type="word_correct")),
                           first=Min("occurred_at"), last=Max("occurred_at")))
        LearnerWordDailyStats.objects.bulk_create(
            [LearnerWordDailyStats(user_id=user_id, date=DAY, word_id=w["context__word_id"],
                                   attempts=w["attempts"], correct=w["correct"], first_seen=w["first"],
                                   last_seen=w["last"], last_correct=True) for w in words],
            update_conflicts=True, unique_fields=["user", "date", "word_id"],
            update_fields=["attempts", "correct", "first_seen", "last_seen", "last_correct"])


def rollup_checksum() -> str:
    """An md5 of every stored rollup row (``updated_at`` left out), table by table, rows in a fixed order."""
    from django.db import connection

    from learning_events import models

    digests = []
    with connection.cursor() as cursor:
        for model in rollup_models(models):
            columns = ", ".join(f.column for f in model._meta.concrete_fields if f.column not in ("id", "updated_at"))
            cursor.execute(f"SELECT md5(COALESCE(string_agg(r::text, '|' ORDER BY r::text), '')) "
                           f"FROM (SELECT {columns} FROM {model._meta.db_table}) AS r")
            digests.append(cursor.fetchone()[0])
    return ":".join(digest[:8] for digest in digests)


def rollup_models(models) -> tuple:
    return (models.LearnerDailyStats, models.LearnerClassroomDailyStats, models.ClassroomDailyStats,
            models.LearnerWordDailyStats, models.LearnerClassroomWordDailyStats, models.ClassroomWordDailyStats)


def truncate_rollups() -> None:
    from django.db import connection

    from learning_events import models

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(model._meta.db_table for model in rollup_models(models)))
        cursor.execute("CHECKPOINT")


def start_workers(count: int, queue: str) -> list[subprocess.Popen]:
    """``count`` Celery worker processes (one task at a time each) on ``queue``, answering a ping."""
    from school.config.celery import app

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]), "DATABASE_CONN_MAX_AGE": "0"}
    workers = [subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "school.config", "worker", "--pool", "solo", "--queues", queue,
         "--hostname", f"bench{n}-{queue}@%h", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL) for n in range(count)]
    deadline = time.monotonic() + 120
    while len(app.control.ping(timeout=0.5, destination=[f"bench{n}-{queue}@{os.uname().nodename}"
                                                          for n in range(count)])) < count:
        if time.monotonic() > deadline:
            stop_workers(workers)
            sys.exit(f"{count} workers did not answer within 120 s")
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(60)


def fan_out_day(learners: int, shard_size: int, queue: str) -> int:
    """Roll up DAY for every learner, fanned out on ``queue``, waiting for the last step; returns the shards."""
    from learning_events import aggregation, tasks

    plan = aggregation.plan_learner_days({(user_id, DAY) for user_id in range(1, learners + 1)},
                                         shard_size=shard_size)
    tasks.fan_out(plan, queue=queue).get(timeout=3600)
    return len(plan.shards)


def fan_out_runs(args, reference: str) -> None:
    """The fan-out leg: each worker count in turn, ``--repeat`` rounds, every run's rows checked."""
    from django.db import connection

    runs: dict[int, list[float]] = {count: [] for count in args.workers}
    shards = 0
    for _ in range(args.repeat):
        for count in args.workers:
            queue = f"bench-rollup-{uuid.uuid4().hex[:8]}"
            workers = start_workers(count, queue)
            try:
                truncate_rollups()
                connection.close()  # the workers' sessions only, while they roll up
                started = time.perf_counter()
                shards = fan_out_day(args.learners, args.shard_size, queue)
                runs[count].append(time.perf_counter() - started)
            finally:
                stop_workers(workers)
            checksum = rollup_checksum()
            if checksum != reference:
                sys.exit(f"fan-out over {count} workers stored other rows: {checksum} != rollup_day's {reference}")
    one = min(runs[args.workers[0]])
    print(f"\nfan-out of the day: {shards} shards of <= {args.shard_size:,} learners, a chord on Redis; "
          f"every run's rows checksum {reference} (= rollup_day's)")
    for count, times in runs.items():
        print(f"  {count} worker{'s' if count > 1 else ' '}   best {min(times):7.2f} s   median "
              f"{statistics.median(times):7.2f} s   {args.workers[0]} worker / {count} = {one / min(times):4.2f}x "
              f"(medians {statistics.median(runs[args.workers[0]]) / statistics.median(times):4.2f}x)")
    print(f"  ({os.cpu_count()} CPUs on this machine, PostgreSQL on the same ones)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=200, help="learners timed for the per-learner leg")
    parser.add_argument("--repeat", type=int, default=3, help="rounds: each leg runs once per round")
    parser.add_argument("--workers", default="1,2,4", help="worker processes of each fan-out run, the first the base")
    parser.add_argument("--shard-size", type=int, default=1250,
                        help="learners per shard of the fan-out (10,000 learners: 9 shards of whole stripes)")
    parser.add_argument("--fan-out-only", action="store_true", help="only the fan-out leg (after one rollup_day)")
    args = parser.parse_args()
    args.workers = [int(n) for n in args.workers.split(",")]
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    ensure_postgres_database(url)
    setup_django(url)
    generate(args.learners)

    from django.db import connection

    from learning_events.aggregation import rollup_day
    from learning_events.models import LearnerDailyStats, LearningEvent

    events = LearningEvent.objects.count()
    summary = {}

    def roll() -> None:
        summary["result"] = rollup_day(DAY)
        summary["rows"] = LearnerDailyStats.objects.count()

    if args.fan_out_only:
        print(f"\nPostgreSQL {connection.pg_version // 10000}, {events:,} events, {args.learners:,} learners, day {DAY}")
        print(f"rollup_day        {timed(roll):7.2f} s (one run, for the reference rows)")
        fan_out_runs(args, rollup_checksum())
        return
    step = max(1, args.learners // args.sample)
    sample = list(range(1, args.learners + 1, step))[: args.sample]
    # The legs take turns, so that a slow spell of this shared machine hits all of them alike.
    rollups, raws, sampled_runs = [], [], []
    for _ in range(args.repeat):
        rollups.append(timed(roll))
        raws.append(timed(raw_sql_counts))
        sampled_runs.append(timed(lambda: per_learner(sample)))
    sampled = min(sampled_runs)
    extrapolated = sampled * args.learners / len(sample)

    rollup, raw = min(rollups), min(raws)
    print(f"\nPostgreSQL {connection.pg_version // 10000}, {events:,} events, {args.learners:,} learners, day {DAY}")
    print(f"rollup_day        best {rollup:7.2f} s   median {statistics.median(rollups):7.2f} s   "
          f"({summary['result'].learner_days:,} learner-days, {summary['result'].classroom_days:,} classroom-days, "
          f"{summary['rows']:,} learner rows)")
    print(f"raw SQL counting  best {raw:7.2f} s   median {statistics.median(raws):7.2f} s   "
          "(learner + learner-word counts, INSERT ... SELECT ... GROUP BY ... ON CONFLICT)")
    print(f"per-learner       {extrapolated:7.2f} s   EXTRAPOLATED from {len(sample)} learners "
          f"timed at best {sampled:.2f} s, median {statistics.median(sampled_runs):.2f} s "
          f"({sampled / len(sample) * 1000:.1f} ms each)")
    median_ratio = statistics.median(sampled_runs) * args.learners / len(sample) / statistics.median(rollups)
    print(f"\nrollup / raw SQL       = {rollup / raw:5.2f}x   (target <= 3x; medians {statistics.median(rollups) / statistics.median(raws):.2f}x)")
    print(f"per-learner / rollup   = {extrapolated / rollup:5.1f}x   (target >= 20x; medians {median_ratio:.1f}x)")
    truncate_rollups()
    timed(roll)
    fan_out_runs(args, rollup_checksum())


if __name__ == "__main__":
    main()
