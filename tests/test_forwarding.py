"""Forwarding to an LRS: batches in stored order, at least once, backoff when the LRS is down or slow, dead
letters for refused statements (found by splitting the batch), a cursor that survives a run dying mid-batch,
and nothing sent while events are stored. Failure modes against a fake LRS (tests/lrs.py), the round trip and
the restart against a real one (Ralph's LRS server)."""

import base64
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django import db
from django.db import connection, transaction
from django.utils import timezone

from learning_events import forwarding, services, tasks, xapi
from learning_events.models import LearningEvent, XapiCursor, XapiDeadLetter
from tests.lrs import PASSWORD, USERNAME, FakeLrs, RalphLrs, free_port

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SESSION = "6f1c1e6e-6d4b-4c1f-9d0a-3b3c8a1f2e10"


@pytest.fixture(scope="module")
def ralph_server(tmp_path_factory):
    server = RalphLrs(tmp_path_factory.mktemp("ralph")).start()
    yield server
    server.stop()


@pytest.fixture
def ralph(ralph_server, xapi_settings):
    xapi_settings.LEARNING_EVENTS_XAPI_ENDPOINT = ralph_server.endpoint
    return ralph_server


def words(user, n, **kw):
    """``n`` word answers of ``user``, a second apart; their event ids in stored order."""
    return [str(services.log_word_practice(user, 100 + i, i % 2 == 0, occurred_at=T0 + timedelta(seconds=i),
                                           **kw).event_id) for i in range(n)]


def cursor() -> XapiCursor:
    return XapiCursor.objects.get()


def time_passes() -> None:
    """The backoff (or a dead run's lease) is over."""
    XapiCursor.objects.update(next_attempt_at=None, leased_until=None)


def last_pk() -> int:
    return LearningEvent.objects.order_by("-id").values_list("id", flat=True).first()


def before_first() -> int:
    """Where a new cursor starts: just before the oldest stored event (ids need not start at 1)."""
    return LearningEvent.objects.order_by("id").values_list("id", flat=True).first() - 1


# --- delivery ---------------------------------------------------------------------------------------


def test_nothing_is_sent_while_events_are_stored_only_by_the_periodic_run(lrs, user, room):
    ids = words(user, 2)
    services.ingest_batch(user=user, body=json.dumps({"events": [
        {"event_type": "content_view", "context": {"content_id": 1, "content_type": "story"}}]}).encode())
    assert lrs.requests == []
    report = forwarding.forward_xapi()
    assert (report, [r.ids for r in lrs.requests][0][:2]) == (forwarding.ForwardReport(delivered=3), ids)


def test_a_run_posts_statements_with_the_version_header_and_basic_auth(lrs, user, xapi_settings):
    ids = words(user, 3)
    forwarding.forward_xapi()
    (request,) = lrs.requests
    assert (request.path, request.headers["X-Experience-API-Version"], request.headers["Content-Type"],
            request.headers["Authorization"], request.ids) == (
        "/xAPI/statements", "1.0.3", "application/json",
        "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode(), ids)
    mapper = xapi.StatementMapper()
    assert request.statements == [mapper.statement(e) for e in xapi.events(LearningEvent.objects.order_by("id"))]


def test_version_2_0_0_is_announced_when_chosen(lrs, user, xapi_settings):
    xapi_settings.LEARNING_EVENTS_XAPI_VERSION = "2.0.0"
    words(user, 1)
    forwarding.forward_xapi()
    assert lrs.requests[0].headers["X-Experience-API-Version"] == "2.0.0"


def test_events_go_in_batches_in_stored_order_and_the_cursor_records_it(lrs, make_user, xapi_settings):
    xapi_settings.LEARNING_EVENTS_XAPI_BATCH_SIZE = 2
    ann, bob = make_user(), make_user()
    # Stored order, not occurred_at order: a late batch of older events goes after what was stored before it.
    first = words(ann, 2)
    late = [str(services.log_word_practice(bob, 1, True, occurred_at=T0 - timedelta(hours=1)).event_id)]
    rest = words(ann, 2)
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=5)
    assert [r.ids for r in lrs.requests] == [first, late + rest[:1], rest[1:]]
    assert (cursor().position, cursor().delivered, cursor().consecutive_failures, cursor().last_success_at is None) == (
        last_pk(), 5, 0, False)
    assert forwarding.forward_xapi() == forwarding.ForwardReport()  # caught up: no request at all
    assert len(lrs.requests) == 3


def test_without_an_endpoint_nothing_happens(user, xapi_settings):
    words(user, 1)
    assert forwarding.forward_xapi() == forwarding.ForwardReport(skipped="LEARNING_EVENTS_XAPI_ENDPOINT is unset")
    assert not XapiCursor.objects.exists()


def test_the_task_is_named_acked_late_and_calls_the_run(lrs, user):
    ids = words(user, 1)
    tasks.forward_xapi_task.delay()
    assert ((tasks.forward_xapi_task.name, tasks.forward_xapi_task.acks_late), list(lrs.stored)) == (
        ("learning_events.forward_xapi", True), ids)


# --- the LRS down, slow, failing: retried later with backoff, nothing lost ------------------------


def test_lrs_down_is_retried_later_with_nothing_lost(lrs, user, xapi_settings):
    ids = words(user, 3)
    xapi_settings.LEARNING_EVENTS_XAPI_ENDPOINT = f"http://127.0.0.1:{free_port()}/xAPI"  # nobody listens
    before = timezone.now()
    report = forwarding.forward_xapi()
    assert report.failed.startswith(f"cannot reach http://127.0.0.1:")
    down = XapiCursor.objects.get(endpoint=xapi_settings.LEARNING_EVENTS_XAPI_ENDPOINT)
    assert (down.position, down.delivered, down.consecutive_failures, down.failures, down.last_error) == (
        before_first(), 0, 1, 1, report.failed)
    assert before + timedelta(seconds=30) <= down.next_attempt_at <= timezone.now() + timedelta(seconds=30)
    assert forwarding.forward_xapi().skipped.startswith("backing off until ")
    XapiCursor.objects.update(endpoint=lrs.endpoint)  # the LRS is back (at its address)
    xapi_settings.LEARNING_EVENTS_XAPI_ENDPOINT = lrs.endpoint
    time_passes()
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=3)
    assert (list(lrs.stored), cursor().consecutive_failures, cursor().failures) == (ids, 0, 1)


def test_a_slow_lrs_times_out_and_the_batch_is_sent_again_without_doubles(lrs, user):
    ids = words(user, 2)
    lrs.delay = 1.5  # beyond the 1 s timeout: the LRS may store them, but the forwarder cannot know
    report = forwarding.forward_xapi()
    assert (report.failed, cursor().position) == (f"{lrs.endpoint}/statements did not answer within 1 s",
                                                  before_first())
    lrs.delay = 0
    time_passes()
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=2)
    assert ([r.ids for r in lrs.requests], list(lrs.stored)) == ([ids, ids], ids)


@pytest.mark.parametrize("status", [500, 502, 503, 401, 403, 404, 429])
def test_server_errors_and_auth_failures_back_off_exponentially(lrs, user, status):
    words(user, 1)
    lrs.answer = lambda statements: (status, '{"detail": "no"}')
    for wait in (30, 60, 120):
        time_passes()
        started = timezone.now()
        assert forwarding.forward_xapi().failed == f"{lrs.endpoint}/statements answered {status}: {{\"detail\": \"no\"}}"
        assert started + timedelta(seconds=wait) <= cursor().next_attempt_at <= timezone.now() + timedelta(seconds=wait)
    assert (cursor().position, cursor().consecutive_failures) == (before_first(), 3)


def test_the_backoff_stops_at_an_hour(lrs, user):
    words(user, 1)
    lrs.answer = lambda statements: (503, "")
    XapiCursor.objects.create(endpoint=lrs.endpoint, position=last_pk() - 1, consecutive_failures=1000)
    started = timezone.now()
    forwarding.forward_xapi()
    assert started + timedelta(hours=1) <= cursor().next_attempt_at <= timezone.now() + timedelta(hours=1)


# --- refused statements: dead letters, found by splitting the batch --------------------------------


def refusing(bad_ids):
    def answer(statements):
        bad = [s["id"] for s in statements if s["id"] in bad_ids]
        if bad:
            return 400, json.dumps({"detail": f"invalid statement {bad[0]}"})
        return 200, json.dumps([s["id"] for s in statements])
    return answer


def test_a_400_on_one_statement_dead_letters_it_and_delivers_the_others(lrs, user):
    ids = words(user, 5)
    lrs.answer = refusing({ids[2]})
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=4, dead_lettered=1)
    assert [r.ids for r in lrs.requests] == [ids, ids[:2], ids[2:], ids[2:3], ids[3:]]
    assert list(lrs.stored) == ids[:2] + ids[3:]
    letter = XapiDeadLetter.objects.get()
    event = LearningEvent.objects.get(event_id=ids[2])
    assert (str(letter.event_id), letter.event_pk, letter.status_code, letter.response, letter.endpoint,
            letter.statement, letter.delivered_at) == (
        ids[2], event.pk, 400, json.dumps({"detail": f"invalid statement {ids[2]}"}), lrs.endpoint,
        lrs.requests[3].statements[0], None)
    assert (cursor().position, cursor().delivered, cursor().dead_lettered) == (last_pk(), 4, 1)


def test_a_409_alone_counts_as_delivered_and_a_409_in_a_batch_is_split(lrs, user):
    ids = words(user, 3)
    conflicting = ids[1]

    def answer(statements):
        if any(s["id"] == conflicting for s in statements):
            return 409, '{"detail": "Differing statements already exist with the same ID"}'
        return 204, ""
    lrs.answer = answer
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=3)
    assert ([r.ids for r in lrs.requests], XapiDeadLetter.objects.count()) == ([ids, ids[:1], ids[1:], ids[1:2], ids[2:]], 0)


def test_dead_letters_are_retried_rebuilt_from_their_events(lrs, user, xapi_settings):
    ids = words(user, 3)
    lrs.answer = refusing({ids[0], ids[2]})
    forwarding.forward_xapi()
    LearningEvent.objects.filter(event_id=ids[2]).delete()  # purged since
    lrs.answer = FakeLrs.answer
    report = forwarding.retry_dead_letters(XapiDeadLetter.objects.all())
    assert report == forwarding.RetryReport(delivered=1, gone=1)
    delivered, gone = XapiDeadLetter.objects.order_by("event_pk")
    assert ((str(delivered.event_id), delivered.attempts, delivered.delivered_at is not None),
            (str(gone.event_id), gone.attempts, gone.delivered_at)) == ((ids[0], 2, True), (ids[2], 1, None))
    assert list(lrs.stored) == [ids[1], ids[0]]


def test_a_retry_refused_again_keeps_the_new_answer(lrs, user):
    ids = words(user, 1)
    lrs.answer = refusing(set(ids))
    forwarding.forward_xapi()
    lrs.answer = lambda statements: (422, "still wrong")
    assert forwarding.retry_dead_letters(XapiDeadLetter.objects.all()) == forwarding.RetryReport(refused=1)
    letter = XapiDeadLetter.objects.get()
    assert (letter.status_code, letter.response, letter.attempts, letter.delivered_at) == (422, "still wrong", 2, None)


def test_a_retry_while_the_lrs_is_down_changes_nothing(lrs, user, xapi_settings):
    words(user, 1)
    lrs.answer = refusing(set(words(user, 1)))
    forwarding.forward_xapi()
    lrs.answer = lambda statements: (503, "")
    with pytest.raises(forwarding.LrsUnavailable):
        forwarding.retry_dead_letters(XapiDeadLetter.objects.all())
    assert XapiDeadLetter.objects.get().attempts == 1


def test_letters_of_another_endpoint_are_left_alone(lrs, user, xapi_settings):
    lrs.answer = refusing(set(words(user, 1)))
    forwarding.forward_xapi()
    xapi_settings.LEARNING_EVENTS_XAPI_ENDPOINT = "https://other-lrs.example/xAPI"
    assert forwarding.retry_dead_letters(XapiDeadLetter.objects.all()) == forwarding.RetryReport(elsewhere=1)


# --- ids not visible yet: transactions that commit out of id order ---------------------------------


def test_an_event_whose_id_is_missing_holds_back_the_later_ones_until_it_commits(lrs, user):
    ids = words(user, 3)
    middle = LearningEvent.objects.get(event_id=ids[1])
    fields = {f.attname: getattr(middle, f.attname) for f in LearningEvent._meta.concrete_fields}
    middle.delete()  # as if its transaction were still open: its id is taken, its row not visible yet
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=1)
    LearningEvent.objects.create(**fields)  # it commits
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=2)
    assert [r.ids for r in lrs.requests] == [ids[:1], ids[1:]]


def test_a_missing_id_is_given_up_once_the_events_after_it_are_settled(lrs, user, xapi_settings):
    ids = words(user, 3)
    LearningEvent.objects.filter(event_id=ids[1]).delete()  # rolled back: it never appears
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=1)
    LearningEvent.objects.filter(event_id=ids[2]).update(created_at=timezone.now() - timedelta(seconds=301))
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=1)
    assert list(lrs.stored) == [ids[0], ids[2]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_event_committed_after_a_later_id_is_still_forwarded(lrs, make_user):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer, so ids never commit out of order")
    user, other = make_user(), make_user()
    first = words(user, 1)
    inserted, release, slow = threading.Event(), threading.Event(), []

    def slow_request():  # takes its id, then keeps its transaction open
        try:
            with transaction.atomic():
                slow.append(str(services.log_word_practice(user, 1, True, occurred_at=T0).event_id))
                inserted.set()
                release.wait(10)
        finally:
            db.connection.close()

    thread = threading.Thread(target=slow_request)
    thread.start()
    assert inserted.wait(10)
    # Another learner (the same learner's next event would wait for the first's commit: both mark the same
    # learner-day dirty) takes a larger id and commits first.
    fast = words(other, 1)
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=1)  # the first; the fast one waits
    release.set()
    thread.join()
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=2)
    assert list(lrs.stored) == first + slow + fast


# --- runs that overlap or die ------------------------------------------------------------------------


def test_a_run_holding_the_cursor_keeps_others_out_until_its_lease_ends(lrs, user):
    words(user, 1)
    XapiCursor.objects.create(endpoint=lrs.endpoint, position=last_pk() - 1,
                              leased_until=timezone.now() + timedelta(seconds=60))
    assert (forwarding.forward_xapi().skipped, lrs.requests) == ("another run is forwarding", [])
    XapiCursor.objects.update(leased_until=timezone.now() - timedelta(seconds=1))  # that run died
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=1)


def test_a_run_dying_between_send_and_cursor_save_resends_and_the_real_lrs_keeps_each_once(ralph, user, room,
                                                                                           monkeypatch, xapi_settings):
    xapi_settings.LEARNING_EVENTS_XAPI_BATCH_SIZE = 2
    ids = words(user, 5, context={"session_id": SESSION})

    class Killed(BaseException):
        pass

    saved = []
    real = forwarding._Cursor.accepted

    def dies_on_the_second_batch(self, items):
        if saved:
            raise Killed()  # the LRS has the second batch; the cursor never hears of it
        saved.append(items)
        real(self, items)
    monkeypatch.setattr(forwarding._Cursor, "accepted", dies_on_the_second_batch)
    with pytest.raises(Killed):
        forwarding.forward_xapi()
    assert cursor().position == LearningEvent.objects.get(event_id=ids[1]).pk
    monkeypatch.setattr(forwarding._Cursor, "accepted", real)
    time_passes()  # the restarted worker's next run
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=3)
    stored = [s["id"] for s in ralph.statements() if s["id"] in ids]
    assert sorted(stored) == sorted(ids)  # each once: the resent batch was recognised by its ids


# --- the round trip through a real LRS ------------------------------------------------------------


def test_every_event_type_round_trips_through_a_real_lrs(ralph, user, room):
    services.log_practice_start(user, SESSION, room, word_list_id=3, occurred_at=T0)
    services.log_word_practice(user, 7, True, room, occurred_at=T0, context={"session_id": SESSION, "response_ms": 900})
    services.log_word_practice(user, 8, False, occurred_at=T0, context={"answer": "ñandú 🙂"})
    services.log_practice_end(user, SESSION, room, occurred_at=T0)
    services.log_exam_answers(user, exam_id=4, submission_id=9, classroom=room, occurred_at=T0, duration_seconds=0,
                              answers=[{"question_id": 1, "correct": True}, {"question_id": 2, "correct": False}])
    services.log_content_view(user, content_id=5, content_type="story", occurred_at=T0)
    services.log_content_complete(user, content_id=5, content_type="story", duration_seconds=61.5, occurred_at=T0)
    services.log_game_complete(user, game_id=2, score=0, duration_seconds=0, word_ids=[7, 8], classroom=room,
                               occurred_at=T0)
    assert forwarding.forward_xapi() == forwarding.ForwardReport(delivered=9)
    mapper = xapi.StatementMapper()
    sent = {s["id"]: s for s in map(mapper.statement, xapi.events(LearningEvent.objects.order_by("id")))}
    read_back = {s["id"]: s for s in ralph.statements() if s["id"] in sent}
    # The LRS adds what is its own to add (stored, authority); everything sent comes back as sent.
    assert {i: {k: v for k, v in s.items() if k not in ("stored", "authority")} for i, s in read_back.items()} == sent
    assert {s["verb"]["id"].rsplit("/", 1)[1] for s in read_back.values()} == {
        "initialized", "answered", "terminated", "experienced", "completed"}
