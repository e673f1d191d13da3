"""Admin of raw events (read-only, filters, search), dead letters (status filter, replay action) and the
rollups (every list loads; a learner-day lists its word rows)."""

import json
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from learning_events import aggregation, services
from learning_events.models import LearnerClassroomDailyStats, LearnerDailyStats, LearningEvent, RejectedEvent
from tests.rollups import event, log
from tests.testapp.models import Room

pytestmark = pytest.mark.django_db

VIEW = {"content_id": 12, "content_type": "story"}
EVENTS = "/admin/learning_events/learningevent/"
LETTERS = "/admin/learning_events/rejectedevent/"


@pytest.fixture
def admin_client_(db):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("boss", "boss@example.com", "x"))
    return client


def ingest(user, events):
    return services.ingest_batch(user=user, body=json.dumps({"events": events}).encode())


@pytest.mark.parametrize("query", [
    "", "?event_type__exact=content_view", "?occurred_at__gte=2000-01-01+00:00:00%2B00:00", "?classroom__id__exact={room}",
    "?q=u1", "?q=nobody",
])
def test_the_event_changelist_loads_with_filters_and_search(admin_client_, user, room, query):
    ingest(user, [{"event_type": "content_view", "context": VIEW, "classroom_id": room.pk}])
    response = admin_client_.get(EVENTS + query.format(room=room.pk))
    assert response.status_code == 200
    shown = [obj.user.username for obj in response.context["cl"].result_list]
    assert shown == ([] if query == "?q=nobody" else ["u1"])


def test_the_event_filters_are_type_date_and_classroom(admin_client_, room):
    response = admin_client_.get(EVENTS)
    assert [spec.title for spec in response.context["cl"].filter_specs] == ["event type", "occurred at", "classroom"]


def test_events_are_read_only(admin_client_, user):
    ingest(user, [{"event_type": "content_view", "context": VIEW}])
    event = LearningEvent.objects.get()
    page = admin_client_.get(f"{EVENTS}{event.pk}/change/")
    assert (page.status_code, page.context["has_change_permission"]) == (200, False)
    assert admin_client_.get(f"{EVENTS}add/").status_code == 403
    assert admin_client_.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LearningEvent.objects.count() == 1


def test_the_dead_letter_changelist_filters_by_status_and_reason(admin_client_, user):
    ingest(user, [{"event_type": "exam_answer"}, {"event_type": "word_correct"}])
    RejectedEvent.objects.filter(batch_index=1).update(replayed_at="2026-05-01T00:00:00Z")
    for query, indexes in [("", [0, 1]), ("?status=pending", [0]), ("?status=replayed", [1]),
                           ("?reason__exact=conflict", []), ("?q=u1", [0, 1])]:
        response = admin_client_.get(LETTERS + query)
        assert response.status_code == 200
        assert sorted(obj.batch_index for obj in response.context["cl"].result_list) == indexes, query


def test_the_replay_action_stores_what_passes_now_and_says_how_many(admin_client_, user):
    from tests.testapp.models import Room

    room = Room.objects.create(name="Joined later")
    event_id = str(uuid.uuid4())
    ingest(user, [{"event_id": event_id, "event_type": "content_view", "context": VIEW, "classroom_id": room.pk},
                  {"event_type": "exam_answer"}])
    room.members.add(user)
    response = admin_client_.post(LETTERS, {"action": "replay", "_selected_action": list(
        RejectedEvent.objects.values_list("pk", flat=True))}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["Replayed 1 dead letter(s); 1 still pending."]
    assert list(LearningEvent.objects.values_list("event_id", flat=True)) == [uuid.UUID(event_id)]
    assert list(RejectedEvent.objects.order_by("batch_index").values_list("replayed_event_id", flat=True)) == [
        uuid.UUID(event_id), None]


def test_the_replay_action_needs_the_change_permission(user):
    from django.contrib.auth.models import Permission

    from tests.testapp.models import Room

    room = Room.objects.create(name="Joined later")
    ingest(user, [{"event_type": "content_view", "context": VIEW, "classroom_id": room.pk}])
    room.members.add(user)  # the letter would pass now
    staff = get_user_model().objects.create_user("clerk", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_rejectedevent"))
    client = Client()
    client.force_login(staff)
    response = client.get(LETTERS)
    assert response.status_code == 200
    assert response.context["action_form"] is None  # no action this user may run: the replay is not offered
    client.post(LETTERS, {"action": "replay", "_selected_action": [RejectedEvent.objects.get().pk]})
    assert (RejectedEvent.objects.get().replayed_at, LearningEvent.objects.count()) == (None, 0)


@pytest.mark.parametrize("model", ["learnerdailystats", "learnerclassroomdailystats", "classroomdailystats",
                                   "classroomworddailystats", "dirtyday", "eventpurge"])
def test_every_rollup_changelist_loads(admin_client_, model):
    assert admin_client_.get(f"/admin/learning_events/{model}/").status_code == 200


def test_a_learner_day_page_lists_its_word_rows(admin_client_, user):
    at = timezone.now() - timedelta(hours=1)
    log(*(event(user, event_type, at + timedelta(seconds=n), word_id=word_id) for n, (event_type, word_id) in
          enumerate((("word_incorrect", 41), ("word_correct", 41), ("word_incorrect", 7)))))
    aggregation.rollup_dirty_days()
    day = LearnerDailyStats.objects.get(user=user)
    page = admin_client_.get(f"/admin/learning_events/learnerdailystats/{day.pk}/change/").content.decode()
    rows = [cells.split("</td><td>") for cells in page.split("<tr><td>")[1:]]
    assert [cells[:4] for cells in rows] == [["7", "1", "0", "incorrect"], ["41", "2", "1", "correct"]]
    # Learner-word rows (composite primary key) have no admin page of their own.
    assert admin_client_.get("/admin/learning_events/learnerworddailystats/").status_code == 404


# --- xAPI forwarding -----------------------------------------------------------------------------------

CURSORS = "/admin/learning_events/xapicursor/"
STATEMENTS = "/admin/learning_events/xapideadletter/"


def refuse_the_second(lrs):
    """The LRS refuses the statement whose id is ``lrs.bad`` (whole batches holding it too)."""
    lrs.answer = lambda statements: ((400, '{"detail": "bad"}') if any(s["id"] == lrs.bad for s in statements)
                                     else (200, "[]"))


def test_the_cursor_page_shows_position_waiting_events_lag_and_failures(admin_client_, user, lrs):
    from learning_events import forwarding

    services.log_word_practice(user, 1, True)
    forwarding.forward_xapi()
    waiting = services.log_word_practice(user, 2, True)
    LearningEvent.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(hours=1, minutes=2))
    response = admin_client_.get(CURSORS)
    (cursor,) = response.context["cl"].result_list
    admin_ = response.context["cl"].model_admin
    assert (response.status_code, cursor.position, cursor.delivered, admin_.waiting(cursor)) == (
        200, waiting.pk - 1, 1, 1)
    assert admin_.lag(cursor).startswith("1 h 02 min") and b"1 h 02 min" in response.content
    services.log_word_practice(user, 3, True)
    forwarding.forward_xapi()
    assert admin_.lag(type(cursor).objects.get()) == "none"


def test_the_retry_action_delivers_refused_statements_again_and_says_how_many(admin_client_, user, lrs):
    from learning_events import forwarding
    from learning_events.models import XapiDeadLetter

    services.log_word_practice(user, 1, True)
    lrs.bad = str(services.log_word_practice(user, 2, True).event_id)
    refuse_the_second(lrs)
    forwarding.forward_xapi()
    for query, count in [("", 1), ("?status=pending", 1), ("?status=delivered", 0), ("?status_code__exact=400", 1)]:
        response = admin_client_.get(STATEMENTS + query)
        assert (response.status_code, len(response.context["cl"].result_list)) == (200, count), query
    lrs.bad = None  # the LRS was fixed
    response = admin_client_.post(STATEMENTS, {"action": "retry", "_selected_action": list(
        XapiDeadLetter.objects.values_list("pk", flat=True))}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Delivered 1 statement(s); 0 refused again."]
    assert XapiDeadLetter.objects.get().delivered_at is not None


def test_the_retry_action_says_when_the_lrs_is_down(admin_client_, user, lrs):
    from learning_events import forwarding
    from learning_events.models import XapiDeadLetter

    lrs.bad = str(services.log_word_practice(user, 2, True).event_id)
    refuse_the_second(lrs)
    forwarding.forward_xapi()
    lrs.answer = lambda statements: (503, "maintenance")
    response = admin_client_.post(STATEMENTS, {"action": "retry", "_selected_action": list(
        XapiDeadLetter.objects.values_list("pk", flat=True))}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Nothing retried: {lrs.endpoint}/statements answered 503: maintenance"]
    assert XapiDeadLetter.objects.get().delivered_at is None
def test_a_learner_classroom_day_page_lists_its_word_rows_in_that_classroom(admin_client_, user, room):
    other = Room.objects.create(name="Room 2")
    at = timezone.now() - timedelta(hours=1)
    log(event(user, "word_incorrect", at, room, word_id=41), event(user, "word_correct", at, room, word_id=41),
        event(user, "word_correct", at, other, word_id=7))
    aggregation.rollup_dirty_days()
    day = LearnerClassroomDailyStats.objects.get(user=user, classroom=room)
    page = admin_client_.get(f"/admin/learning_events/learnerclassroomdailystats/{day.pk}/change/").content.decode()
    rows = [cells.split("</td></tr>")[0].split("</td><td>") for cells in page.split("<tr><td>")[1:]]
    assert rows == [["41", "2", "1"]]
    # Their rows have a composite primary key: no admin page of their own.
    assert admin_client_.get("/admin/learning_events/learnerclassroomworddailystats/").status_code == 404
