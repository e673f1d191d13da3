"""System checks: a misconfigured pipeline fails at start-up, not on the first event."""

from django.core import checks
from django.utils.module_loading import import_string

from .conf import DEFAULTS, app_settings


@checks.register()
def check_settings(app_configs, **kwargs):
    errors = []
    for name in ("USER_CLASSROOM_IDS", "USER_TIME_ZONES", "WORD_NAMES", "WORD_LANGUAGES", "CLASSROOM_STATS_ACCESS",
                 "CLASSROOM_MEMBERS", "LEARNER_ACCESS"):
        path = app_settings._get(name)
        if path:
            try:
                import_string(path)
            except ImportError as exc:
                errors.append(
                    checks.Error(
                        f"LEARNING_EVENTS_{name} = {path!r} cannot be imported: {exc}",
                        id="learning_events.E001",
                    )
                )
    for name in ("BATCH_MAX_EVENTS", "BATCH_MAX_BYTES", "MAX_CONTEXT_BYTES", "IDLE_GAP_SECONDS",
                 "MAX_EVENT_AGE_DAYS", "MAX_FUTURE_SKEW_SECONDS", "MAX_SESSION_SECONDS",
                 "ROLLUP_INTERVAL_SECONDS", "INSIGHTS_MIN_ATTEMPTS", "PARTITIONS_AHEAD_DAYS", "ROLLUP_SHARD_SIZE"):
        value = app_settings._get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            errors.append(
                checks.Error(
                    f"LEARNING_EVENTS_{name} must be a positive integer (default {DEFAULTS[name]}), not {value!r}",
                    id="learning_events.E002",
                )
            )
    if app_settings._get("WORD_NAMES") and app_settings._get("WORD_LANGUAGES"):
        errors.append(
            checks.Warning(
                "LEARNING_EVENTS_WORD_LANGUAGES is ignored while LEARNING_EVENTS_WORD_NAMES is set: the names "
                "carry the language.",
                hint="Remove LEARNING_EVENTS_WORD_LANGUAGES.",
                id="learning_events.W001",
            )
        )
    return errors
