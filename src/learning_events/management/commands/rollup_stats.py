"""``rollup_stats``: recompute stored rollups from the events, for one day or a range of days (backfill)."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from learning_events.aggregation import RollupSummary, first_recomputable_day, rollup_day, rollup_dirty_days


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = ("Recompute the learner, classroom and word rollups of local days from the events: "
            "--date D, or --since D [--until D] (inclusive; --until defaults to yesterday in UTC), "
            "or --dirty (the days that received events since their last rollup).")

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--date", type=str, help="one day, YYYY-MM-DD")
        group.add_argument("--since", type=str, help="first day, YYYY-MM-DD")
        group.add_argument("--dirty", action="store_true",
                           help="roll up now the days marked dirty by new events (what the periodic task does)")
        parser.add_argument("--until", type=str, help="last day, YYYY-MM-DD (with --since)")

    def handle(self, *args, **options):
        until = options["until"]
        if options["dirty"]:
            if until is not None:
                raise CommandError("--until goes with --since, not with --dirty")
            total = rollup_dirty_days()
            self.stdout.write(self.style.SUCCESS(
                f"Rolled up the dirty days: {total.learner_days} learner-days and "
                f"{total.classroom_days} classroom-days recomputed."))
            return
        if options["date"] is not None:
            if until is not None:
                raise CommandError("--until goes with --since, not with --date")
            first = last = _iso_date(options["date"])
        else:
            first = _iso_date(options["since"])
            last = _iso_date(until) if until else timezone.now().date() - timedelta(days=1)
        if last < first:
            raise CommandError(f"--until {last} is before --since {first}")
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        open_from = first_recomputable_day()
        if open_from is not None and first < open_from:
            frozen = (min(last, open_from - timedelta(days=1)) - first).days + 1
            self.stdout.write(self.style.WARNING(
                f"{frozen} day(s) before {open_from} are left as they are: their events were purged "
                "(purge_events), so their rollups cannot be recomputed."))
        total = RollupSummary()
        # tqdm redraws its bar with carriage returns: write to the raw stream, past OutputWrapper's newlines.
        for day in tqdm(days, desc="rolling up", unit="day", disable=options["verbosity"] == 0,
                        file=self.stderr._out):
            total += rollup_day(day)
        self.stdout.write(self.style.SUCCESS(
            f"Rolled up {len(days)} day(s) from {first} to {last}: "
            f"{total.learner_days} learner-days and {total.classroom_days} classroom-days recomputed."))
