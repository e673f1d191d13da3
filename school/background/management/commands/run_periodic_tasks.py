"""Run the Celery beat schedule in this process: the embedded default's background work, with no broker.

With ``CELERY_BROKER_URL`` unset, tasks are eager (they run where they are sent); this loop sends each
scheduled task when it is due, so periodic rollups happen in `make run` just as under `celery beat`.
"""

import logging
import signal
import time

from celery.schedules import schedule as celery_schedule
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from school.config.celery import app

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run CELERY_BEAT_SCHEDULE in-process (no broker needed). Stops on SIGTERM or Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send every scheduled task once, then stop.")
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between checks (default 1).")

    def handle(self, *args, once: bool = False, tick: float = 1.0, **options):
        entries = {}
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            every = entry["schedule"]
            entries[name] = (entry, every if hasattr(every, "is_due") else celery_schedule(every))
        last_run = {name: timezone.now() for name in entries}
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        if once:
            for name, (entry, _) in entries.items():
                self._send(name, entry)
            return
        self.stdout.write(f"Running {len(entries)} periodic task(s) in-process: {', '.join(entries) or 'none'}")
        while not stopping:
            for name, (entry, every) in entries.items():
                due, _ = every.is_due(last_run[name])
                if due:
                    last_run[name] = timezone.now()
                    self._send(name, entry)
            try:
                time.sleep(tick)
            except KeyboardInterrupt:
                break

    def _send(self, name, entry):
        close_old_connections()
        try:
            # Celery's apply() runs the task here and now, whatever the broker settings.
            app.tasks[entry["task"]].apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}), throw=True)
        except Exception:  # one failing run must not stop the schedule; the next tick retries
            logger.exception("periodic task %s failed", name)
        finally:
            close_old_connections()
