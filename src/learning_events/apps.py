"""Django app configuration of the learning-events pipeline."""

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import pre_delete


class LearningEventsConfig(AppConfig):
    name = "learning_events"
    verbose_name = "Learning events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from . import tasks  # noqa: F401  (registers the Celery tasks in every process, not only workers)
        from .conf import app_settings
        from .lifecycle import before_classroom_deleted, before_learner_deleted

        # Deleting a learner takes their share out of the classroom rollups (docs/security.md); deleting a
        # learner or a classroom waits for a running rollup.
        pre_delete.connect(before_learner_deleted, sender=settings.AUTH_USER_MODEL,
                           dispatch_uid="learning_events.before_learner_deleted")
        pre_delete.connect(before_classroom_deleted, sender=app_settings.CLASSROOM_MODEL,
                           dispatch_uid="learning_events.before_classroom_deleted")
