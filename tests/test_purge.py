"""Data lifecycle: ``purge_events`` deletes old raw events while the rollups stay true, deleting a learner
deletes everything of theirs and takes their share out of the classroom rollups, and deleting a classroom
deletes its rollups."""

import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from learning_events import aggregation, lifecycle, partitions, services
from learning_events.models import (
    ClassroomDailyStats,
    ClassroomWordDailyStats,
    DirtyDay,
    EventPurge,
    LearnerClassroomDailyStats,
    LearnerDailyStats,
    LearnerWordDailyStats,
    LearningEvent,
    RejectedEvent,
)
from tests.rollups import event, log, recompute, stored
from tests.testapp.models import Room

pytestmark = pytest.mark.django_db

TODAY = timezone.now().astimezone(UTC).date()
OLD_DAY = TODAY - timedelta(days=100)  # purged by --older-than 60
KEPT_DAY = TODAY - timedelta(days=40)  # kept
S1 = str(uuid.uuid4())


def noon(day: date, minutes: float = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12, minutes=minutes)


def practice(user, day, room=None):
    """A 20-minute session with three answers on ``day``."""
    return [
        event(user, "practice_start", noon(day), room, session_id=S1),
        event(user, "word_correct", noon(day, 5), room, word_id=1, session_id=S1),
        event(user, "word_incorrect", noon(day, 10), room, word_id=2, session_id=S1),
        event(user, "word_correct", noon(day, 15), room, word_id=2, session_id=S1),
        event(user, "practice_end", noon(day, 20), room, session_id=S1),
    ]


def dead_letter(user, received_at):
    return RejectedEvent.objects.create(user=user, payload={"event_type": "nope"}, batch_index=0,
                                        reason=RejectedEvent.Reason.INVALID, errors={"event_type": "unknown"},
                                        received_at=received_at)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """One "now" for the command and the test, so the cutoff it prints is known."""
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("purge_events", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def cutoff_line(days: int) -> str:
    """The cutoff as the command prints it."""
    return f"{timezone.now() - timedelta(days=days):%Y-%m-%d %H:%M} UTC"


# --- purge_events ---------------------------------------------------------------------------------


def test_purge_deletes_old_events_and_dead_letters_and_keeps_every_rollup(user, room):
    log(*practice(user, OLD_DAY, room), *practice(user, KEPT_DAY, room))
    old_letter, kept_letter = dead_letter(user, noon(OLD_DAY)), dead_letter(user, noon(KEPT_DAY))
    aggregation.rollup_dirty_days()
    rollups = stored()
    assert rollups["learners"][(user.pk, OLD_DAY)]["words_practiced"] == 3  # the old day was rolled up

    out, _ = run("--older-than", "60")

    assert out == (f"Deleted 5 event(s) and 1 dead letter(s) from before {cutoff_line(60)}; dropped 0 pending "
                   f"rollup(s) of frozen days. Rollups of the days before "
                   f"{aggregation.first_recomputable_day()} are kept as they are.\n")
    assert sorted(LearningEvent.objects.values_list("occurred_at", flat=True)) == [
        noon(KEPT_DAY, m) for m in (0, 5, 10, 15, 20)]
    assert list(RejectedEvent.objects.values_list("pk", flat=True)) == [kept_letter.pk]
    assert not RejectedEvent.objects.filter(pk=old_letter.pk).exists()
    assert stored() == rollups
    purge = EventPurge.objects.get()
    assert (purge.events_deleted, purge.dead_letters_deleted, purge.dirty_days_dropped,
            purge.finished_at is not None) == (5, 1, 0, True)


def test_frozen_days_are_never_recomputed_and_open_days_still_are(user, room):
    log(*practice(user, OLD_DAY, room), *practice(user, KEPT_DAY, room))
    aggregation.rollup_dirty_days()
    rollups = stored()
    run("--older-than", "60")

    # Recomputing the purged day from its (now missing) events would wipe its rollups: it is skipped.
    assert aggregation.rollup_day(OLD_DAY) == aggregation.RollupSummary()
    assert aggregation.rollup_day(OLD_DAY, [user.pk]) == aggregation.RollupSummary()
    assert aggregation.rollup_day(KEPT_DAY) == aggregation.RollupSummary(learner_days=1, classroom_days=1)
    assert stored() == rollups
    # Open days still equal the reference definition.
    assert rollups["learners"][(user.pk, KEPT_DAY)] == aggregation.aggregate_daily_stats(user.pk, KEPT_DAY)


def test_days_pending_a_rollup_are_rolled_up_before_their_events_go(user, room):
    log(*practice(user, OLD_DAY, room))
    expected = aggregation.aggregate_daily_stats(user.pk, OLD_DAY)
    assert DirtyDay.objects.exists() and not LearnerDailyStats.objects.exists()

    lifecycle.purge_events(before=noon(TODAY - timedelta(days=60)))

    assert LearningEvent.objects.count() == 0
    assert stored()["learners"] == {(user.pk, OLD_DAY): expected}
    assert DirtyDay.objects.count() == 0


def test_a_late_event_in_a_frozen_day_is_stored_but_does_not_change_its_rollups(user, room):
    log(*practice(user, OLD_DAY, room))
    aggregation.rollup_dirty_days()
    rollups = stored()
    lifecycle.purge_events(before=noon(TODAY - timedelta(days=60)))

    services.log_event(user, "word_correct", {"word_id": 9}, room, occurred_at=noon(OLD_DAY, 30))
    assert list(DirtyDay.objects.values_list("user_id", "date")) == [(user.pk, OLD_DAY)]
    assert aggregation.rollup_dirty_days() == aggregation.RollupSummary()

    assert (stored(), DirtyDay.objects.count()) == (rollups, 0)  # the mark is dropped, the day unchanged


def test_the_purge_drops_dirty_marks_of_the_days_it_freezes(user, monkeypatch):
    log(event(user, "word_correct", noon(OLD_DAY), word_id=1))
    # A mark that the purge's own rollup pass does not see (set after it, e.g. by a concurrent log).
    monkeypatch.setattr(aggregation, "rollup_dirty_days", lambda: aggregation.RollupSummary())
    purge = lifecycle.purge_events(before=noon(TODAY - timedelta(days=60)))
    assert (purge.dirty_days_dropped, DirtyDay.objects.count()) == (1, 0)


def test_deletes_go_in_chunks_with_progress(user):
    cutoff = noon(TODAY - timedelta(days=60))
    # The morning of the cutoff's day: on PostgreSQL too, rows of a partition that the cutoff cuts.
    log(*[event(user, "word_correct", cutoff - timedelta(minutes=m + 1), word_id=m) for m in range(5)])
    dead_letter(user, noon(OLD_DAY))
    calls = []
    purge = lifecycle.purge_events(before=cutoff, chunk_size=2, progress=calls.append)
    assert (calls, purge.events_deleted, purge.dead_letters_deleted) == ([2, 2, 1, 1], 5, 1)


@pytest.mark.postgres
def test_partitions_before_the_cutoff_are_dropped_whole_and_only_the_cut_one_loses_rows(user):
    if connection.vendor != "postgresql":
        pytest.skip("time partitions are PostgreSQL's; SQLite keeps a plain table and deletes rows")
    cutoff = noon(TODAY - timedelta(days=60))
    before_day, cut_day = TODAY - timedelta(days=61), cutoff.date()
    log(*[event(user, "word_correct", noon(OLD_DAY, m), word_id=m) for m in range(3)],
        *[event(user, "word_correct", noon(before_day, m), word_id=m) for m in range(2)],
        event(user, "word_correct", cutoff - timedelta(microseconds=1), word_id=1),  # the cut day, before
        event(user, "word_correct", cutoff, word_id=2),  # the cut day, at the cutoff: kept
        event(user, "word_correct", noon(KEPT_DAY), word_id=3))
    names_before = {p.name for p in partitions.list_partitions()}
    calls = []

    purge = lifecycle.purge_events(before=cutoff, progress=calls.append)

    left = {p.name for p in partitions.list_partitions()}
    assert names_before - left == {partitions.partition_name(OLD_DAY), partitions.partition_name(before_day)}
    assert {partitions.partition_name(cut_day), partitions.partition_name(KEPT_DAY)} <= left
    assert (calls, purge.events_deleted) == ([3, 2, 1], 6)  # two partitions dropped, then one row deleted
    assert sorted(LearningEvent.objects.values_list("occurred_at", flat=True)) == [cutoff, noon(KEPT_DAY)]


def test_the_first_recomputable_day_follows_the_latest_horizon():
    assert aggregation.first_recomputable_day() is None
    EventPurge.objects.create(before=datetime(2026, 3, 10, 5, 0, tzinfo=UTC))
    # A day D is recomputed from events back to D 00:00 UTC - 1 day (time zones) - 6 h (MAX_SESSION).
    assert aggregation.first_recomputable_day() == date(2026, 3, 12)
    EventPurge.objects.create(before=datetime(2026, 3, 1, 0, 0, tzinfo=UTC))  # an older horizon changes nothing
    assert aggregation.first_recomputable_day() == date(2026, 3, 12)
    EventPurge.objects.create(before=datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    assert aggregation.first_recomputable_day() == date(2026, 4, 3)


def test_rollup_stats_says_which_days_it_left_alone(user):
    EventPurge.objects.create(before=datetime(2026, 3, 10, 5, 0, tzinfo=UTC))
    out = io.StringIO()
    call_command("rollup_stats", "--since", "2026-03-09", "--until", "2026-03-13", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == (
        "3 day(s) before 2026-03-12 are left as they are: their events were purged (purge_events), so their "
        "rollups cannot be recomputed.\n"
        "Rolled up 5 day(s) from 2026-03-09 to 2026-03-13: 0 learner-days and 0 classroom-days recomputed.\n")


def test_a_purge_too_recent_for_late_client_events_is_refused(user):
    log(event(user, "word_correct", noon(KEPT_DAY), word_id=1))
    before = timezone.now() - timedelta(days=10)
    with pytest.raises(lifecycle.PurgeRefused, match=r"^Events from .* cannot be purged yet: clients may still "
                                                      r"send events that old.* \(at least 34 days\)\.$"):
        lifecycle.purge_events(before=before)
    assert (LearningEvent.objects.count(), EventPurge.objects.count()) == (1, 0)


def test_dry_run_only_counts(user):
    log(*practice(user, OLD_DAY), *practice(user, KEPT_DAY))
    dead_letter(user, noon(OLD_DAY))
    out, _ = run("--older-than", "60", "--dry-run")
    assert out == (f"Would delete 5 event(s) that occurred before {cutoff_line(60)} and 1 dead letter(s) "
                   "received before then.\n")
    assert (LearningEvent.objects.count(), RejectedEvent.objects.count(), EventPurge.objects.count()) == (10, 1, 0)


@pytest.mark.parametrize(("args", "message"), [
    (("--older-than", "33"), "--older-than must be at least 34 days: clients may still send events that old, "
                             "and the days they change must stay open to rollups"),
    (("--older-than", "ten"), "Error: argument --older-than: 'ten' is not a whole number"),
    (("--older-than", "0"), "Error: argument --older-than: '0' must be at least 1"),
    (("--older-than", "60", "--chunk-size", "-5"), "Error: argument --chunk-size: '-5' must be at least 1"),
    ((), "Error: the following arguments are required: --older-than"),
])
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    assert str(excinfo.value) == message


# --- deleting a learner ---------------------------------------------------------------------------


OWN_ROWS = (LearningEvent, RejectedEvent, DirtyDay, LearnerDailyStats, LearnerClassroomDailyStats,
            LearnerWordDailyStats)


def own_rows(user_id: int) -> dict[str, int]:
    return {model.__name__: model.objects.filter(user_id=user_id).count() for model in OWN_ROWS}


def test_deleting_a_learner_deletes_their_rows_and_their_share_of_classroom_rollups(make_user):
    leaver, stayer = make_user(), make_user()
    room = Room.objects.create(name="R")
    room.members.add(leaver, stayer)
    shared_day, alone_day = KEPT_DAY, KEPT_DAY + timedelta(days=1)
    log(*practice(leaver, shared_day, room), *practice(stayer, shared_day, room), *practice(leaver, alone_day, room))
    aggregation.rollup_dirty_days()
    services.ingest_batch(user=leaver, body=json.dumps({"events": [{"event_type": "bogus"}]}).encode())
    log(event(leaver, "word_correct", noon(TODAY), word_id=5))  # a day still dirty
    assert own_rows(leaver.pk) == {"LearningEvent": 11, "RejectedEvent": 1, "DirtyDay": 1, "LearnerDailyStats": 2,
                                   "LearnerClassroomDailyStats": 2, "LearnerWordDailyStats": 4}
    assert stored()["rooms"][(room.pk, shared_day)]["active_learners"] == 2

    leaver_id = leaver.pk
    leaver.delete()

    assert own_rows(leaver_id) == dict.fromkeys(own_rows(leaver_id), 0)
    # The day the leaver was alone in the classroom is gone; the shared one waits for its recomputation.
    assert (list(ClassroomDailyStats.objects.values_list("classroom_id", "date")),
            sorted(set(ClassroomWordDailyStats.objects.values_list("classroom_id", "date")))) == (
        [(room.pk, shared_day)], [(room.pk, shared_day)])
    assert list(DirtyDay.objects.values_list("user_id", "date")) == [(stayer.pk, shared_day)]
    aggregation.rollup_dirty_days()
    assert stored() == recompute([stayer.pk], [shared_day, alone_day])
    assert stored()["rooms"][(room.pk, shared_day)]["active_learners"] == 1


def test_deleting_a_learner_leaves_frozen_shared_classroom_days_as_they_are(make_user):
    leaver, stayer = make_user(), make_user()
    room = Room.objects.create(name="R")
    room.members.add(leaver, stayer)
    log(*practice(leaver, OLD_DAY, room), *practice(stayer, OLD_DAY, room))
    aggregation.rollup_dirty_days()
    lifecycle.purge_events(before=noon(TODAY - timedelta(days=60)))
    room_day = stored()["rooms"][(room.pk, OLD_DAY)]

    leaver.delete()

    assert (stored()["rooms"], DirtyDay.objects.count()) == ({(room.pk, OLD_DAY): room_day}, 0)


def test_deleting_a_classroom_deletes_its_rollup_rows_and_no_other(make_user):
    learner = make_user()
    leaving, staying = Room.objects.create(name="Closed"), Room.objects.create(name="Open")
    log(*practice(learner, KEPT_DAY, leaving), *practice(learner, KEPT_DAY, staying))
    aggregation.rollup_dirty_days()
    room_models = (ClassroomDailyStats, ClassroomWordDailyStats, LearnerClassroomDailyStats)

    def rows(room):
        return [model.objects.filter(classroom_id=room.pk).count() for model in room_models]

    assert rows(leaving) == rows(staying) == [1, 2, 1]

    leaving.delete()

    assert (rows(leaving), rows(staying)) == ([0, 0, 0], [1, 2, 1])


@pytest.mark.postgres
@pytest.mark.parametrize("target", ["learner", "classroom"])
def test_deleting_a_learner_or_a_classroom_waits_until_a_running_rollup_has_committed(make_user, target):
    # Otherwise a rollup that had read their events could write their rollup rows (no database-level
    # foreign key) after the deletion's cascade.
    if connection.vendor != "postgresql":
        pytest.skip("the rollup lock is a PostgreSQL advisory lock; SQLite serialises writers itself")
    leaving = make_user() if target == "learner" else Room.objects.create(name="Closed")
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as rollup:
        rollup.execute("SELECT pg_advisory_lock(%s)", [aggregation.ROLLUP_LOCK_KEY])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '300ms'")
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            leaving.delete()
        rollup.execute("SELECT pg_advisory_unlock(%s)", [aggregation.ROLLUP_LOCK_KEY])
    leaving.delete()
    assert not type(leaving).objects.filter(pk=leaving.pk).exists()
