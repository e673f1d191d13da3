"""Settings of the school platform, configured by environment variables (see README, "Configuration")."""

from datetime import timedelta
from pathlib import Path
import os

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the repository root


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_count(name: str, default: int, *, minimum: int = 1) -> int:
    """A whole number of at least ``minimum`` from the environment; anything else stops the start with the reason."""
    value = os.environ.get(name, str(default)).strip()
    if not value.isdigit() or int(value) < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}, not {value!r}.")
    return int(value)


def env_rate(name: str, default: str) -> str | None:
    """A DRF throttle rate such as "120/min" from the environment; "" or "none" turns the limit off."""
    value = os.environ.get(name, default).strip()
    return None if value.lower() in {"", "none"} else value


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list from the environment, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

# --- production: HTTPS, cookies, headers (docs/security.md, "Production settings"; make check-deploy)
# Deployed: the site answers for a host other than this machine (or DJANGO_DEPLOYED says so). `make run` on
# 127.0.0.1 over plain http is not deployed and keeps the development defaults below.
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "::1", "[::1]"}
DEPLOYED = env_bool("DJANGO_DEPLOYED", any(host not in LOCAL_HOSTS for host in ALLOWED_HOSTS))
if DEPLOYED and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a long random value (at least 50 characters, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`) when the site is deployed "
        f"(DJANGO_ALLOWED_HOSTS={','.join(ALLOWED_HOSTS)}): it signs sessions and password-reset links."
    )
# Served over HTTPS: plain-http requests are redirected, cookies are only sent over HTTPS, HSTS is sent.
HTTPS = env_bool("DJANGO_HTTPS", DEPLOYED)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# Behind a proxy that terminates TLS: trust its X-Forwarded-Proto header (only if the proxy always sets it
# and strips the client's own, otherwise a client could claim HTTPS).
if env_bool("DJANGO_SECURE_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_count("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading asks browsers to hard-code HTTPS for the domain, which is slow to undo: opt-in, and the deploy
# check's reminder about it (security.W021) is silenced while it is off.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Origins (scheme://host[:port]) whose unsafe requests are trusted besides the site's own host: another
# front-end domain, or a proxy that rewrites the Host header.
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Content Security Policy (django-csp): everything from the site itself, inline scripts and styles only
# with the request's nonce (`request.csp_nonce`), never framed (docs/security.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],  # data: the blank favicon, and the icons inside the admin's and API docs' CSS
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
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
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a refused sign-in on the login pages into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "school.config.urls"
WSGI_APPLICATION = "school.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "school" / "templates"],  # the project's overrides of libraries' templates
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

# A read replica (a PostgreSQL streaming standby of the primary): with DATABASE_REPLICA_URL, the read API, the
# dashboards and the exports read from it; writes, ingest, Celery tasks and a caller's reads for
# DATABASE_REPLICA_PIN_SECONDS after their own write go to the primary (learning_events.replica,
# docs/replica.md). Unset: no second alias, no router, nothing changes.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    # Tests create no database for it: it is the replica of the primary's test database (same name).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["learning_events.replica.ReplicaRouter"]
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                      "learning_events.replica.ReplicaPinMiddleware")
    LEARNING_EVENTS_REPLICA_DATABASE = "replica"
    LEARNING_EVENTS_REPLICA_PIN_SECONDS = env_count("DATABASE_REPLICA_PIN_SECONDS", 5, minimum=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    # Not a rule: Django tells validators of every password change; this one revokes the person's API tokens.
    {"NAME": "school.accounts.password_change.RevokeTokensOnPasswordChange"},
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
        "knox.auth.TokenAuthentication",  # `Authorization: Token <token>`, stored hashed (REST_KNOX below)
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

# --- accounts: sign-in throttling and API tokens (docs/security.md, "Accounts and tokens") -------------
AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in to a locked account or from a locked address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins (login page, admin login, POST /api/v1/auth/token/) counted per account and per client address,
# each against its own limit (school/accounts/lockout.py): one child cannot lock out a school behind one NAT.
LOGIN_FAILURES_PER_ACCOUNT = env_count("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = env_count("LOGIN_FAILURES_PER_ADDRESS", 100)
# Trusted reverse proxies in front of the server, each appending to X-Forwarded-For; 0: the peer's own address.
LOGIN_PROXY_COUNT = env_count("LOGIN_PROXY_COUNT", 0, minimum=0)
AXES_HANDLER = "school.accounts.lockout.AccountAndAddressHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # separately: either one reaching its limit locks
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT  # the admin's "attempts remaining" column of an attempt
AXES_COOLOFF_TIME = timedelta(minutes=env_count("LOGIN_LOCKOUT_MINUTES", 15))  # counted from the last failure
# The failure that reaches a limit is answered like any other; the next attempt is refused (N failures allowed).
AXES_LOCK_OUT_AT_FAILURE = False
# Attempts refused during a lockout are not counted, so the lockout ends on time for the account's owner.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "school.accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "school.accounts.lockout.locked_out_page"
# Failures are kept (admin: Access attempts); successful sign-ins are not, which would open a session per token.
AXES_DISABLE_ACCESS_LOG = True

# API tokens (django-rest-knox): only a SHA-512 digest is stored; each expires API_TOKEN_TTL_DAYS after sign-in.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_count("API_TOKEN_TTL_DAYS", 30)),
    "AUTH_HEADER_PREFIX": "Token",
}
# Live tokens a person may hold (one per sign-in, e.g. per device); signing in beyond it revokes the oldest.
API_TOKENS_PER_USER = env_count("API_TOKENS_PER_USER", 20)

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
    # The API docs page loads Swagger UI from this site (drf-spectacular-sidecar's static files), not from a
    # CDN: the Content Security Policy allows only the site itself.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
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
LEARNING_EVENTS_XAPI_INTERVAL_SECONDS = env_count("LEARNING_EVENTS_XAPI_INTERVAL_SECONDS", 30)
# Learners per shard of the fanned-out dirty-day and nightly rollups (docs/scaling.md).
LEARNING_EVENTS_ROLLUP_SHARD_SIZE = env_count("LEARNING_EVENTS_ROLLUP_SHARD_SIZE", 2000)
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
    # The memory model takes in the learner-days rolled up since its last run (docs/memory.md).
    "learning-events-update-memory": {
        "task": "learning_events.update_memory",
        "schedule": LEARNING_EVENTS_ROLLUP_INTERVAL_SECONDS,
    },
    # Nightly, after the nightly rollup: every learner's memory parameters and the calibration, refitted.
    "learning-events-refit-memory": {
        "task": "learning_events.refit_memory",
        "schedule": crontab(hour=1, minute=0),
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

# xAPI statements (export format xapi) and forwarding to a learning record store (docs/xapi.md).
LEARNING_EVENTS_XAPI_HOME_PAGE = os.environ.get("LEARNING_EVENTS_XAPI_HOME_PAGE") or None
LEARNING_EVENTS_XAPI_ACTIVITY_BASE = os.environ.get("LEARNING_EVENTS_XAPI_ACTIVITY_BASE") or None
LEARNING_EVENTS_XAPI_ACTOR_NAME = os.environ.get("LEARNING_EVENTS_XAPI_ACTOR_NAME") or "pseudonym"
LEARNING_EVENTS_XAPI_INCLUDE_RESPONSES = env_bool("LEARNING_EVENTS_XAPI_INCLUDE_RESPONSES", False)
LEARNING_EVENTS_XAPI_ENDPOINT = os.environ.get("LEARNING_EVENTS_XAPI_ENDPOINT") or None
LEARNING_EVENTS_XAPI_USERNAME = os.environ.get("LEARNING_EVENTS_XAPI_USERNAME") or None
LEARNING_EVENTS_XAPI_PASSWORD = os.environ.get("LEARNING_EVENTS_XAPI_PASSWORD") or None
LEARNING_EVENTS_XAPI_VERSION = os.environ.get("LEARNING_EVENTS_XAPI_VERSION") or "1.0.3"
LEARNING_EVENTS_XAPI_BATCH_SIZE = env_count("LEARNING_EVENTS_XAPI_BATCH_SIZE", 100)
LEARNING_EVENTS_XAPI_TIMEOUT = env_count("LEARNING_EVENTS_XAPI_TIMEOUT", 10)
LEARNING_EVENTS_XAPI_SETTLE_SECONDS = env_count("LEARNING_EVENTS_XAPI_SETTLE_SECONDS", 300)
if LEARNING_EVENTS_XAPI_ENDPOINT:
    # Events stored since the last run go to the LRS; the run itself never takes longer than the interval.
    CELERY_BEAT_SCHEDULE["learning-events-forward-xapi"] = {
        "task": "learning_events.forward_xapi",
        "schedule": LEARNING_EVENTS_XAPI_INTERVAL_SECONDS,
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "school.config.log_filters.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-axes: failed sign-ins and lockouts (WARNING) are kept; each success and clean-up (INFO) is not.
        "axes": {"level": "WARNING"},
        # 403/404 pages: one line each, no traceback (school/config/log_filters.py).
        "django.request": {"filters": ["client_errors_without_traceback"]},
    },
}
