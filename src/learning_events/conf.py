"""Typed settings of the pipeline, read at access time so tests can override them.

Every setting is ``LEARNING_EVENTS_<NAME>`` in the host's settings; the defaults live here only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from django.conf import settings as django_settings
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # "app_label.ModelName" of the host's classroom model (events point at it, SET_NULL).
    "CLASSROOM_MODEL": "classrooms.Classroom",
    # Dotted path of ``f(user) -> iterable of classroom ids`` the user may attach events to.
    "USER_CLASSROOM_IDS": None,
    # Dotted path of ``f(user_ids) -> {user_id: "Area/City"}``; users left out use settings.TIME_ZONE.
    "USER_TIME_ZONES": None,
    # Client batches.
    "BATCH_MAX_EVENTS": 500,
    "BATCH_MAX_BYTES": 1024 * 1024,
    "MAX_CONTEXT_BYTES": 8 * 1024,
    "MAX_FUTURE_SKEW_SECONDS": 5 * 60,
    "MAX_EVENT_AGE_DAYS": 30,
    # Time on task: a gap longer than this between two events of a session is idle time.
    "IDLE_GAP_SECONDS": 10 * 60,
    # Time on task: the longest a timed activity (duration_seconds) counts, and how far beyond a day the
    # rollup looks for the start and end of the sessions crossing it.
    "MAX_SESSION_SECONDS": 6 * 60 * 60,
    # Seconds between two runs of the periodic rollup of dirty days (the host's beat schedule reads it).
    "ROLLUP_INTERVAL_SECONDS": 60,
    # Learners per shard of a fanned-out rollup (the dirty-day and nightly tasks): each shard is one task,
    # one transaction, set-based; more shards, more workers busy at once (docs/scaling.md).
    "ROLLUP_SHARD_SIZE": 2000,
    # PostgreSQL: days after today whose event partitions maintain_partitions creates ahead of need.
    "PARTITIONS_AHEAD_DAYS": 7,
    # PostgreSQL: work_mem of the rollup's transaction (its sorts and hashes stay in memory).
    "ROLLUP_WORK_MEM": "256MB",
    # Dotted path of ``f(user, classroom_id)`` that raises Http404 (unknown classroom) or PermissionDenied
    # (not allowed) unless ``user`` may read the classroom's statistics. Unset: staff only.
    "CLASSROOM_STATS_ACCESS": None,
    # Dotted path of ``f(classroom_id) -> {user_id: display name}``: the classroom's learners, in display
    # order. Unset: the learners with activity in the classroom, named by username.
    "CLASSROOM_MEMBERS": None,
    # Dotted path of ``f(user, learner_id) -> the learner's display name`` that raises Http404 (unknown) or
    # PermissionDenied (not allowed) unless ``user`` may read that learner's statistics and insights.
    # Unset: the learner themself and staff, named by username.
    "LEARNER_ACCESS": None,
    # Insights: the fewest attempts (in the window looked at) that make a word's or a learner's accuracy
    # worth reporting (weakest words, hardest words, accuracy drops).
    "INSIGHTS_MIN_ATTEMPTS": 5,
    # Memory model (docs/memory.md): the predicted recall at which a word falls due, and the predictable
    # reviews (reviews after a word's first) a learner needs before their own parameters are fitted.
    "MEMORY_RETENTION": 0.9,
    "MEMORY_MIN_REVIEWS": 100,
    # Exports.
    "EXPORT_SALT": None,
    # Dotted path of ``f(word_ids) -> {word_id: {"text": ..., "translation": ..., "language": "es"}}`` in one
    # query, ids of deleted words left out: how insights, the hardest-words API and trace exports name words.
    # None: words go by id only (text, translation and language null).
    "WORD_NAMES": None,
    # The older, language-only form: ``f(word_ids) -> {word_id: "es"}`` (ISO 639-1), used while WORD_NAMES is
    # unset (text and translation then stay null).
    "WORD_LANGUAGES": None,
    # Alias (in DATABASES) of a read replica that the read API, the dashboards and the exports read from
    # (learning_events.replica: its router and middleware must be installed too). None: everything on default.
    "REPLICA_DATABASE": None,
    # Seconds a user's reads stay on the primary after a request of theirs that wrote (read your own writes
    # despite the replica's lag); 0: never pinned.
    "REPLICA_PIN_SECONDS": 5,
    # xAPI (docs/xapi.md). The IRI of the platform that names learners' accounts (actor.account.homePage):
    # needed by the xapi export and by forwarding.
    "XAPI_HOME_PAGE": None,
    # Base IRI of the activity ids (``<base>/words/7``); None: ``<home page>/xapi/activities``.
    "XAPI_ACTIVITY_BASE": None,
    # What names a learner's account: "pseudonym" (the exports' keyed pseudonym) or "username".
    "XAPI_ACTOR_NAME": "pseudonym",
    # Whether what a learner typed (a context's ``answer``) goes out as ``result.response``.
    "XAPI_INCLUDE_RESPONSES": False,
    # Forwarding to a learning record store: its xAPI base URL (``POST <endpoint>/statements``); None: off.
    "XAPI_ENDPOINT": None,
    "XAPI_USERNAME": None,
    "XAPI_PASSWORD": None,
    # The X-Experience-API-Version header: "1.0.3" or "2.0.0".
    "XAPI_VERSION": "1.0.3",
    # Statements per POST, seconds a POST may take, seconds between runs of the forwarding task (also each
    # run's time budget), and how long an event id that is missing (a transaction still open, or rolled back)
    # holds back the events stored after it.
    "XAPI_BATCH_SIZE": 100,
    "XAPI_TIMEOUT": 10,
    "XAPI_INTERVAL_SECONDS": 30,
    "XAPI_SETTLE_SECONDS": 300,
}


@dataclass(frozen=True)
class Settings:
    """Attribute access to the pipeline's settings, falling back to DEFAULTS."""

    def _get(self, name: str) -> Any:
        return getattr(django_settings, f"LEARNING_EVENTS_{name}", DEFAULTS[name])

    @property
    def CLASSROOM_MODEL(self) -> str:
        return self._get("CLASSROOM_MODEL")

    @property
    def BATCH_MAX_EVENTS(self) -> int:
        return int(self._get("BATCH_MAX_EVENTS"))

    @property
    def BATCH_MAX_BYTES(self) -> int:
        return int(self._get("BATCH_MAX_BYTES"))

    @property
    def MAX_CONTEXT_BYTES(self) -> int:
        return int(self._get("MAX_CONTEXT_BYTES"))

    @property
    def MAX_FUTURE_SKEW(self) -> timedelta:
        return timedelta(seconds=int(self._get("MAX_FUTURE_SKEW_SECONDS")))

    @property
    def MAX_EVENT_AGE(self) -> timedelta:
        return timedelta(days=int(self._get("MAX_EVENT_AGE_DAYS")))

    @property
    def IDLE_GAP(self) -> timedelta:
        return timedelta(seconds=int(self._get("IDLE_GAP_SECONDS")))

    @property
    def MAX_SESSION(self) -> timedelta:
        return timedelta(seconds=int(self._get("MAX_SESSION_SECONDS")))

    @property
    def ROLLUP_SHARD_SIZE(self) -> int:
        return int(self._get("ROLLUP_SHARD_SIZE"))

    @property
    def PARTITIONS_AHEAD_DAYS(self) -> int:
        return int(self._get("PARTITIONS_AHEAD_DAYS"))

    @property
    def INSIGHTS_MIN_ATTEMPTS(self) -> int:
        return int(self._get("INSIGHTS_MIN_ATTEMPTS"))

    @property
    def MEMORY_RETENTION(self) -> float:
        return float(self._get("MEMORY_RETENTION"))

    @property
    def MEMORY_MIN_REVIEWS(self) -> int:
        return int(self._get("MEMORY_MIN_REVIEWS"))

    @property
    def ROLLUP_WORK_MEM(self) -> str:
        return str(self._get("ROLLUP_WORK_MEM"))

    @property
    def REPLICA_DATABASE(self) -> str | None:
        return self._get("REPLICA_DATABASE") or None

    @property
    def REPLICA_PIN_SECONDS(self) -> int:
        return int(self._get("REPLICA_PIN_SECONDS"))

    @property
    def XAPI_HOME_PAGE(self) -> str | None:
        return self._get("XAPI_HOME_PAGE") or None

    @property
    def XAPI_ACTIVITY_BASE(self) -> str | None:
        base = self._get("XAPI_ACTIVITY_BASE")
        if base:
            return str(base).rstrip("/")
        home = self.XAPI_HOME_PAGE
        return f"{home.rstrip('/')}/xapi/activities" if home else None

    @property
    def XAPI_ACTOR_NAME(self) -> str:
        return str(self._get("XAPI_ACTOR_NAME"))

    @property
    def XAPI_INCLUDE_RESPONSES(self) -> bool:
        return bool(self._get("XAPI_INCLUDE_RESPONSES"))

    @property
    def XAPI_ENDPOINT(self) -> str | None:
        endpoint = self._get("XAPI_ENDPOINT")
        return str(endpoint).rstrip("/") if endpoint else None

    @property
    def XAPI_CREDENTIALS(self) -> tuple[str, str] | None:
        username = self._get("XAPI_USERNAME")
        return (str(username), str(self._get("XAPI_PASSWORD") or "")) if username else None

    @property
    def XAPI_VERSION(self) -> str:
        return str(self._get("XAPI_VERSION"))

    @property
    def XAPI_BATCH_SIZE(self) -> int:
        return int(self._get("XAPI_BATCH_SIZE"))

    @property
    def XAPI_TIMEOUT(self) -> float:
        return float(self._get("XAPI_TIMEOUT"))

    @property
    def XAPI_INTERVAL(self) -> timedelta:
        return timedelta(seconds=int(self._get("XAPI_INTERVAL_SECONDS")))

    @property
    def XAPI_SETTLE(self) -> timedelta:
        return timedelta(seconds=int(self._get("XAPI_SETTLE_SECONDS")))

    @property
    def EXPORT_SALT(self) -> bytes:
        salt = self._get("EXPORT_SALT")
        if salt:
            return str(salt).encode()
        # Derived, never the secret key itself: an export must not help anyone guess the key.
        return hashlib.sha256(b"learning-events-export:" + django_settings.SECRET_KEY.encode()).digest()

    @property
    def user_classroom_ids(self) -> Callable[[Any], Any] | None:
        path = self._get("USER_CLASSROOM_IDS")
        return import_string(path) if path else None

    @property
    def word_names(self) -> Callable[[list[int]], dict[int, dict[str, str | None]]] | None:
        path = self._get("WORD_NAMES")
        return import_string(path) if path else None

    @property
    def word_languages(self) -> Callable[[list[int]], dict[int, str]] | None:
        path = self._get("WORD_LANGUAGES")
        return import_string(path) if path else None

    @property
    def user_time_zones(self) -> Callable[[Any], dict[int, str]] | None:
        path = self._get("USER_TIME_ZONES")
        return import_string(path) if path else None

    @property
    def classroom_stats_access(self) -> Callable[[Any, int], Any] | None:
        path = self._get("CLASSROOM_STATS_ACCESS")
        return import_string(path) if path else None

    @property
    def learner_access(self) -> Callable[[Any, int], str] | None:
        path = self._get("LEARNER_ACCESS")
        return import_string(path) if path else None

    @property
    def classroom_members(self) -> Callable[[int], dict[int, str]] | None:
        path = self._get("CLASSROOM_MEMBERS")
        return import_string(path) if path else None


app_settings = Settings()
