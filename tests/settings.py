"""Minimal settings for the pipeline's own suite: the pipeline plus a stand-in host, never the school."""

import os

import dj_database_url

SECRET_KEY = "pipeline-tests"
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "knox",
    "learning_events",
    "tests.testapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "learning_events.replica.ReplicaPinMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.contrib.auth.context_processors.auth",
                                       "django.contrib.messages.context_processors.messages"]},
}]
ROOT_URLCONF = "tests.urls"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or "sqlite:///:memory:")}
# The replica's alias: the real streaming replica when DATABASE_REPLICA_URL names one, else a second connection
# to the test database itself (routing is then still observable per alias). Tests create no database for it.
DATABASES["replica"] = {
    **dj_database_url.parse(os.environ.get("DATABASE_REPLICA_URL") or os.environ.get("DATABASE_URL")
                            or "sqlite:///:memory:"),
    "TEST": {"MIRROR": "default"},
}
DATABASE_ROUTERS = ["learning_events.replica.ReplicaRouter"]
LEARNING_EVENTS_REPLICA_DATABASE = "replica"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    # The pipeline's views authenticate as the host says; these are the school's (knox: hashed, expiring tokens).
    "DEFAULT_AUTHENTICATION_CLASSES": ["knox.auth.TokenAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
CELERY_TASK_ALWAYS_EAGER = True
LEARNING_EVENTS_CLASSROOM_MODEL = "testapp.Room"
LEARNING_EVENTS_USER_CLASSROOM_IDS = "tests.testapp.models.room_ids_of"
LEARNING_EVENTS_USER_TIME_ZONES = "tests.testapp.models.time_zones_of"
LEARNING_EVENTS_CLASSROOM_STATS_ACCESS = "tests.testapp.models.room_for_teacher"
LEARNING_EVENTS_CLASSROOM_MEMBERS = "tests.testapp.models.room_member_names"
LEARNING_EVENTS_LEARNER_ACCESS = "tests.testapp.models.learner_name_for"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests
