"""Ingest benchmark: the same synthetic events loaded several ways on PostgreSQL, with events/s and ratios.

1. ``COPY``: raw psycopg COPY of ready-made rows into a table identical to the events table (partitioned
   by day like it, the same indexes, each partition's own primary key and unique ``event_id``, the same
   foreign keys): the physical limit of this database on this machine.
2. ``bulk``: ``learning_events.services.log_events`` (the server's bulk form), one call per chunk, each
   learner's buffer in turn (a call holds one learner's events, or a few learners').
3. ``bulk, spread``: the same, all buffers in time order, so that each call holds events of as many
   learners as it has events (``--spread-chunks``, default 500 and 5,000 events a call).
4. ``HTTP``: ``POST /api/v1/events/batch/`` served by gunicorn (sync workers) to concurrent clients,
   each request one learner's buffer of up to ``--batch`` events, token-authenticated.

The COPY and bulk legs take turns for ``--repeat`` rounds (medians compared); HTTP runs once.
Each leg starts from an empty (truncated) table, after a CHECKPOINT. Only client-observable types are
used in all three legs, so they load the very same events (the batch endpoint refuses server-graded
types); ``--server-mix`` adds a fourth line: bulk with the realistic server mix (word and exam answers
too) against its own COPY. Run (see bench/README.md)::

    make bench-ingest                      # or: .venv/bin/python bench/ingest.py [--events 200000] ...

``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/learning_events_bench``) is created if
missing and migrated. The bench users (``bench-learner-N``) are created once and kept.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from benchdb import ensure_postgres_database, setup_django  # noqa: E402
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/learning_events_bench"
TIME_ZONES = ["Europe/Madrid", "America/Lima", "Asia/Kolkata", "UTC", "Australia/Sydney", "America/New_York"]
LEARNERS_PER_CLASSROOM = 100


def ensure_learners(count: int) -> tuple[list[int], dict[int, str], dict[int, int]]:
    """``(learner ids, {id: token}, {id: classroom id})`` for ``count`` bench learners, created once; their API
    tokens are issued anew on each run (only digests are stored, so last run's tokens cannot be read back)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from knox.models import AuthToken, get_digest_token
    from knox.settings import CONSTANTS, knox_settings

    from school.accounts.models import LearnerProfile
    from school.classrooms.models import Classroom, Membership

    User = get_user_model()
    teacher, _ = User.objects.get_or_create(username="bench-teacher")
    existing = User.objects.filter(username__startswith="bench-learner-").count()
    if existing < count:
        t0 = time.perf_counter()
        users = User.objects.bulk_create(
            [User(username=f"bench-learner-{i}", password="!") for i in range(existing, count)], batch_size=2000)
        LearnerProfile.objects.bulk_create(
            [LearnerProfile(user=u, display_name=u.username, time_zone=TIME_ZONES[u.pk % len(TIME_ZONES)])
             for u in users], batch_size=2000)
        rooms_needed = -(-count // LEARNERS_PER_CLASSROOM)
        rooms = list(Classroom.objects.filter(teacher=teacher).order_by("id"))
        rooms += Classroom.objects.bulk_create(
            [Classroom(name=f"Bench {i}", teacher=teacher, join_code=f"B{i:07d}")
             for i in range(len(rooms), rooms_needed)])
        Membership.objects.bulk_create(
            [Membership(classroom=rooms[(existing + k) // LEARNERS_PER_CLASSROOM], student=u)
             for k, u in enumerate(users)], batch_size=2000)
        from django.db import connection

        with connection.cursor() as cursor:  # statistics, as a live database has them
            cursor.execute("ANALYZE")
        print(f"created {len(users)} bench learners in {time.perf_counter() - t0:.1f}s")
    learners = list(User.objects.filter(username__startswith="bench-learner-").order_by("id")
                    .values_list("id", flat=True)[:count])
    AuthToken.objects.filter(user_id__in=learners).delete()
    issued = {learner: get_digest_token() for learner in learners}  # (digest, token), as knox's own admin makes
    expiry = timezone.now() + knox_settings.TOKEN_TTL
    AuthToken.objects.bulk_create([AuthToken(digest=digest, token_key=token[:CONSTANTS.TOKEN_KEY_LENGTH],
                                             user_id=learner, expiry=expiry)
                                   for learner, (digest, token) in issued.items()], batch_size=2000)
    tokens = {learner: token for learner, (_, token) in issued.items()}
    rooms = dict(Membership.objects.filter(student_id__in=learners).values_list("student_id", "classroom_id"))
    return learners, tokens, rooms


def client_events(rng: random.Random, start: datetime, count: int, classroom_id: int) -> list[dict]:
    """One learner's buffered client events in time order: practice sessions, reading, games."""
    events: list[dict] = []
    at = start
    while len(events) < count:
        room = classroom_id if rng.random() < 0.8 else None
        kind = rng.random()
        if kind < 0.4:
            session, words = str(uuid.UUID(int=rng.getrandbits(128))), rng.randint(1, 40)
            pair = [("practice_start", {"session_id": session, "word_list_id": words}),
                    ("practice_end", {"session_id": session, "word_list_id": words})]
        elif kind < 0.8:
            content = {"content_id": rng.randint(1, 500), "content_type": rng.choice(["story", "article"])}
            pair = [("content_view", content),
                    ("content_complete", {**content, "duration_seconds": round(rng.uniform(30, 900), 1)})]
        else:
            pair = [("game_complete", {"game_id": rng.randint(1, 50), "score": rng.randint(0, 100),
                                       "duration_seconds": rng.randint(20, 400),
                                       "word_ids": rng.sample(range(1, 3000), 6)})]
        for event_type, context in pair:
            at += timedelta(seconds=rng.randint(5, 300))
            events.append({"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "event_type": event_type,
                           "occurred_at": at.isoformat(), "context": context, "classroom_id": room})
    return events[:count]


def server_events(rng: random.Random, start: datetime, count: int, classroom_id: int) -> list[dict]:
    """One learner's events as the server logs them: graded flashcards and exam answers among the rest."""
    events: list[dict] = []
    at = start
    while len(events) < count:
        at += timedelta(seconds=rng.randint(2, 60))
        kind = rng.random()
        if kind < 0.6:
            event_type, context = rng.choice(["word_correct", "word_incorrect"]), {
                "word_id": rng.randint(1, 3000), "session_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "response_ms": rng.randint(300, 9000)}
        elif kind < 0.75:
            event_type, context = "exam_answer", {"exam_id": rng.randint(1, 80), "question_id": rng.randint(1, 2000),
                                                  "submission_id": rng.randint(1, 10**6), "correct": rng.random() < 0.7}
        else:
            event = client_events(rng, at, 1, classroom_id)[0]
            event_type, context = event["event_type"], event["context"]
        events.append({"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "event_type": event_type,
                       "occurred_at": at.isoformat(), "context": context, "classroom_id": classroom_id})
    return events


def make_buffers(make, learners: list[int], rooms: dict[int, int], per_learner: int, total: int, now: datetime,
                 seed: int) -> list[tuple[int, list[dict]]]:
    """``[(learner id, events)]``: ``total`` events, ``per_learner`` each, spread over the last 28 days."""
    rng = random.Random(seed)
    buffers = []
    for n, learner in enumerate(learners):
        remaining = total - n * per_learner
        if remaining <= 0:
            break
        start = now - timedelta(days=28) + timedelta(seconds=rng.randint(0, 20 * 86400))
        buffers.append((learner, make(rng, start, min(per_learner, remaining), rooms[learner])))
    return buffers


def truncate_and_checkpoint(*tables: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
        cursor.execute("CHECKPOINT")


def leg_copy(buffers, created_at: datetime) -> float:
    """Seconds to COPY the events into ``bench_copy``, a clone of the events table (one transaction)."""
    from django.db import connection, transaction

    rows = [(e["event_id"], user_id, e["event_type"], json.dumps(e["context"], separators=(",", ":")),
             e["classroom_id"], datetime.fromisoformat(e["occurred_at"]), created_at)
            for user_id, events in buffers for e in events]
    clone_events_table("bench_copy", {row[5] for row in rows})
    truncate_and_checkpoint("bench_copy")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy("COPY bench_copy (event_id, user_id, event_type, context, classroom_id, "
                                "occurred_at, created_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    seconds = time.perf_counter() - started
    assert count_rows("bench_copy") == len(rows)
    return seconds


def clone_events_table(name: str, instants) -> None:
    """(Re)create ``name`` as the events table is on PostgreSQL: partitioned by UTC day on occurred_at, the
    same indexes and foreign keys, each partition with its own primary key and unique event_id, one
    partition for each day of ``instants``. COPY into it is what the physical limit of an insert into the
    events table is."""
    from django.db import connection

    from learning_events import partitions

    table = partitions.table()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING ALL) PARTITION BY RANGE (occurred_at)")
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                       "AND contype = 'f'", [table])
        for (definition,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {name} ADD {definition}")
        for day in sorted({partitions.utc_day(instant) for instant in instants}):
            part = f"{name}_p{day:%Y%m%d}"
            cursor.execute(f"CREATE TABLE {part} (LIKE {name})")
            cursor.execute(f"ALTER TABLE {part} ADD PRIMARY KEY (id), ADD UNIQUE (event_id)")
            cursor.execute(f"ALTER TABLE {name} ATTACH PARTITION {part} FOR VALUES FROM (%s) TO (%s)",
                           [partitions.day_start(day), partitions.day_start(day + partitions.DAY)])


def leg_bulk(buffers, chunk: int, *, spread: bool = False) -> float:
    """Seconds for ``log_events`` to store the events, ``chunk`` per call (one transaction each): each
    learner's buffer in turn, or, ``spread``, all of them in time order (each call holds many learners)."""
    from learning_events import partitions, services

    items = [{"user": user_id, "event_type": e["event_type"], "context": e["context"],
              "classroom": e["classroom_id"], "occurred_at": datetime.fromisoformat(e["occurred_at"]),
              "event_id": e["event_id"]}
             for user_id, events in buffers for e in events]
    if spread:
        items.sort(key=lambda item: item["occurred_at"])
    partitions.ensure_partitions(item["occurred_at"] for item in items)  # as the periodic task keeps them
    truncate_and_checkpoint("learning_events_learningevent", "learning_events_dirtyday")
    started = time.perf_counter()
    stored = sum(services.log_events(items[i:i + chunk]) for i in range(0, len(items), chunk))
    seconds = time.perf_counter() - started
    assert stored == len(items) == count_rows("learning_events_learningevent"), stored
    return seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(conn: http.client.HTTPConnection, token: str, body: bytes) -> dict:
    conn.request("POST", "/api/v1/events/batch/", body=body, headers={
        "Authorization": f"Token {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {data[:300]!r}")
    return json.loads(data)


def leg_http(buffers, tokens: dict[int, str], url: str, *, batch: int, workers: int, clients: int) -> float:
    """Seconds for concurrent clients to POST every buffer (in batches) to gunicorn."""
    now = datetime.now(UTC).isoformat()
    bodies = [(tokens[user_id], json.dumps({"sent_at": now, "events": events[i:i + batch]}).encode(),
               len(events[i:i + batch]))
              for user_id, events in buffers for i in range(0, len(events), batch)]
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "school.config.settings",
           "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}", "DATABASE_CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "school.config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync", "--log-level", "warning"], env=env, cwd=ROOT)
    try:
        wait_for(port)
        # Warm every worker (imports, database connection) with a few requests, then start from empty.
        learner = buffers[-1][0]
        warm = json.dumps({"events": [{"event_type": "content_view",
                                       "context": {"content_id": 1, "content_type": "story"}}]}).encode()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda _: post(http.client.HTTPConnection("127.0.0.1", port), tokens[learner], warm),
                          range(4 * workers)))
        truncate_and_checkpoint("learning_events_learningevent", "learning_events_dirtyday")
        queue = iter(bodies)
        lock = threading.Lock()
        accepted = []

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                token, body, size = item
                result = post(conn, token, body)
                if result["accepted"] != size:
                    raise RuntimeError(f"accepted {result['accepted']} of {size}: {result['rejected'][:2]}")
                accepted.append(result["accepted"])

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            for future in [pool.submit(client) for _ in range(clients)]:
                future.result()
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    total = sum(size for _, _, size in bodies)
    assert sum(accepted) == total == count_rows("learning_events_learningevent")
    return seconds


def wait_for(port: int) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def count_rows(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="Events per leg (default 200,000).")
    parser.add_argument("--learners", type=int, default=10_000, help="Bench learners (default 10,000).")
    parser.add_argument("--per-learner", type=int, default=None,
                        help="Events in each learner's buffer (default: events / learners).")
    parser.add_argument("--batch", type=int, default=500, help="Events per HTTP request at most (default 500).")
    parser.add_argument("--bulk-chunk", type=int, default=500, help="Events per log_events call (default 500).")
    parser.add_argument("--spread-chunks", default="500,5000",
                        help="Events per log_events call of the spread legs, comma-separated (default 500,5000).")
    parser.add_argument("--repeat", type=int, default=3,
                        help="Rounds of the COPY and bulk legs, taking turns (default 3); HTTP runs once.")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3).")
    parser.add_argument("--clients", type=int, default=4, help="Concurrent HTTP clients (default 4).")
    parser.add_argument("--server-mix", action="store_true",
                        help="Also time bulk against COPY with the server's mix (word and exam answers too).")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        parser.error(f"DATABASE_URL must be PostgreSQL, not {url!r}")
    per_learner = args.per_learner or max(1, args.events // args.learners)
    spread_chunks = [int(size) for size in args.spread_chunks.split(",") if size]

    ensure_postgres_database(url)
    setup_django(url)
    learners, tokens, rooms = ensure_learners(args.learners)
    now = datetime.now(UTC)
    buffers = make_buffers(client_events, learners, rooms, per_learner, args.events, now, seed=1)
    total = sum(len(events) for _, events in buffers)
    print(f"{total} client events of {len(buffers)} learners ({per_learner} each; {len(learners)} bench learners), "
          f"HTTP: batches of <= {args.batch}, {args.workers} gunicorn sync workers, {args.clients} clients; "
          f"bulk: log_events per {args.bulk_chunk} events, each learner's buffer in turn; spread: all buffers "
          f"in time order, per {', '.join(map(str, spread_chunks))} events; {args.repeat} rounds")

    legs = {"COPY": lambda: leg_copy(buffers, now), "bulk": lambda: leg_bulk(buffers, args.bulk_chunk)}
    for size in spread_chunks:
        legs[f"bulk, spread, per {size}"] = lambda size=size: leg_bulk(buffers, size, spread=True)
    runs: dict[str, list[float]] = {name: [] for name in legs}
    for _ in range(args.repeat):  # taking turns: a slow spell of this shared machine hits every leg alike
        for name, leg in legs.items():
            runs[name].append(leg())
    runs["HTTP"] = [leg_http(buffers, tokens, url, batch=args.batch, workers=args.workers, clients=args.clients)]
    copy_rate = total / statistics.median(runs["COPY"])
    print(f"{'path':<26}{'median s':>9}{'events/s':>12}{'x COPY':>9}   runs (s)")
    for name, seconds in runs.items():
        rate = total / statistics.median(seconds)
        print(f"{name:<26}{statistics.median(seconds):>9.2f}{rate:>12,.0f}{rate / copy_rate:>9.2f}   "
              f"{', '.join(f'{s:.2f}' for s in seconds)}")
    if args.server_mix:
        mix = make_buffers(server_events, learners, rooms, per_learner, args.events, now, seed=2)
        copy_seconds, bulk_seconds = leg_copy(mix, now), leg_bulk(mix, args.bulk_chunk)
        for name, seconds in (("COPY, server mix", copy_seconds), ("bulk, server mix", bulk_seconds)):
            rate = total / seconds
            print(f"{name:<26}{seconds:>9.2f}{rate:>12,.0f}{copy_seconds / seconds:>9.2f}")


if __name__ == "__main__":
    main()
