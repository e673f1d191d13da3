"""``rebuild_memory``: recompute the memory model's states from the stored reviews, and optionally refit it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from learning_events import memory


class Command(BaseCommand):
    help = ("Recompute every learner-word's memory state (FSRS) from the reviews the rollups store, replacing "
            "the stored states (days rolled up before reviews were stored are rolled up again first). "
            "--learner ID (repeatable) limits it to those learners; --refit also refits the learners' "
            "parameters and the calibration first.")

    def add_arguments(self, parser):
        parser.add_argument("--learner", type=int, action="append", dest="learners", metavar="ID",
                            help="a learner's user id (repeatable; default: every learner)")
        parser.add_argument("--refit", action="store_true",
                            help="refit the parameters and the calibration before rebuilding")

    def handle(self, *args, **options):
        learners = options["learners"]
        if learners is not None and any(pk <= 0 for pk in learners):
            raise CommandError("--learner takes positive user ids")
        if options["refit"]:
            if learners is not None:
                raise CommandError("--refit fits every learner at once: it does not go with --learner")
            summary = memory.refit_memory()
            self.stdout.write(
                f"Refitted: {summary.learners_fitted} learner(s) with their own scale, from {summary.reviews} "
                f"predictable reviews; calibration slope {summary.calibration.slope:.3f}, intercept "
                f"{summary.calibration.intercept:.3f}.")
        written = memory.rebuild_memory(learners)
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {written} memory state(s)."))
