"""Settings of the school platform, configured by environment variables (see README, "Configuration")."""

from pathlib import Path
import os

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the repository root


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_rate(name: str, default: str) -> str | None:
    """A DRF throttle rate such as "120/min" from the environment; "" or "none" turns the limit off."""
    value = os.environ.get(name, default).strip()
    return None if value.lower() in {"", "none"} else value


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-change-me")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "learning_events",
    "school.accounts",
    "school.classrooms",
    "school.vocabulary",
    "school.exams",
    "school.reading",
    "school.games",
    "school.dashboards",
    "school.background",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "school.config.urls"
WSGI_APPLICATION = "school.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A persistent connection the database dropped (a restart, a failover) is found dead at the start of
        # the next request and reopened, instead of failing that request (docs/reliability.md).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers and the in-process background work share one SQLite file:
    # WAL lets readers run beside the single writer, and a busy timeout queues writers instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["school.api.parsers.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "school.api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "school.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "school.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Per-user limits of the costly endpoints (429 with Retry-After beyond them); "" or "none": no limit.
    "DEFAULT_THROTTLE_RATES": {
        "events_ingest": env_rate("RATE_LIMIT_EVENTS_INGEST", "120/min"),
        "exports": env_rate("RATE_LIMIT_EXPORTS", "10/min"),
    },
}

# The rate limits' counters must be shared by every gunicorn worker (and every host): Redis when CACHE_URL
# names one, else the database (its table is made by `migrate`: school/background/migrations).
if os.environ.get("CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["CACHE_URL"]}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache",
                          "OPTIONS": {"MAX_ENTRIES": 10_000}}}

SPECTACULAR_SETTINGS = {
    "TITLE": "Learning Events",
    "DESCRIPTION": "A language-learning platform and its learning-events capture and aggregation pipeline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "QuestionKindEnum": "school.exams.models.Question.Kind",
        "ContentKindEnum": "school.reading.models.Content.Kind",
        "GameKindEnum": "school.games.models.Game.Kind",
    },
}

# --- background work -------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or None
# Without a broker every task runs in-process, at the moment it is sent (the embedded default).
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
# The fanned-out rollups are chords (docs/scaling.md), which need a result backend: the broker's Redis unless
# another is set.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
# A task whose pool process died (SIGKILL, the OOM killer) goes back to the queue instead of being failed:
# every task is idempotent, so running it again is always right (docs/reliability.md).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis: a task taken by a worker that died unacknowledged is delivered again once this many seconds have
# passed since it was taken; it must exceed the longest task (a longer one would run twice at once).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
LEARNING_EVENTS_ROLLUP_INTERVAL_SECONDS = int(os.environ.get("LEARNING_EVENTS_ROLLUP_INTERVAL_SECONDS", "60"))
# Learners per shard of the fanned-out dirty-day and nightly rollups (docs/scaling.md).
LEARNING_EVENTS_ROLLUP_SHARD_SIZE = int(os.environ.get("LEARNING_EVENTS_ROLLUP_SHARD_SIZE", "2000"))
CELERY_BEAT_SCHEDULE: dict = {
    # Days that received events since the last run: late batches show within one period.
    "learning-events-rollup-dirty-days": {
        "task": "learning_events.rollup_dirty_days",
        "schedule": LEARNING_EVENTS_ROLLUP_INTERVAL_SECONDS,
    },
    # Nightly, for everyone active: the local day that just ended (learners' days end at different hours).
    "learning-events-rollup-previous-local-day": {
        "task": "learning_events.rollup_previous_local_day",
        "schedule": crontab(hour=0, minute=15),
    },
    # PostgreSQL: the event partitions of the coming days, created ahead of need (nothing on SQLite).
    "learning-events-maintain-partitions": {
        "task": "learning_events.maintain_partitions",
        "schedule": crontab(minute=5),
    },
}

# --- the pipeline -----------------------------------------------------------------------------------
LEARNING_EVENTS_CLASSROOM_MODEL = "classrooms.Classroom"
LEARNING_EVENTS_USER_CLASSROOM_IDS = "school.classrooms.selectors.member_classroom_ids"
LEARNING_EVENTS_USER_TIME_ZONES = "school.accounts.selectors.time_zones_of_users"
LEARNING_EVENTS_CLASSROOM_STATS_ACCESS = "school.classrooms.selectors.classroom_for_teacher"
LEARNING_EVENTS_CLASSROOM_MEMBERS = "school.classrooms.selectors.member_names"
LEARNING_EVENTS_LEARNER_ACCESS = "school.classrooms.selectors.learner_name_for_viewer"
LEARNING_EVENTS_EXPORT_SALT = os.environ.get("LEARNING_EVENTS_EXPORT_SALT") or None
LEARNING_EVENTS_WORD_NAMES = "school.vocabulary.selectors.word_names"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "school.config.log_filters.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # 403/404 pages: one line each, no traceback (school/config/log_filters.py).
        "django.request": {"filters": ["client_errors_without_traceback"]},
    },
}
