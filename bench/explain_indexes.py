"""EXPLAIN ANALYZE of the pipeline's main reads of raw events on PostgreSQL: are the indexes used?

Loads ``--events`` synthetic events (server mix, 10,000 learners over 28 days) into the benchmark
database with ``services.log_events``, runs ANALYZE, then prints the plan of each query the pipeline runs
on ``learning_events_learningevent``, written as the pipeline's code writes it::

    .venv/bin/python bench/explain_indexes.py            # DATABASE_URL as in bench/ingest.py

The output is quoted in docs/ingest.md ("Indexes").
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest as bench  # noqa: E402  (bench/ingest.py: database set-up and synthetic events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--learners", type=int, default=10_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", bench.DEFAULT_URL)
    bench.ensure_postgres_database(url)
    bench.setup_django(url)

    from django.db import connection

    from learning_events.models import LearningEvent

    learners, _, rooms = bench.ensure_learners(args.learners)
    now = datetime.now(UTC)
    buffers = bench.make_buffers(bench.server_events, learners, rooms, max(1, args.events // args.learners),
                                 args.events, now, seed=3)
    bench.leg_bulk(buffers, chunk=5000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {LearningEvent._meta.db_table}")

    rng = random.Random(4)
    learner, sample = rng.choice(buffers)
    day = datetime.fromisoformat(sample[0]["occurred_at"]).replace(hour=0, minute=0, second=0, microsecond=0)
    events = LearningEvent.objects.all()
    queries = {
        "A learner's local day (rollups, time on task, traces)":
            events.filter(user_id=learner, occurred_at__gte=day - timedelta(hours=6),
                          occurred_at__lt=day + timedelta(hours=30))
            .values_list("event_type", "occurred_at", "classroom_id", "context"),
        "Everyone's events of one day (exports, day windows)":
            events.filter(occurred_at__gte=day, occurred_at__lt=day + timedelta(days=1)).order_by("occurred_at", "id"),
        "A classroom's events of one week (classroom exports and views)":
            events.filter(classroom_id=rooms[learner], occurred_at__gte=day - timedelta(days=7),
                          occurred_at__lt=day).order_by("occurred_at", "id"),
        "event_id lookup of a retried batch (duplicates vs conflicts)":
            events.filter(event_id__in=[e["event_id"] for e in sample[:20]])
            .values_list("event_id", "user_id", "event_type", "context", "classroom_id"),
        "The spec's query: a learner's events of one type since a time":
            events.filter(user_id=learner, event_type="word_correct", created_at__gte=now - timedelta(days=1)),
        "Purge: events older than 27 days": events.filter(occurred_at__lt=now - timedelta(days=27)).values("id"),
    }
    total = LearningEvent.objects.count()
    print(f"{total} events, {len(buffers)} learners with events; PostgreSQL {connection.pg_version}\n")
    for title, queryset in queries.items():
        print(f"-- {title}")
        print(queryset.explain(analyze=True, costs=False, timing=False, summary=False))
        print()


if __name__ == "__main__":
    main()
