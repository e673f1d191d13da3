"""Dead letters: replay_rejected (service and command) re-ingests what passes now, judged as it arrived."""

import datetime
import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from learning_events import services
from learning_events.models import DirtyDay, LearningEvent, RejectedEvent

pytestmark = pytest.mark.django_db

RECEIVED = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.UTC)
VIEW = {"content_id": 12, "content_type": "story"}


def ingest(user, events, **batch):
    return services.ingest_batch(user=user, body=json.dumps({**batch, "events": events}).encode(),
                                 received_at=RECEIVED)


def replay(*args):
    out = StringIO()
    call_command("replay_rejected", *args, stdout=out)
    return out.getvalue()


def test_an_event_for_a_classroom_joined_later_is_stored_by_the_replay(user, make_user):
    from tests.testapp.models import Room

    later = Room.objects.create(name="Joined later")
    event = {"event_id": str(uuid.uuid4()), "event_type": "content_view", "context": VIEW, "classroom_id": later.pk,
             "occurred_at": "2026-05-01T09:55:00Z"}
    ingest(user, [event], sent_at="2026-05-01T10:00:00Z")  # device clock 2 h behind
    assert replay() == "Replaying 1 pending dead letter(s)...\nReplayed 0 dead letter(s); 1 still pending.\n"

    later.members.add(user)
    assert replay() == "Replaying 1 pending dead letter(s)...\nReplayed 1 dead letter(s); 0 still pending.\n"
    stored = LearningEvent.objects.get()
    # The original sent_at and received_at still correct the device clock.
    assert (stored.event_id, stored.user_id, stored.classroom_id, stored.context, stored.occurred_at) == (
        uuid.UUID(event["event_id"]), user.pk, later.pk, VIEW, datetime.datetime(2026, 5, 1, 11, 55, tzinfo=datetime.UTC))
    letter = RejectedEvent.objects.get()
    assert letter.replayed_event_id == stored.event_id
    assert letter.replayed_at is not None
    assert list(DirtyDay.objects.values_list("user_id", "date")) == [(user.pk, datetime.date(2026, 5, 1))]
    assert replay() == "No pending dead letters.\n"


def test_age_is_judged_against_the_original_receipt_not_today(user):
    # Today is months after RECEIVED: a replay judged against today would refuse every letter as too old.
    ingest(user, [{"event_type": "content_view", "context": VIEW, "user": user.pk}])
    letter = RejectedEvent.objects.get()
    letter.payload = {"event_type": "content_view", "context": VIEW, "occurred_at": "2026-04-20T00:00:00Z"}
    letter.save()
    assert services.replay_rejected() == services.ReplayReport(replayed=1, pending=0)
    assert LearningEvent.objects.get().occurred_at == datetime.datetime(2026, 4, 20, tzinfo=datetime.UTC)


def test_letters_that_still_fail_stay_pending_and_untouched(user):
    ingest(user, [{"event_type": "word_correct", "context": {"word_id": 1}},
                  {"event_type": "content_view", "context": VIEW, "occurred_at": "2026-03-01T00:00:00Z"}])
    before = list(RejectedEvent.objects.order_by("id").values())
    assert services.replay_rejected() == services.ReplayReport(replayed=0, pending=2)
    assert list(RejectedEvent.objects.order_by("id").values()) == before
    assert LearningEvent.objects.count() == 0


def test_an_event_without_event_id_gets_one_derived_from_its_letter_so_replays_never_double_store(user, room):
    ingest(user, [{"event_type": "content_view", "context": VIEW, "classroom_id": room.pk + 1}])
    letter = RejectedEvent.objects.get()
    letter.payload = {**letter.payload, "classroom_id": room.pk}
    letter.save()
    assert services.replay_rejected() == services.ReplayReport(replayed=1, pending=0)
    RejectedEvent.objects.update(replayed_at=None, replayed_event_id=None)  # as if a replay died before marking
    assert services.replay_rejected() == services.ReplayReport(replayed=1, pending=0)
    stored = LearningEvent.objects.get()
    assert stored.event_id == uuid.uuid5(services._REPLAY_NAMESPACE, str(letter.pk)) == \
        RejectedEvent.objects.get().replayed_event_id


def test_a_conflict_stays_pending_until_its_content_is_the_stored_one(user):
    original = {"event_id": str(uuid.uuid4()), "event_type": "content_view", "context": VIEW}
    ingest(user, [original])
    ingest(user, [{**original, "context": {"content_id": 99, "content_type": "story"}}])
    assert replay("--reason", "conflict") == (
        "Replaying 1 pending dead letter(s)...\nReplayed 0 dead letter(s); 1 still pending.\n")
    letter = RejectedEvent.objects.get()
    letter.payload = original  # e.g. an operator corrected the payload
    letter.save()
    assert services.replay_rejected() == services.ReplayReport(replayed=1, pending=0)
    assert LearningEvent.objects.count() == 1


def test_the_command_filters_by_reason_and_user(user, make_user):
    other = make_user()
    ingest(user, [{"event_type": "exam_answer"}])
    ingest(other, [{"event_type": "exam_answer"}])
    assert replay("--reason", "conflict") == "No pending dead letters.\n"
    assert replay("--user", str(other.pk)) == (
        "Replaying 1 pending dead letter(s)...\nReplayed 0 dead letter(s); 1 still pending.\n")


def test_letters_of_several_users_are_replayed_each_as_their_own(user, make_user):
    from tests.testapp.models import Room

    room, other = Room.objects.create(name="Joined later"), make_user()
    for owner in (user, other, user):
        ingest(owner, [{"event_type": "content_view", "context": VIEW, "classroom_id": room.pk}])
    room.members.add(user)
    assert services.replay_rejected(chunk_size=1) == services.ReplayReport(replayed=2, pending=1)
    assert sorted(LearningEvent.objects.values_list("user_id", "classroom_id")) == [
        (user.pk, room.pk), (user.pk, room.pk)]
    assert list(RejectedEvent.objects.filter(replayed_at__isnull=True).values_list("user_id", flat=True)) == [other.pk]
