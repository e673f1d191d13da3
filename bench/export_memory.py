"""Benchmark: exports stream, so their memory stays flat whatever their size.

Fills the PostgreSQL database ``learning_events_bench_export`` (once; ``--refill`` to redo it) with
1,000,000 events over ten UTC days, 100,000 a day, generated inside PostgreSQL with ``generate_series``.
Then, each in a fresh subprocess, exports one day (100k events) and all ten days (1M events) and reports
the growth of the process's peak resident memory during the export (``ru_maxrss`` after minus before,
so it counts pyarrow's native buffers too), the time taken and rows per second, and the 1M/100k ratio of
peak memory: about 1 means flat.

    .venv/bin/python bench/export_memory.py [--formats jsonl,parquet] [--kinds events,traces]

``BENCH_DATABASE_URL`` overrides the server (default postgres://postgres@127.0.0.1:5432/<that name>).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from benchdb import ensure_postgres_database, setup_django  # noqa: E402
DATABASE_NAME = "learning_events_bench_export"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASE_NAME}")
EVENTS, DAYS, LEARNERS, WORDS, CLASSROOMS = 1_000_000, 10, 1000, 500, 20
FIRST_DAY = "2026-01-01"
SIZES = {100_000: ("2026-01-01", "2026-01-01"), EVENTS: ("2026-01-01", "2026-01-10")}


def fill(refill: bool) -> None:
    """Learners, classrooms and words through the ORM; the million events in one INSERT ... SELECT."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from learning_events import partitions
    from learning_events.models import LearningEvent
    from school.classrooms.models import Classroom
    from school.vocabulary.models import Word

    if not refill and LearningEvent.objects.count() == EVENTS:
        return
    started = time.perf_counter()
    User = get_user_model()
    with transaction.atomic():
        LearningEvent.objects.all().delete()
        Classroom.objects.all().delete()
        Word.objects.all().delete()
        User.objects.filter(username__startswith="bench-").delete()
        teacher = User.objects.create(username="bench-teacher")
        users = User.objects.bulk_create(User(username=f"bench-learner-{n}") for n in range(LEARNERS))
        classrooms = Classroom.objects.bulk_create(
            Classroom(name=f"Bench class {n}", teacher=teacher, language="es", join_code=f"BN{n:06d}")
            for n in range(CLASSROOMS))
        words = Word.objects.bulk_create(
            Word(text=f"w{n}", translation=f"t{n}", language=("es", "fr")[n % 2]) for n in range(WORDS))
        first = date.fromisoformat(FIRST_DAY)
        partitions.ensure_days(first + timedelta(days=n) for n in range(DAYS))
        with connection.cursor() as cursor:
            # Event i: learner i % 1000 at 00:00 + i * 864 ms (100k a UTC day); 70% graded word answers.
            cursor.execute(
                """
                INSERT INTO learning_events_learningevent
                    (user_id, event_type, context, classroom_id, created_at, event_id, occurred_at)
                SELECT u.ids[1 + i %% %(learners)s],
                       CASE WHEN i %% 10 < 4 THEN 'word_correct' WHEN i %% 10 < 7 THEN 'word_incorrect'
                            ELSE 'content_view' END,
                       CASE WHEN i %% 10 < 7 THEN jsonb_build_object(
                                'word_id', w.ids[1 + (i / %(learners)s) %% %(words)s],
                                'session_id', md5('s' || (i / 20000)::text)::uuid::text,
                                'response_ms', 400 + i %% 3000,
                                'answer', 'typed text')
                            ELSE jsonb_build_object('content_id', i %% 50, 'content_type', 'story') END,
                       c.ids[1 + (i %% %(learners)s) %% %(classrooms)s],
                       %(start)s::timestamptz + i * interval '864 milliseconds',
                       md5('e' || i::text)::uuid,
                       %(start)s::timestamptz + i * interval '864 milliseconds'
                FROM generate_series(0, %(events)s - 1) AS i,
                     (SELECT %(user_ids)s::bigint[] AS ids) AS u,
                     (SELECT %(word_ids)s::bigint[] AS ids) AS w,
                     (SELECT %(classroom_ids)s::bigint[] AS ids) AS c
                """,
                {"learners": LEARNERS, "words": WORDS, "classrooms": CLASSROOMS, "events": EVENTS,
                 "start": f"{FIRST_DAY}T00:00:00Z", "user_ids": [u.pk for u in users],
                 "word_ids": [w.pk for w in words], "classroom_ids": [c.pk for c in classrooms]},
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE learning_events_learningevent")
    print(f"filled {EVENTS:,} events in {time.perf_counter() - started:.1f} s", flush=True)


def run_one(kind: str, fmt: str, since: str, until: str) -> None:
    """In a fresh process: export once, print rows, seconds and peak-memory growth as JSON."""
    setup_django(DATABASE_URL, migrate=False)
    from learning_events import exports

    build = {"events": exports.events_export, "traces": exports.traces_export}[kind]
    with tempfile.TemporaryDirectory() as directory:
        output = os.path.join(directory, f"export.{fmt}")
        # Warm up: imports, the connection, the code paths (an empty day), so the baseline is the process's own.
        exports.write(build(exports.parse_filters(since="2000-01-01", until="2000-01-01")), fmt, output)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        rows = exports.write(build(exports.parse_filters(since=since, until=until)), fmt, output)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = os.path.getsize(output)
    print(json.dumps({"rows": rows, "seconds": seconds, "base_kib": before, "growth_kib": peak - before,
                      "bytes": size}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--formats", default="jsonl,parquet", help="comma-separated (default jsonl,parquet)")
    parser.add_argument("--kinds", default="events,traces", help="comma-separated (default events,traces)")
    parser.add_argument("--refill", action="store_true", help="regenerate the events")
    parser.add_argument("--run", nargs=4, metavar=("KIND", "FORMAT", "SINCE", "UNTIL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(*args.run)
        return
    ensure_postgres_database(DATABASE_URL)
    setup_django(DATABASE_URL)
    fill(args.refill)
    print(f"{'export':<8} {'format':<8} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'file MB':>8} "
          f"{'base MB':>8} {'peak growth MB':>15}")
    for kind in args.kinds.split(","):
        for fmt in args.formats.split(","):
            growth = {}
            for events, (since, until) in SIZES.items():
                out = subprocess.run([sys.executable, __file__, "--run", kind, fmt, since, until],
                                     check=True, capture_output=True, text=True).stdout
                result = json.loads(out.strip().splitlines()[-1])
                growth[events] = result["growth_kib"]
                print(f"{kind:<8} {fmt:<8} {result['rows']:>10,} {result['seconds']:>8.1f} "
                      f"{result['rows'] / result['seconds']:>9,.0f} {result['bytes'] / 2**20:>8.1f} "
                      f"{result['base_kib'] / 1024:>8.1f} {result['growth_kib'] / 1024:>15.1f}", flush=True)
            ratio = growth[EVENTS] / max(growth[100_000], 1)
            print(f"{kind:<8} {fmt:<8} peak memory growth 1M / 100k events: {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
