"""``rollup_stats``: backfill one day or a range of days, with clear errors for bad dates."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from learning_events.models import DirtyDay
from tests.rollups import event, log, stored_learner_days

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_days(make_user):
    learner = make_user()
    log(event(learner, "word_correct", datetime(2026, 3, 9, 12, 0, tzinfo=UTC), word_id=1),
        event(learner, "word_correct", datetime(2026, 3, 10, 12, 0, tzinfo=UTC), word_id=1))
    DirtyDay.objects.all().delete()
    return learner


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rollup_stats", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_one_day(two_days):
    out, err = run("--date", "2026-03-10")
    assert out == "Rolled up 1 day(s) from 2026-03-10 to 2026-03-10: 1 learner-days and 0 classroom-days recomputed.\n"
    assert "rolling up: 100%" in err
    assert list(stored_learner_days()) == [(two_days.pk, date(2026, 3, 10))]


def test_a_range_of_days(two_days):
    out, _ = run("--since", "2026-03-08", "--until", "2026-03-10")
    # The learner had events around each of the three days, so each was recomputed (8 March to nothing).
    assert out == "Rolled up 3 day(s) from 2026-03-08 to 2026-03-10: 3 learner-days and 0 classroom-days recomputed.\n"
    assert set(stored_learner_days()) == {(two_days.pk, date(2026, 3, 9)), (two_days.pk, date(2026, 3, 10))}


def test_since_runs_until_yesterday_by_default(two_days, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 11, 8, 0, tzinfo=UTC))
    out, _ = run("--since", "2026-03-10", "--verbosity", "0")
    assert out == "Rolled up 1 day(s) from 2026-03-10 to 2026-03-10: 1 learner-days and 0 classroom-days recomputed.\n"


def test_dirty_rolls_up_the_marked_days_and_clears_the_marks(make_user):
    learner = make_user()
    log(event(learner, "word_correct", datetime(2026, 3, 9, 12, 0, tzinfo=UTC), word_id=1))
    out, _ = run("--dirty")
    assert out == "Rolled up the dirty days: 1 learner-days and 0 classroom-days recomputed.\n"
    assert list(stored_learner_days()) == [(learner.pk, date(2026, 3, 9))]
    assert DirtyDay.objects.count() == 0


@pytest.mark.parametrize(("args", "message"), [
    (("--date", "10/03/2026"), "'10/03/2026' is not a date: use YYYY-MM-DD"),
    (("--since", "2026-03-10", "--until", "2026-03-09"), "--until 2026-03-09 is before --since 2026-03-10"),
    (("--date", "2026-03-10", "--until", "2026-03-11"), "--until goes with --since, not with --date"),
    ((), "Error: one of the arguments --date --since --dirty is required"),
    (("--dirty", "--until", "2026-03-11"), "--until goes with --since, not with --dirty"),
    (("--date", "2026-03-10", "--since", "2026-03-09"), "Error: argument --since: not allowed with argument --date"),
])
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(CommandError) as info:
        run(*args)
    assert str(info.value) == message
