"""System checks: a misconfigured pipeline fails at start-up, not on the first event."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from .conf import DEFAULTS, app_settings
from .xapi import ACTOR_NAMES, VERSIONS


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
                 "ROLLUP_INTERVAL_SECONDS", "INSIGHTS_MIN_ATTEMPTS", "PARTITIONS_AHEAD_DAYS", "ROLLUP_SHARD_SIZE",
                 "MEMORY_MIN_REVIEWS", "XAPI_BATCH_SIZE", "XAPI_TIMEOUT", "XAPI_INTERVAL_SECONDS",
                 "XAPI_SETTLE_SECONDS"):
        value = app_settings._get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            errors.append(
                checks.Error(
                    f"LEARNING_EVENTS_{name} must be a positive integer (default {DEFAULTS[name]}), not {value!r}",
                    id="learning_events.E002",
                )
            )
    retention = app_settings._get("MEMORY_RETENTION")
    if isinstance(retention, bool) or not isinstance(retention, (int, float)) or not 0 < retention < 1:
        errors.append(
            checks.Error(
                f"LEARNING_EVENTS_MEMORY_RETENTION must be a number strictly between 0 and 1 (default "
                f"{DEFAULTS['MEMORY_RETENTION']}), not {retention!r}",
                id="learning_events.E003",
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
    errors.extend(_check_xapi())
    return errors


def _check_xapi() -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for name, allowed in (("XAPI_ACTOR_NAME", ACTOR_NAMES), ("XAPI_VERSION", VERSIONS)):
        value = app_settings._get(name)
        if value not in allowed:
            errors.append(checks.Error(f"LEARNING_EVENTS_{name} must be one of {', '.join(allowed)}, not {value!r}",
                                       id="learning_events.E003"))
    endpoint = app_settings.XAPI_ENDPOINT
    if not endpoint:
        return errors
    if not app_settings.XAPI_HOME_PAGE:
        errors.append(checks.Error(
            "LEARNING_EVENTS_XAPI_ENDPOINT is set but LEARNING_EVENTS_XAPI_HOME_PAGE is not: statements cannot name "
            "learners' accounts, so nothing would be forwarded.",
            hint="Set LEARNING_EVENTS_XAPI_HOME_PAGE to the platform's IRI, e.g. https://school.example.",
            id="learning_events.E007"))
    if not endpoint.startswith("https://"):
        errors.append(checks.Warning(
            f"LEARNING_EVENTS_XAPI_ENDPOINT {endpoint!r} is not https: the LRS credentials and every statement "
            "travel in clear.", hint="Use the LRS's https URL.", id="learning_events.W002"))
    return errors


ROUTER = "learning_events.replica.ReplicaRouter"
MIDDLEWARE = "learning_events.replica.ReplicaPinMiddleware"


@checks.register()
def check_replica(app_configs, **kwargs):
    """A replica alias needs its router (else nothing reads from it) and its middleware (else a caller could
    read the replica right after their own write)."""
    errors = []
    pin_seconds = app_settings._get("REPLICA_PIN_SECONDS")
    if not isinstance(pin_seconds, int) or isinstance(pin_seconds, bool) or pin_seconds < 0:
        errors.append(checks.Error(
            f"LEARNING_EVENTS_REPLICA_PIN_SECONDS must be an integer >= 0 (default "
            f"{DEFAULTS['REPLICA_PIN_SECONDS']}), not {pin_seconds!r}", id="learning_events.E003"))
    replica = app_settings.REPLICA_DATABASE
    if not replica:
        return errors
    if replica not in settings.DATABASES:
        errors.append(checks.Error(f"LEARNING_EVENTS_REPLICA_DATABASE = {replica!r} is not an alias of DATABASES",
                                   id="learning_events.E004"))
    if ROUTER not in settings.DATABASE_ROUTERS:
        errors.append(checks.Error(f"LEARNING_EVENTS_REPLICA_DATABASE is set but DATABASE_ROUTERS lacks {ROUTER!r}",
                                   hint="Without it every read goes to the primary.", id="learning_events.E005"))
    if MIDDLEWARE not in settings.MIDDLEWARE:
        errors.append(checks.Error(f"LEARNING_EVENTS_REPLICA_DATABASE is set but MIDDLEWARE lacks {MIDDLEWARE!r}",
                                   hint="Without it a user could read the replica right after their own write.",
                                   id="learning_events.E006"))
    return errors
