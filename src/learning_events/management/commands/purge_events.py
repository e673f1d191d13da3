"""``purge_events --older-than DAYS``: delete raw events (and dead letters) older than DAYS days, keeping
the rollups true (see ``learning_events.lifecycle``)."""

from __future__ import annotations

from argparse import ArgumentTypeError
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from learning_events import lifecycle
from learning_events.aggregation import first_recomputable_day


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise ArgumentTypeError(f"{value!r} must be at least 1")
    return number


class Command(BaseCommand):
    help = ("Delete the learning events that occurred more than DAYS days ago, and the dead letters received "
            "then. The rollups of those days are kept as they are and are never recomputed again.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=_positive_int, required=True, metavar="DAYS",
                            help=f"age in days (at least {lifecycle.minimum_retention_days()}, the window in "
                                 "which clients may still send events)")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
        parser.add_argument("--chunk-size", type=_positive_int, default=lifecycle.PURGE_CHUNK,
                            help=f"rows deleted per transaction (default {lifecycle.PURGE_CHUNK})")

    def handle(self, *args, **options):
        minimum = lifecycle.minimum_retention_days()
        if options["older_than"] < minimum:
            raise CommandError(f"--older-than must be at least {minimum} days: clients may still send events "
                               "that old, and the days they change must stay open to rollups")
        before = timezone.now() - timedelta(days=options["older_than"])
        counts = lifecycle.purge_counts(before)
        what = (f"{counts.events} event(s) that occurred before {before:%Y-%m-%d %H:%M} UTC and "
                f"{counts.dead_letters} dead letter(s) received before then")
        if options["dry_run"]:
            self.stdout.write(f"Would delete {what}.")
            return
        total = counts.events + counts.dead_letters
        # tqdm redraws its bar with carriage returns: write to the raw stream, past OutputWrapper's newlines.
        with tqdm(total=total, desc="purging", unit="row", disable=options["verbosity"] == 0,
                  file=self.stderr._out) as bar:
            try:
                purge = lifecycle.purge_events(before=before, chunk_size=options["chunk_size"], progress=bar.update)
            except lifecycle.PurgeRefused as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Deleted {purge.events_deleted} event(s) and {purge.dead_letters_deleted} dead letter(s) from before "
            f"{before:%Y-%m-%d %H:%M} UTC; dropped {purge.dirty_days_dropped} pending rollup(s) of frozen days. "
            f"Rollups of the days before {first_recomputable_day()} are kept as they are."))
