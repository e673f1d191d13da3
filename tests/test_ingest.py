"""services.ingest_batch: per-event validation, clock skew, idempotency, dead letters, limits."""

import datetime
import json
import threading
import uuid

import pytest
from django.db import connection, connections
from django.utils import timezone

from learning_events import partitions, services
from learning_events.exceptions import BatchTooLarge, MalformedBatch
from learning_events.models import DirtyDay, LearningEvent, RejectedEvent

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.UTC)
CLIENT_TYPES = "practice_start, practice_end, content_view, content_complete, game_complete"
VIEW = {"content_id": 12, "content_type": "story"}


def event(**fields):
    return {"event_id": str(uuid.uuid4()), "event_type": "content_view", "context": dict(VIEW), **fields}


def ingest(user, events, *, received_at=NOW, **batch):
    return services.ingest_batch(user=user, body=json.dumps({**batch, "events": events}).encode(),
                                 received_at=received_at)


def stored_rows():
    """``{event_id: (user_id, event_type, context, classroom_id, occurred_at)}`` (insert order is event_id order)."""
    return {event_id: tuple(rest) for event_id, *rest in LearningEvent.objects.values_list(
        "event_id", "user_id", "event_type", "context", "classroom_id", "occurred_at")}


def test_valid_events_are_stored_for_the_caller_with_their_classroom(user, room):
    first, second = event(classroom_id=room.pk, occurred_at="2026-05-01T11:00:00Z"), event(
        event_type="practice_start", context={"session_id": str(uuid.uuid4())}, occurred_at="2026-05-01T13:00:00+02:00")
    before = timezone.now()
    assert ingest(user, [first, second]) == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert stored_rows() == {
        uuid.UUID(first["event_id"]): (user.pk, "content_view", VIEW, room.pk,
                                       datetime.datetime(2026, 5, 1, 11, tzinfo=datetime.UTC)),
        uuid.UUID(second["event_id"]): (user.pk, "practice_start", second["context"], None,
                                        datetime.datetime(2026, 5, 1, 11, tzinfo=datetime.UTC)),
    }
    assert all(before <= created <= timezone.now() for created in LearningEvent.objects.values_list("created_at", flat=True))
    assert list(DirtyDay.objects.values_list("user_id", "date")) == [(user.pk, datetime.date(2026, 5, 1))]
    assert RejectedEvent.objects.count() == 0


def test_event_id_and_occurred_at_may_be_left_out(user):
    assert ingest(user, [{"event_type": "content_view", "context": VIEW}]) == {
        "accepted": 1, "duplicates": 0, "rejected": []}
    stored = LearningEvent.objects.get()
    assert (stored.occurred_at, stored.event_id.version) == (NOW, 4)


def test_event_ids_are_matched_case_insensitively(user):
    known = event()
    ingest(user, [known])
    assert ingest(user, [{**known, "event_id": known["event_id"].upper()}]) == {
        "accepted": 0, "duplicates": 1, "rejected": []}


def test_clock_skew_shifts_occurred_at_by_the_difference_between_receipt_and_sent_at(user):
    # The device clock is 2 hours behind: it says 10:00 when the server receives at 12:00.
    ingest(user, [event(occurred_at="2026-05-01T09:55:00Z")], sent_at="2026-05-01T10:00:00Z")
    assert LearningEvent.objects.get().occurred_at == datetime.datetime(2026, 5, 1, 11, 55, tzinfo=datetime.UTC)


def test_the_skew_correction_brings_an_event_from_a_fast_clock_back_into_the_window(user):
    # The device clock is 1 hour ahead: an event at "12:30" happened at 11:30.
    result = ingest(user, [event(occurred_at="2026-05-01T12:30:00Z")], sent_at="2026-05-01T13:00:00Z")
    assert result == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert LearningEvent.objects.get().occurred_at == datetime.datetime(2026, 5, 1, 11, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(("occurred_at", "sent_at", "message"), [
    ("2026-05-01T12:05:01Z", None,
     "is more than 300 seconds in the future (after correcting the device clock by sent_at)"),
    ("2026-05-01T12:00:00Z", "2026-05-01T11:54:00Z",
     "is more than 300 seconds in the future (after correcting the device clock by sent_at)"),
    ("2026-04-01T11:59:59Z", None, "is more than 30 days old"),
    ("2026-04-01T12:30:00Z", "2026-05-01T13:00:00Z", "is more than 30 days old"),
    ("yesterday", None, "must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"),
    ("2026-05-01T11:00:00", None, "must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"),
    (1714560000, None, "must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"),
])
def test_occurred_at_out_of_the_window_or_unreadable_is_rejected(user, occurred_at, sent_at, message):
    bad = event(occurred_at=occurred_at)
    batch = {"sent_at": sent_at} if sent_at else {}
    assert ingest(user, [bad], **batch) == {"accepted": 0, "duplicates": 0, "rejected": [
        {"index": 0, "event_id": bad["event_id"], "errors": {"occurred_at": message}}]}


def test_the_window_edges_are_accepted(user):
    result = ingest(user, [event(occurred_at="2026-05-01T12:05:00Z"), event(occurred_at="2026-04-01T12:00:00Z")])
    assert result == {"accepted": 2, "duplicates": 0, "rejected": []}


def test_the_window_follows_the_settings(user, settings):
    settings.LEARNING_EVENTS_MAX_FUTURE_SKEW_SECONDS = 60
    settings.LEARNING_EVENTS_MAX_EVENT_AGE_DAYS = 2
    late, old = event(occurred_at="2026-05-01T12:01:01Z"), event(occurred_at="2026-04-29T11:59:00Z")
    assert [r["errors"] for r in ingest(user, [late, old])["rejected"]] == [
        {"occurred_at": "is more than 60 seconds in the future (after correcting the device clock by sent_at)"},
        {"occurred_at": "is more than 2 days old"},
    ]


@pytest.mark.parametrize("event_type", ["word_correct", "word_incorrect", "exam_answer"])
def test_server_graded_types_are_refused_from_clients(user, event_type):
    bad = event(event_type=event_type, context={"word_id": 1})
    assert ingest(user, [bad])["rejected"] == [{"index": 0, "event_id": bad["event_id"], "errors": {
        "event_type": f"'{event_type}' comes only from server-side grading and cannot be sent by clients; "
                      f"clients may send: {CLIENT_TYPES}"}}]
    assert LearningEvent.objects.count() == 0


@pytest.mark.parametrize(("fields", "errors"), [
    ({"event_type": "word_guessed"}, {"event_type": f"unknown event type 'word_guessed'; clients may send: {CLIENT_TYPES}"}),
    ({"event_type": None}, {"event_type": f"is required; clients may send: {CLIENT_TYPES}"}),
    ({"event_type": ["content_view"]}, {"event_type": f"unknown event type ['content_view']; clients may send: {CLIENT_TYPES}"}),
    ({"user": 99}, {"user": "is not accepted: events always belong to the caller"}),
    ({"user_id": 99}, {"user_id": "is not accepted: events always belong to the caller"}),
    ({"occured_at": "2026-05-01T11:00:00Z"},
     {"occured_at": "is not a known field; an event has: event_id, event_type, occurred_at, context, classroom_id"}),
    ({"event_id": "not-a-uuid"}, {"event_id": "must be a UUID string (8-4-4-4-12 hexadecimal digits) or be left out"}),
    ({"event_id": 7}, {"event_id": "must be a UUID string (8-4-4-4-12 hexadecimal digits) or be left out"}),
    ({"classroom_id": "1"}, {"classroom_id": "must be an integer or null"}),
    ({"classroom_id": True}, {"classroom_id": "must be an integer or null"}),
    ({"context": {"content_id": "12", "content_type": "poem"}},
     {"context.content_id": "must be an integer", "context.content_type": 'must be "story" or "article"'}),
    ({"context": None}, {"context.content_id": "is required", "context.content_type": "is required"}),
    ({"context": [1]}, {"context": "must be a JSON object"}),
    ({"context": {**VIEW, "note": "x" * 8200}}, {"context": "is 8250 bytes of JSON; at most 8192 are allowed"}),
    ({"context": {**VIEW, "note": "a\u0000b"}}, {"context": "must not contain the NUL character (\\u0000)"}),
])
def test_invalid_events_are_rejected_with_every_problem_named(user, fields, errors):
    bad = event(**fields)
    reported_id = bad["event_id"] if type(bad["event_id"]) is str else None
    assert ingest(user, [bad]) == {"accepted": 0, "duplicates": 0,
                                   "rejected": [{"index": 0, "event_id": reported_id, "errors": errors}]}


def test_all_problems_of_one_event_are_reported_together(user, room):
    other_room = type(room).objects.create(name="Not mine")
    bad = {"event_type": "game_complete", "context": {"game_id": 1}, "classroom_id": other_room.pk,
           "occurred_at": "soon"}
    assert ingest(user, [bad])["rejected"] == [{"index": 0, "event_id": None, "errors": {
        "context.score": "is required", "context.duration_seconds": "is required",
        "classroom_id": f"is not a classroom you belong to ({other_room.pk})",
        "occurred_at": "must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"}}]


def test_non_object_events_are_rejected(user):
    assert ingest(user, ["content_view", None])["rejected"] == [
        {"index": 0, "event_id": None, "errors": {"event": "must be a JSON object"}},
        {"index": 1, "event_id": None, "errors": {"event": "must be a JSON object"}},
    ]
    assert list(RejectedEvent.objects.order_by("batch_index").values_list("payload", flat=True)) == ["content_view", None]


def test_nan_and_lone_surrogates_in_a_context_are_rejected_and_their_dead_letters_still_kept(user):
    body = ('{"events": [{"event_type": "content_view", "context": {"content_id": 1, "content_type": "story", '
            '"x": NaN}}, {"event_type": "content_view", "context": {"content_id": 1, "content_type": "story", '
            '"x": "\\ud800"}}]}').encode()
    result = services.ingest_batch(user=user, body=body, received_at=NOW)
    assert result["rejected"] == [
        {"index": 0, "event_id": None, "errors": {"context": "must not contain NaN or Infinity"}},
        {"index": 1, "event_id": None, "errors": {"context": "contains invalid Unicode (a lone surrogate)"}},
    ]
    assert list(RejectedEvent.objects.order_by("batch_index").values_list("payload", flat=True)) == [
        {"unstorable_json": '{"event_type": "content_view", "context": {"content_id": 1, "content_type": "story", '
                            '"x": NaN}}'},
        {"unstorable_json": '{"event_type": "content_view", "context": {"content_id": 1, "content_type": "story", '
                            '"x": "\\ud800"}}'},
    ]


def test_valid_events_are_stored_even_when_others_are_rejected_and_every_rejection_is_kept(user, room):
    good, bad, also_good = event(), event(classroom_id=room.pk + 100), event(event_type="content_complete")
    received = datetime.datetime(2026, 5, 1, 12, 0, 1, tzinfo=datetime.UTC)
    result = ingest(user, [good, bad, also_good, {"event_type": "exam_answer"}], received_at=received,
                    sent_at="2026-05-01T12:00:00Z")
    assert result == {"accepted": 2, "duplicates": 0, "rejected": [
        {"index": 1, "event_id": bad["event_id"],
         "errors": {"classroom_id": f"is not a classroom you belong to ({room.pk + 100})"}},
        {"index": 3, "event_id": None, "errors": {"event_type": "'exam_answer' comes only from server-side grading "
                                                               f"and cannot be sent by clients; clients may send: {CLIENT_TYPES}"}},
    ]}
    assert sorted(str(e) for e in LearningEvent.objects.values_list("event_id", flat=True)) == sorted(
        [good["event_id"], also_good["event_id"]])
    assert list(RejectedEvent.objects.order_by("batch_index").values_list(
        "user_id", "payload", "batch_index", "reason", "errors", "sent_at", "received_at", "replayed_at")) == [
        (user.pk, bad, 1, "invalid", {"classroom_id": f"is not a classroom you belong to ({room.pk + 100})"},
         datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC), received, None),
        (user.pk, {"event_type": "exam_answer"}, 3, "invalid", result["rejected"][1]["errors"],
         datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC), received, None),
    ]


def test_the_same_batch_twice_counts_duplicates_and_stores_nothing_more(user, room):
    batch = [event(classroom_id=room.pk, occurred_at="2026-05-01T11:00:00Z"), event()]
    ingest(user, batch, sent_at="2026-05-01T12:00:00Z")
    rows = stored_rows()
    # The retry left later and is shifted by another skew: occurred_at is not part of "the same content".
    retry = ingest(user, batch, sent_at="2026-05-01T11:59:58Z", received_at=NOW + datetime.timedelta(seconds=5))
    assert retry == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert stored_rows() == rows
    assert RejectedEvent.objects.count() == 0


@pytest.mark.parametrize("change", [
    {"event_type": "content_complete"},
    {"context": {"content_id": 13, "content_type": "story"}},
    {"context": {**VIEW, "duration_seconds": 5}},
    {"classroom_id": None},
])
def test_a_stored_event_id_with_other_content_is_a_conflict_kept_as_a_dead_letter(user, room, change):
    original = event(classroom_id=room.pk)
    ingest(user, [original])
    changed = {**original, **change}
    assert ingest(user, [changed]) == {"accepted": 0, "duplicates": 0, "rejected": [{
        "index": 0, "event_id": original["event_id"], "errors": {"event_id": services.CONFLICT_MESSAGE}}]}
    assert services.CONFLICT_MESSAGE == (
        "is already stored with different content (event_type, context or classroom_id)")
    assert list(RejectedEvent.objects.values_list("payload", "reason", "errors")) == [
        (changed, "conflict", {"event_id": services.CONFLICT_MESSAGE})]
    assert LearningEvent.objects.get().context == VIEW


def test_another_users_event_id_is_the_users_own_event(user, make_user):
    # The key is (user, event_id): a second learner's event with the same id neither overwrites nor
    # suppresses the first learner's, and is stored as the second learner's own.
    other = make_user()
    theirs = event()
    mine = {**theirs, "context": {"content_id": 99, "content_type": "article"}}
    assert ingest(other, [theirs]) == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert ingest(user, [mine]) == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert ingest(user, [mine]) == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert ingest(other, [mine])["rejected"] == [
        {"index": 0, "event_id": theirs["event_id"], "errors": {"event_id": services.CONFLICT_MESSAGE}}]
    assert sorted(LearningEvent.objects.values_list("user_id", "context")) == sorted(
        [(other.pk, VIEW), (user.pk, mine["context"])])
    assert set(LearningEvent.objects.values_list("event_id", flat=True)) == {uuid.UUID(theirs["event_id"])}


def test_a_repeated_event_id_inside_one_batch_is_stored_once(user):
    once = event()
    changed = {**once, "context": {"content_id": 99, "content_type": "article"}}
    assert ingest(user, [once, dict(once), changed]) == {"accepted": 1, "duplicates": 1, "rejected": [
        {"index": 2, "event_id": once["event_id"], "errors": {"event_id": services.CONFLICT_MESSAGE}}]}
    assert LearningEvent.objects.get().context == VIEW


def test_one_classroom_lookup_and_one_time_zone_lookup_per_batch(user, room, django_assert_num_queries):
    events = [event(classroom_id=room.pk, occurred_at="2026-05-01T11:00:00Z") for _ in range(100)]
    body = json.dumps({"events": events}).encode()
    partitions.ensure_partitions([NOW])  # the day's partition exists, as the periodic task makes sure
    # Classrooms, savepoint, [PostgreSQL: the COPY's savepoint and its release (COPY is not counted) | SQLite:
    # stored ids, insert], time zones, dirty days, release.
    with django_assert_num_queries(7):
        result = services.ingest_batch(user=user, body=body, received_at=NOW)
    assert result == {"accepted": 100, "duplicates": 0, "rejected": []}


@pytest.mark.parametrize(("body", "detail", "errors"), [
    (b"\xff{}", "The body is not UTF-8 text (byte 0: invalid start byte).", {}),
    (b'{"events": [', "The body is not valid JSON: Expecting value (line 1, column 13).", {}),
    (b"", "The body is not valid JSON: Expecting value (line 1, column 1).", {}),
    (b"[]", 'The body must be a JSON object: {"sent_at": ..., "events": [...]}.', {}),
    (b"{}", None, {"events": "is required: a list of event objects"}),
    (b'{"events": {"event_type": "content_view"}}', None, {"events": "must be a list: a list of event objects"}),
    (b'{"events": [], "sent_at": "now"}', None,
     {"sent_at": "must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"}),
    (b'{"events": [], "sent_at": "2026-05-01T10:00:00"}', None,
     {"sent_at": "must be an ISO-8601 date-time with a time zone, e.g. 2026-05-01T09:30:00Z"}),
    (b"[" * 100_000, "The body cannot be read as JSON: maximum recursion depth exceeded while decoding a JSON "
                     "array from a unicode string.", {}),
])
def test_unreadable_bodies_raise_malformed_batch_and_store_nothing(user, body, detail, errors):
    with pytest.raises(MalformedBatch) as info:
        services.ingest_batch(user=user, body=body, received_at=NOW)
    assert (info.value.detail, info.value.errors) == (detail, errors)
    assert (LearningEvent.objects.count(), RejectedEvent.objects.count()) == (0, 0)


def test_limits_raise_batch_too_large(user, settings):
    settings.LEARNING_EVENTS_BATCH_MAX_EVENTS = 3
    with pytest.raises(BatchTooLarge) as info:
        ingest(user, [event() for _ in range(4)])
    assert str(info.value) == ("The batch has 4 events; at most 3 are accepted per request. "
                               "Send them in smaller batches.")
    assert ingest(user, [event() for _ in range(3)])["accepted"] == 3
    settings.LEARNING_EVENTS_BATCH_MAX_BYTES = 100
    with pytest.raises(BatchTooLarge) as info:
        services.ingest_batch(user=user, body=b" " * 101, received_at=NOW)
    assert str(info.value) == ("The body is 101 bytes; at most 100 bytes are accepted per request. "
                               "Send the events in smaller batches.")


def test_log_events_and_client_batches_share_the_event_id_key(user):
    known = event()
    services.log_events([{"user": user, "event_type": "content_view", "context": VIEW, "event_id": known["event_id"],
                          "occurred_at": NOW - datetime.timedelta(hours=2)}])
    assert ingest(user, [known]) == {"accepted": 0, "duplicates": 1, "rejected": []}


def test_log_events_inside_one_transaction_twice_uses_the_staging_table_twice(user):
    from django.db import transaction

    with transaction.atomic():
        assert services.log_events([{"user": user, "event_type": "content_view", "context": VIEW}]) == 1
        assert services.log_events([{"user": user, "event_type": "content_complete", "context": VIEW}]) == 1
    assert sorted(LearningEvent.objects.values_list("event_type", flat=True)) == ["content_complete", "content_view"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_at_the_same_moment_is_stored_once(user):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises writers, two transactions never insert at the same moment")
    body = json.dumps({"events": [event() for _ in range(200)]}).encode()
    results = race(user, body, body)
    assert results == {"first": {"accepted": 200, "duplicates": 0, "rejected": []},
                       "second": {"accepted": 0, "duplicates": 200, "rejected": []}}
    assert (LearningEvent.objects.count(), RejectedEvent.objects.count()) == (200, 0)


def race(user, first_body: bytes, second_body: bytes, received_at=None) -> dict:
    """Ingest ``first_body`` and hold its transaction open; meanwhile ingest ``second_body``, which must wait
    for it; then let the first commit. Returns both answers (``{"first": ..., "second": ...}``)."""
    from django.db import transaction

    first_inserted, commit_first, second_done = threading.Event(), threading.Event(), threading.Event()
    results, failures = {}, []

    def first() -> None:  # stores the batch, then holds its transaction open until told to commit
        try:
            with transaction.atomic():
                results["first"] = services.ingest_batch(user=user, body=first_body, received_at=received_at)
                first_inserted.set()
                commit_first.wait(10)
        except Exception as exc:  # an assertion inside a thread would be lost: collected and checked below
            failures.append(exc)
        finally:
            first_inserted.set()
            connections.close_all()

    def second() -> None:  # while the first is uncommitted: must wait, then count duplicates
        try:
            results["second"] = services.ingest_batch(user=user, body=second_body, received_at=received_at)
        except Exception as exc:
            failures.append(exc)
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_inserted.wait(10)
    threads[1].start()
    assert not second_done.wait(1)  # blocked on the first transaction's uncommitted event ids
    commit_first.set()
    for thread in threads:
        thread.join(10)
    assert failures == []
    return results


def test_a_nul_in_an_unknown_field_name_is_rejected_and_its_dead_letter_kept(user):
    """Found by the API fuzzer: the field name is echoed into the errors, which jsonb cannot hold as is."""
    result = ingest(user, [{"event_type": "content_view", "context": VIEW, "x\u0000": 1}])
    errors = {"x\u0000": "is not a known field; an event has: event_id, event_type, occurred_at, context, classroom_id"}
    assert result == {"accepted": 0, "duplicates": 0, "rejected": [{"index": 0, "event_id": None, "errors": errors}]}
    letter = RejectedEvent.objects.get()
    assert json.loads(letter.payload["unstorable_json"]) == {"event_type": "content_view", "context": VIEW, "x\u0000": 1}
    assert json.loads(letter.errors["unstorable_json"]) == errors


# --- idempotency across the time partitions (PostgreSQL; the same answers on SQLite's plain table) ----------

MIDNIGHT = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)  # a month's end: April 30 -> May 1


def batch(events, sent_at):
    return json.dumps({"sent_at": sent_at.isoformat(), "events": events}).encode()


def partition_of(event_id):
    """The partition holding the event on PostgreSQL (SQLite: the table)."""
    if connection.vendor != "postgresql":
        return LearningEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {LearningEvent._meta.db_table} WHERE event_id = %s",
                       [event_id])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("shift", [1, -1], ids=["one second later", "one second earlier"])
def test_a_months_last_half_second_replayed_a_second_apart_is_a_duplicate(user, shift):
    # The retry leaves the device at the same device time and arrives one second later (or, sent again
    # with a sent_at one second later, earlier): its corrected occurred_at moves by a second, across the
    # month's end, into the neighbouring day's partition.
    at = MIDNIGHT - datetime.timedelta(milliseconds=500) if shift > 0 else MIDNIGHT + datetime.timedelta(
        milliseconds=500)
    same = event(occurred_at=at.isoformat())
    first = services.ingest_batch(user=user, body=batch([same], MIDNIGHT), received_at=MIDNIGHT)
    retry = services.ingest_batch(user=user, body=batch([same], MIDNIGHT), received_at=MIDNIGHT + datetime.timedelta(
        seconds=shift)) if shift > 0 else services.ingest_batch(
        user=user, body=batch([same], MIDNIGHT + datetime.timedelta(seconds=1)), received_at=MIDNIGHT)
    assert (first, retry) == ({"accepted": 1, "duplicates": 0, "rejected": []},
                              {"accepted": 0, "duplicates": 1, "rejected": []})
    assert list(LearningEvent.objects.values_list("occurred_at", flat=True)) == [at]
    if connection.vendor == "postgresql":  # the copy would have gone to the other side of midnight
        assert partition_of(same["event_id"]) == partitions.partition_name(at.date())


def test_a_copy_across_the_boundary_with_other_content_is_a_conflict(user):
    original = event(occurred_at=(MIDNIGHT - datetime.timedelta(milliseconds=500)).isoformat())
    changed = {**original, "context": {"content_id": 99, "content_type": "article"}}
    services.ingest_batch(user=user, body=batch([original], MIDNIGHT), received_at=MIDNIGHT)
    result = services.ingest_batch(user=user, body=batch([changed], MIDNIGHT),
                                   received_at=MIDNIGHT + datetime.timedelta(seconds=1))
    assert result == {"accepted": 0, "duplicates": 0, "rejected": [
        {"index": 0, "event_id": original["event_id"], "errors": {"event_id": services.CONFLICT_MESSAGE}}]}
    assert (LearningEvent.objects.get().context, RejectedEvent.objects.get().reason) == (VIEW, "conflict")


def test_another_users_copy_across_the_boundary_is_their_own_event(user, make_user):
    # The look-up in the neighbouring partition is by (user, event_id): the other learner's event with the
    # same id on the other side of midnight is stored, and the first learner's retry there is a duplicate.
    other = make_user()
    original = event(occurred_at=(MIDNIGHT - datetime.timedelta(milliseconds=500)).isoformat())
    services.ingest_batch(user=user, body=batch([original], MIDNIGHT), received_at=MIDNIGHT)
    later = MIDNIGHT + datetime.timedelta(seconds=1)
    assert services.ingest_batch(user=other, body=batch([original], MIDNIGHT), received_at=later) == {
        "accepted": 1, "duplicates": 0, "rejected": []}
    assert services.ingest_batch(user=user, body=batch([original], MIDNIGHT), received_at=later) == {
        "accepted": 0, "duplicates": 1, "rejected": []}
    stored = dict(LearningEvent.objects.values_list("user_id", "occurred_at"))
    assert stored == {user.pk: MIDNIGHT - datetime.timedelta(milliseconds=500),
                      other.pk: MIDNIGHT + datetime.timedelta(milliseconds=500)}


def test_an_event_sent_with_an_id_and_no_time_is_a_duplicate_days_later(user):
    # Stamped with its arrival each time: the copies are ten days (ten partitions) apart.
    same = event()
    first = ingest(user, [same], received_at=NOW - datetime.timedelta(days=10))
    retry = ingest(user, [same], received_at=NOW)
    assert (first["accepted"], retry) == (1, {"accepted": 0, "duplicates": 1, "rejected": []})
    assert list(LearningEvent.objects.values_list("occurred_at", flat=True)) == [NOW - datetime.timedelta(days=10)]


def test_server_code_skips_and_refuses_an_id_stored_across_the_boundary(user):
    from django.db import IntegrityError

    stored = services.log_event(user, "content_view", VIEW, occurred_at=MIDNIGHT - datetime.timedelta(seconds=1))
    again = {"user": user, "event_type": "content_view", "context": VIEW, "event_id": stored.event_id,
             "occurred_at": MIDNIGHT + datetime.timedelta(seconds=1)}
    assert services.log_events([again]) == 0
    with pytest.raises(IntegrityError):
        services.log_event(user, "content_view", VIEW, occurred_at=MIDNIGHT + datetime.timedelta(seconds=1),
                           event_id=stored.event_id)
    assert LearningEvent.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_side", ["before", "after"])
def test_concurrent_replays_on_both_sides_of_the_boundary_store_the_event_once(user, first_side):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises writers, two transactions never insert at the same moment")
    # The same 50 events, as two batches whose clock-skew corrections differ by a second: one copy of each
    # falls before midnight, the other after, so no unique index sees both.
    events = [event(occurred_at=(MIDNIGHT - datetime.timedelta(milliseconds=500)).isoformat()) for _ in range(50)]
    early, late = (batch(events, MIDNIGHT), batch(events, MIDNIGHT - datetime.timedelta(seconds=1)))
    partitions.ensure_partitions([MIDNIGHT - datetime.timedelta(days=1), MIDNIGHT])
    results = race(user, *((early, late) if first_side == "before" else (late, early)), received_at=MIDNIGHT)
    assert results == {"first": {"accepted": 50, "duplicates": 0, "rejected": []},
                       "second": {"accepted": 0, "duplicates": 50, "rejected": []}}
    occurred = set(LearningEvent.objects.values_list("occurred_at", flat=True))
    expected = MIDNIGHT - datetime.timedelta(milliseconds=500) + (
        datetime.timedelta(0) if first_side == "before" else datetime.timedelta(seconds=1))
    assert (LearningEvent.objects.count(), occurred) == (50, {expected})
