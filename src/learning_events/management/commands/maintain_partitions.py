"""``maintain_partitions``: create the event partitions ahead of need (what the hourly task does) and show
them. PostgreSQL only; on SQLite the events are a plain table and there is nothing to do."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from learning_events import partitions


class Command(BaseCommand):
    help = ("PostgreSQL: create the daily partitions of the events table from the oldest day a client may "
            "still send to LEARNING_EVENTS_PARTITIONS_AHEAD_DAYS after today, as the periodic task "
            "learning_events.maintain_partitions does, and report them. See docs/ingest.md.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--list", action="store_true", help="Also list every partition with its bounds.")

    def handle(self, *args, **options) -> None:
        if not partitions.is_partitioned():
            self.stdout.write("The events are a plain table on this database (SQLite): nothing to do.")
            return
        done = partitions.maintain_partitions()
        self.stdout.write(self.style.SUCCESS(
            f"Created {len(done.created)} partition(s){': ' + ', '.join(done.created) if done.created else ''}. "
            f"The events table has {done.partitions} partition(s)."))
        if done.crowds_lock_table:
            self.stdout.write(self.style.WARNING(
                f"A statement reading every partition (deleting a learner, say) locks about {done.relations} "
                f"relations, more than half of this server's lock table ({done.lock_slots}): raise "
                "max_locks_per_transaction or purge old events."))
        if options["list"]:
            for partition in partitions.list_partitions():
                lo = "(the beginning)" if partition.lo is None else f"{partition.lo:%Y-%m-%d %H:%M}"
                hi = "(no end)" if partition.hi is None else f"{partition.hi:%Y-%m-%d %H:%M}"
                self.stdout.write(f"{partition.name}: {lo} to {hi} UTC")
