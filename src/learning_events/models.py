"""Stored data of the pipeline: raw learning events, the dead letters of rejected ones, and the rollups.

The raw ``LearningEvent`` is the spec's model plus ``event_id`` (the idempotency key) and
``occurred_at`` (when the learner acted; ``created_at`` stays the time the server stored it).
Rollups are derived data: every row can be recomputed from the events (see ``aggregation``).

Ready to shard by learner: every table of a model with a ``user`` field has the user id in its primary key
and in every unique constraint (``tests/test_shard_keys.py`` checks it against the database). Where Django
knows the primary key as ``id``, the database's key is ``(id, user_id)`` on PostgreSQL (migration 0011):
``id`` stays unique through its sequence and leads the key, so lookups by ``id`` keep their index, and a
learner-sharded PostgreSQL (Citus) finds its distribution column in every key (docs/scaling.md).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import event_types
from .conf import app_settings


class LearningEvent(models.Model):
    # No single-column index on either foreign key: the composite indexes below start with them and serve
    # the same lookups (and the cascades), and every index less is work less on each insert
    # (docs/ingest.md, "Indexes", has the EXPLAIN plans).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_events",
                             db_index=False)
    EVENT_TYPES = event_types.CHOICES
    event_type = models.CharField(max_length=30, choices=EVENT_TYPES)
    context = models.JSONField(default=dict)  # word_id, exam_id, session_id, ... (see event_types)
    classroom = models.ForeignKey(
        app_settings.CLASSROOM_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The idempotency key of the learner's events: unique per learner, (event_id, user) (docs/ingest.md).
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # On PostgreSQL the events table is partitioned and this constraint is each partition's own (migration
        # 0011, ``partitions``): a partitioned table's unique indexes would have to include ``occurred_at``.
        constraints = [models.UniqueConstraint(fields=["event_id", "user"], name="le_event_user_event_id_unique")]
        indexes = [
            models.Index(fields=["user", "event_type", "created_at"]),
            # A learner's events in time order: per-learner days, time on task, traces.
            models.Index(fields=["user", "occurred_at"], name="le_user_occurred_idx"),
            # All events of a time window: day rollups for everyone, exports, purges.
            models.Index(fields=["occurred_at"], name="le_occurred_idx"),
            # A classroom's events in time order: classroom exports and views.
            models.Index(fields=["classroom", "occurred_at"], name="le_classroom_occurred_idx"),
        ]
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.event_type} by user {self.user_id} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class RejectedEvent(models.Model):
    """The dead letter of a client event that was not stored: kept whole, so that nothing is lost."""

    class Reason(models.TextChoices):
        INVALID = "invalid", "Invalid event"
        CONFLICT = "conflict", "event_id already stored with other content"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rejected_events")
    payload = models.JSONField(help_text="The event exactly as the client sent it.")
    batch_index = models.PositiveIntegerField(help_text="Position of the event in its batch.")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    errors = models.JSONField(default=dict)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="The batch's sent_at, for clock-skew repair.")
    received_at = models.DateTimeField(default=timezone.now)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replayed_event_id = models.UUIDField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["replayed_at", "received_at"], name="le_rejected_pending_idx")]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason} event #{self.batch_index} from user {self.user_id} at {self.received_at:%Y-%m-%d %H:%M}"


class DirtyDay(models.Model):
    """A (learner, local day) whose rollups must be recomputed because events arrived for it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    date = models.DateField()
    marked_at = models.DateTimeField(default=timezone.now)
    # Set while a fanned-out rollup holds the mark (``aggregation.plan_dirty_days``): other fan-outs leave it
    # alone until then. Marking the day again clears it, so the new events are never waited on.
    taken_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="le_dirty_day_unique")]
        indexes = [models.Index(fields=["marked_at"], name="le_dirty_day_marked_idx")]

    def __str__(self) -> str:
        return f"user {self.user_id} on {self.date:%Y-%m-%d}"


def rollup_key(to: str) -> models.ForeignKey:
    """A rollup row's foreign key to a user or a classroom: deleting the target deletes the row.

    No index of its own: each leads its row's unique constraint, which serves as its index (one index
    less to maintain on every rollup write). No database-level constraint (``db_constraint=False``): a
    day's rollup writes hundreds of thousands of rows, and checking each against its target at commit
    cost more than writing them (docs/aggregation.md). Integrity holds without it: rows are only written
    for learners and classrooms with events (whose own keys are checked), deleting a user or a classroom
    deletes their rows (Django's cascade), and the deletion takes the rollup lock first, so no rollup can
    write rows for a learner or a classroom being deleted (``lifecycle.before_learner_deleted``,
    ``lifecycle.before_classroom_deleted``).
    """
    return models.ForeignKey(to, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)


class ActivityFigures(models.Model):
    """The daily figures shared by learner and classroom rollups."""

    date = models.DateField()
    words_practiced = models.PositiveIntegerField(default=0)
    words_correct = models.PositiveIntegerField(default=0)
    words_incorrect = models.PositiveIntegerField(default=0)
    unique_words = models.PositiveIntegerField(default=0)
    accuracy = models.FloatField(null=True, blank=True)
    exam_answers = models.PositiveIntegerField(default=0)
    exam_correct = models.PositiveIntegerField(default=0)
    exam_accuracy = models.FloatField(null=True, blank=True)
    content_viewed = models.PositiveIntegerField(default=0)
    content_completed = models.PositiveIntegerField(default=0)
    games_completed = models.PositiveIntegerField(default=0)
    sessions = models.PositiveIntegerField(default=0)
    time_spent = models.PositiveIntegerField(default=0, help_text="Seconds of time on task.")
    # Per-activity time: the declared durations of the day's timed events, each capped at MAX_SESSION and
    # counted whole on the day the event occurred (not merged, not split: see docs/aggregation.md).
    exam_seconds = models.PositiveIntegerField(default=0, help_text="Seconds declared by the day's exam answers.")
    reading_seconds = models.PositiveIntegerField(
        default=0, help_text="Seconds declared by the day's content views and completions.")
    game_seconds = models.PositiveIntegerField(default=0, help_text="Seconds declared by the day's completed games.")
    game_score = models.FloatField(default=0.0, help_text="Sum of the scores of the day's completed games.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class LearnerDailyStats(ActivityFigures):
    user = rollup_key(settings.AUTH_USER_MODEL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="le_learner_day_unique")]
        indexes = [models.Index(fields=["date"], name="le_learner_day_date_idx")]
        ordering = ["user_id", "date"]
        verbose_name_plural = "learner daily stats"


class ClassroomDailyStats(ActivityFigures):
    classroom = rollup_key(app_settings.CLASSROOM_MODEL)
    active_learners = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "date"], name="le_classroom_day_unique")]
        ordering = ["classroom_id", "date"]
        verbose_name_plural = "classroom daily stats"


class LearnerClassroomDailyStats(ActivityFigures):
    """One learner's figures on one local day, counting only the events attached to one classroom."""

    user = rollup_key(settings.AUTH_USER_MODEL)
    classroom = rollup_key(app_settings.CLASSROOM_MODEL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["classroom", "date", "user"], name="le_learner_classroom_day_unique")
        ]
        indexes = [models.Index(fields=["user", "date"], name="le_learner_classroom_user_idx")]
        ordering = ["classroom_id", "date", "user_id"]
        verbose_name_plural = "learner classroom daily stats"


class LearnerWordDailyStats(models.Model):
    """One learner's attempts at one word on one local day; all-time figures are sums of these.

    Keyed by (user, date, word_id) itself, with no ``id``: a day's rollup writes hundreds of thousands of
    these rows, and one index less to fill is about a fifth of their insert time (docs/aggregation.md).
    """

    pk = models.CompositePrimaryKey("user", "date", "word_id")
    user = rollup_key(settings.AUTH_USER_MODEL)
    date = models.DateField()
    word_id = models.BigIntegerField()
    attempts = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    last_correct = models.BooleanField()
    # The day's first answer: the day's review for the memory model (docs/memory.md). Null only on rows
    # rolled up before the column existed (``rebuild_memory`` rolls those days up again).
    first_correct = models.BooleanField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "learner word daily stats"


class LearnerClassroomWordDailyStats(models.Model):
    """One learner's attempts at one word inside one classroom on one local day.

    A classroom-word day is the sum of these rows over the classroom's learners: the learner rollups, one
    shard of learners at a time, write them, and the classroom rollup reads them back
    (``aggregation.rollup_classroom_days``), so classroom rows never need the events of every learner at
    once (docs/scaling.md). Keyed by its own columns, classroom and day first, as the classroom rollup reads
    them (no ``id`` and no other index: each index less is work less on every rollup); a learner's rows of
    a day are found through their learner-classroom rows (``aggregation._Dialect.delete_learner_room_words``).
    """

    pk = models.CompositePrimaryKey("classroom", "date", "user", "word_id")
    user = rollup_key(settings.AUTH_USER_MODEL)
    date = models.DateField()
    classroom = rollup_key(app_settings.CLASSROOM_MODEL)
    word_id = models.BigIntegerField()
    attempts = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "learner classroom word daily stats"


class ClassroomWordDailyStats(models.Model):
    """Attempts at one word inside one classroom on one day (learners' local days)."""

    classroom = rollup_key(app_settings.CLASSROOM_MODEL)
    date = models.DateField()
    word_id = models.BigIntegerField()
    attempts = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    learners = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["classroom", "date", "word_id"], name="le_classroom_word_day_unique")
        ]
        verbose_name_plural = "classroom word daily stats"


class EventPurge(models.Model):
    """One run of ``purge_events``: raw events that occurred before ``before`` were deleted.

    The latest ``before`` is the purge horizon: rollups of the days whose events may reach across it are
    never recomputed again (their events are gone), so they keep the figures computed while the events were
    still there (``aggregation.first_recomputable_day``).
    """

    before = models.DateTimeField(help_text="Events that occurred before this instant were deleted.")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    events_deleted = models.PositiveBigIntegerField(default=0)
    dead_letters_deleted = models.PositiveBigIntegerField(default=0)
    dirty_days_dropped = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"purge of events before {self.before:%Y-%m-%d %H:%M} (started {self.started_at:%Y-%m-%d %H:%M})"


class MemoryDay(models.Model):
    """A (learner, local day) whose reviews the memory model has not taken in yet: queued by each rollup of
    the day, taken by ``memory.update_memory``."""

    user = rollup_key(settings.AUTH_USER_MODEL)
    date = models.DateField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="le_memory_day_unique")]
        indexes = [models.Index(fields=["marked_at"], name="le_memory_day_marked_idx")]

    def __str__(self) -> str:
        return f"user {self.user_id} on {self.date:%Y-%m-%d}"


class MemoryState(models.Model):
    """The FSRS memory of one learner for one word after their reviews so far (docs/memory.md).

    ``stability`` (days) and ``difficulty`` (1-10) are FSRS's; ``due`` is when the learner's calibrated
    recall probability falls to ``LEARNING_EVENTS_MEMORY_RETENTION``.
    """

    user = rollup_key(settings.AUTH_USER_MODEL)
    word_id = models.BigIntegerField()
    stability = models.FloatField()
    difficulty = models.FloatField()
    last_review = models.DateField(help_text="Local day of the latest review.")
    reviews = models.PositiveIntegerField()
    lapses = models.PositiveIntegerField(help_text="Reviews whose first answer was wrong.")
    due = models.DateField(help_text="Local day when predicted recall falls to the target retention.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "word_id"], name="le_memory_state_unique")]
        indexes = [models.Index(fields=["user", "due"], name="le_memory_state_due_idx")]
        ordering = ["user_id", "word_id"]

    def __str__(self) -> str:
        return f"user {self.user_id}, word {self.word_id}: stability {self.stability:.1f} d, due {self.due}"


class MemoryParameters(models.Model):
    """A learner's fitted memory parameters: ``scale`` multiplies FSRS stability when recall is predicted
    (above 1: the learner forgets more slowly than FSRS's defaults say). Learners without a row use 1."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False)
    scale = models.FloatField()
    reviews = models.PositiveIntegerField(help_text="Reviews with a previous one that the fit used.")
    fitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "memory parameters"

    def __str__(self) -> str:
        return f"user {self.user_id}: scale {self.scale:.2f} from {self.reviews} reviews"


class MemoryCalibration(models.Model):
    """A fit of the post-hoc (Platt) calibration of every learner's predicted recall: the latest one is in
    force. p = sigmoid(slope * logit(R) + intercept), R being FSRS's retrievability with the learner's scale."""

    slope = models.FloatField()
    intercept = models.FloatField()
    reviews = models.PositiveIntegerField(help_text="Reviews with a previous one that the fit used.")
    fitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-fitted_at", "-id"]

    def __str__(self) -> str:
        return f"slope {self.slope:.3f}, intercept {self.intercept:.3f} ({self.fitted_at:%Y-%m-%d %H:%M})"
class XapiCursor(models.Model):
    """How far forwarding to one LRS endpoint got: every event up to ``position`` (an event's ``id``) is
    delivered or dead-lettered. Kept in the database so that it survives restarts (docs/xapi.md)."""

    endpoint = models.CharField(max_length=500, unique=True, help_text="The LRS's xAPI base URL.")
    position = models.BigIntegerField(default=0, help_text="Events with an id up to this one are handled.")
    delivered = models.PositiveBigIntegerField(default=0, help_text="Statements the LRS accepted (or already had).")
    dead_lettered = models.PositiveBigIntegerField(default=0, help_text="Statements the LRS refused (400).")
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Runs in a row that could not reach the LRS (5xx, timeout, refused); 0 after a success.")
    failures = models.PositiveBigIntegerField(default=0, help_text="Failed runs since the cursor was created.")
    last_error = models.TextField(blank=True, default="")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Backoff: no run before this instant.")
    leased_until = models.DateTimeField(null=True, blank=True, help_text="A run holds the cursor until then.")

    def __str__(self) -> str:
        return f"xAPI cursor of {self.endpoint} at event {self.position}"


class XapiDeadLetter(models.Model):
    """A statement the LRS refused (a 4xx other than 409 for that statement alone): kept with the LRS's answer,
    retried from the admin. Points at its event by ``event_id``, which survives partitions and purges."""

    endpoint = models.CharField(max_length=500)
    event_id = models.UUIDField(help_text="The refused event (and statement) id.")
    event_pk = models.BigIntegerField(help_text="The event's row id, the forwarding cursor's key.")
    statement = models.JSONField(help_text="The statement as it was sent.")
    status_code = models.PositiveSmallIntegerField(help_text="The LRS's HTTP status.")
    response = models.TextField(blank=True, default="", help_text="The LRS's answer (its first 10,000 characters).")
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="When a retry got it accepted.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="le_xapi_dead_letter_unique")]
        indexes = [models.Index(fields=["delivered_at", "created_at"], name="le_xapi_letter_pending_idx")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"statement {self.event_id} refused with {self.status_code}"
