import datetime as dt, uuid
import pytest
from learning_events import aggregation, services
from learning_events.models import *

pytestmark = pytest.mark.django_db

def test_smoke(make_user, room, django_assert_max_num_queries):
    u = make_user(time_zone="Europe/Paris")
    room.members.add(u)
    s = str(uuid.uuid4())
    t0 = dt.datetime(2026, 3, 28, 22, 50, tzinfo=dt.UTC)
    services.log_practice_start(u, s, room, occurred_at=t0)
    for i in range(5):
        services.log_word_practice(u, i, i % 2 == 0, room, context={"session_id": s}, occurred_at=t0 + dt.timedelta(minutes=2 * i + 1))
    services.log_practice_end(u, s, room, occurred_at=t0 + dt.timedelta(minutes=15))
    services.log_game_complete(u, game_id=1, score=3, duration_seconds=600.5, occurred_at=t0 + dt.timedelta(minutes=20))
    print(list(DirtyDay.objects.values_list("user_id", "date")))
    r = aggregation.rollup_dirty_days()
    print(r)
    for d in (dt.date(2026,3,28), dt.date(2026,3,29)):
        print(d, aggregation.aggregate_daily_stats(u.pk, d))
    print(list(LearnerDailyStats.objects.values()))
    print(list(LearnerClassroomDailyStats.objects.values()))
    print(list(ClassroomDailyStats.objects.values()))
    print(list(LearnerWordDailyStats.objects.values()))
    print(list(ClassroomWordDailyStats.objects.values()))
