"""``replay_rejected``: re-ingest the dead letters of rejected client events that now pass validation."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from learning_events import services
from learning_events.models import RejectedEvent


class Command(BaseCommand):
    help = (
        "Re-ingest pending dead letters (rejected client events) that pass validation now, e.g. after the "
        "learner joined the classroom or the catalogue learned a new type. Each is judged against its own "
        "sent_at and received_at (clock skew, age window). Stored ones are marked replayed; the others stay "
        "pending, unchanged. Safe to run twice. See docs/ingest.md."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--reason", choices=RejectedEvent.Reason.values,
                            help="Only dead letters rejected for this reason.")
        parser.add_argument("--user", type=int, metavar="ID", help="Only this user's dead letters.")

    def handle(self, *args, **options) -> None:
        letters = RejectedEvent.objects.all()
        if options["reason"]:
            letters = letters.filter(reason=options["reason"])
        if options["user"] is not None:
            letters = letters.filter(user_id=options["user"])
        pending = letters.filter(replayed_at__isnull=True).count()
        if not pending:
            self.stdout.write("No pending dead letters.")
            return
        self.stdout.write(f"Replaying {pending} pending dead letter(s)...")
        report = services.replay_rejected(letters)
        self.stdout.write(self.style.SUCCESS(
            f"Replayed {report.replayed} dead letter(s); {report.pending} still pending."))
