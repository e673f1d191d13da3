"""``seed_demo``: load the demo school once (people, classrooms, material, two weeks of activity)."""

from django.core.management.base import BaseCommand

from school import demo


class Command(BaseCommand):
    help = ("Load the demo data set once: 2 teachers, 3 classrooms, 60 learners, 500 words, exams, stories, "
            "articles, games, assignments and 14 days of past activity. Does nothing when it is loaded already.")

    def handle(self, *args, **options):
        if demo.demo_present():
            self.stdout.write(f"Demo data already present (user {demo.MARKER_USERNAME!r} exists): nothing changed.")
            return
        summary = demo.build_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {summary.seconds} s."))
        for line in summary.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(
            f"Log in as teacher1 or teacher2, or learner01 to learner{demo.LEARNER_COUNT:02d}, with password "
            f"{demo.DEMO_PASSWORD!r}; the admin is {demo.ADMIN_USERNAME!r} with {demo.ADMIN_PASSWORD!r}.")
