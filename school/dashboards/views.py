"""The dashboards' pages: thin views that read rollups through selectors and render templates.

Chart data is embedded in each page with ``json_script`` (no second request); ``static/dashboards/
dashboards.js`` draws it with the vendored Chart.js and makes the learners' table sortable.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from learning_events import insights
from learning_events import selectors as stats
from learning_events.replica import reads_from_replica

from school.api.permissions import is_teacher
from school.classrooms import progress
from school.classrooms.selectors import learner_for_viewer

from . import selectors
from .forms import DEFAULT_DAYS, date_range

#: Fewest attempts at a word before it can rank among a classroom's hardest or a learner's weakest.
CLASSROOM_MIN_ATTEMPTS = 5
LEARNER_MIN_ATTEMPTS = 3
WORDS_SHOWN = 10
#: Due words on a learner's page, and words on a classroom's memory panel.
MEMORY_WORDS_SHOWN = 10
#: The daily seconds of exams, reading and games, drawn stacked in the activity panel.
ACTIVITY_SECONDS = ("exam_seconds", "reading_seconds", "game_seconds")


def _chart_data(days: list[dict[str, Any]], names: tuple[str, ...], today: date) -> dict[str, Any]:
    """The day-by-day series of ``names`` for the page's charts: ``{"labels": [ISO dates], name: [...],
    "today": ISO date or None}``. ``today`` is named when the range holds it: that day is not over, so the
    charts draw it apart rather than as a dip."""
    labels = [day["date"].isoformat() for day in days]
    return {"labels": labels, **{name: [day[name] for day in days] for name in names},
            "today": today.isoformat() if today.isoformat() in labels else None}


@login_required
@reads_from_replica
def home(request: HttpRequest) -> HttpResponse:
    """A teacher's (staff: every) classrooms with their figures of the last days, the assignments due this week
    (today and the 6 days after) with who has not done them, and those of the last days overdue for someone;
    a learner's own page."""
    user = request.user
    if not is_teacher(user):
        return redirect("dashboards:learner", learner_id=user.pk)
    end = selectors.today_for(user)
    start = end - timedelta(days=DEFAULT_DAYS - 1)
    classrooms = list(selectors.taught_classrooms(user))
    headlines = selectors.classroom_headlines([c.pk for c in classrooms], start, end)
    now, week_end = selectors.now(), end + timedelta(days=6)
    return render(request, "dashboards/home.html", {
        "rows": [{"classroom": c, **headlines[c.pk]} for c in classrooms],
        "start": start, "end": end, "days": DEFAULT_DAYS, "week_end": week_end,
        "due": progress.assignments_due(user, end, week_end, now=now),
        "overdue": [item for item in progress.assignments_due(user, start, end - timedelta(days=1), now=now)
                    if item.overdue],
    })


@login_required
@reads_from_replica
def classroom(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """A classroom's charts per day, its learners' figures, its exams, reading and games and its hardest words
    over ``?from=&to=``, its assignments' progress, and its predicted retention today."""
    room = stats.classroom_for_stats(request.user, classroom_id)  # Http404, PermissionDenied: 404/403 pages
    today = selectors.today_for(request.user)
    period = date_range(request.GET, today=today)
    daily = stats.classroom_daily_stats(room.pk, period.start, period.end)
    members = stats.classroom_members(room.pk)
    return render(request, "dashboards/classroom.html", {
        "classroom": room,
        "period": period,
        "today": today,
        "days": daily["days"],
        "totals": daily["totals"],
        "chart": _chart_data(daily["days"], ("active_learners", "words_practiced", "words_correct",
                                             "accuracy", "time_spent", *ACTIVITY_SECONDS), today),
        "learners": stats.classroom_learner_stats(room.pk, period.start, period.end, members),
        "hardest_words": stats.with_word_names(stats.classroom_hardest_words(
            room.pk, min_attempts=CLASSROOM_MIN_ATTEMPTS, limit=WORDS_SHOWN, start=period.start, end=period.end))[0],
        "min_attempts": CLASSROOM_MIN_ATTEMPTS,
        "assignments": progress.classroom_progress(room, now=selectors.now()),
        "retention": stats.classroom_retention(room.pk, limit=MEMORY_WORDS_SHOWN, now=selectors.now()),
    })


@login_required
@reads_from_replica
def learner(request: HttpRequest, learner_id: int) -> HttpResponse:
    """A learner's own charts per day over ``?from=&to=``, their streak, exams, reading and games, their weakest
    words, their words due for review and their assignments (a teacher sees those of their own classrooms)."""
    person = learner_for_viewer(request.user, learner_id)  # Http404, PermissionDenied: 404/403 pages
    today = selectors.today_for(person)
    period = date_range(request.GET, today=today)
    daily = stats.learner_daily_stats(person.pk, period.start, period.end)
    reviews = stats.learner_reviews(person.pk, limit=MEMORY_WORDS_SHOWN, now=selectors.now())
    [reviews["words"]] = stats.with_word_names(reviews["words"])
    return render(request, "dashboards/learner.html", {
        "person": person,
        "is_self": person.pk == request.user.pk,
        "period": period,
        "today": today,
        "days": daily["days"],
        "totals": daily["totals"],
        "chart": _chart_data(daily["days"], ("words_practiced", "words_correct", "accuracy", "time_spent",
                                             *ACTIVITY_SECONDS), today),
        "streak": insights.learner_streak(person.pk, as_of=today)["current"],
        "weakest_words": stats.with_word_names(insights.never_perfect(stats.learner_weakest_words(
            person.pk, min_attempts=LEARNER_MIN_ATTEMPTS, limit=WORDS_SHOWN, start=period.start, end=period.end,
            with_last_correct=True)))[0],
        "min_attempts": LEARNER_MIN_ATTEMPTS,
        "classrooms": selectors.classrooms_of_learner(person, request.user),
        "checklist": progress.learner_progress(person, selectors.assignments_for_viewer(person, request.user),
                                               now=selectors.now()),
        "reviews": reviews,
    })
