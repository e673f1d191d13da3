"""Django app configuration of the learning-events pipeline."""

from django.apps import AppConfig


class LearningEventsConfig(AppConfig):
    name = "learning_events"
    verbose_name = "Learning events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from . import tasks  # noqa: F401  (registers the Celery tasks in every process, not only workers)
