"""Public reads of the pipeline: daily statistics from the stored rollups, for people and classrooms.

Every function reads rollups only (never raw events), in a fixed number of queries, and returns plain
data: days in a range come back one per calendar day, zeros (and ``None`` ratios) where nothing happened.
Host hooks (``LEARNING_EVENTS_CLASSROOM_STATS_ACCESS``, ``LEARNING_EVENTS_CLASSROOM_MEMBERS``,
``LEARNING_EVENTS_LEARNER_ACCESS``, ``LEARNING_EVENTS_WORD_NAMES``) say who may read a classroom, who belongs
to it, who may read a learner's figures and what the words are called; the pipeline never imports the host.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Sum
from django.http import Http404
from django.utils import timezone

from . import memory
from .conf import app_settings
from .models import (
    ClassroomDailyStats,
    ClassroomWordDailyStats,
    LearnerClassroomDailyStats,
    LearnerDailyStats,
    LearnerWordDailyStats,
    MemoryState,
)
from .timezones import local_date, time_zones_of

#: Figures that add up over days and learners.
ADDITIVE = ("words_practiced", "words_correct", "words_incorrect", "exam_answers", "exam_correct",
            "content_viewed", "content_completed", "games_completed", "sessions", "time_spent",
            "exam_seconds", "reading_seconds", "game_seconds", "game_score")


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _with_ratios(figures: dict[str, Any]) -> dict[str, Any]:
    figures["accuracy"] = _ratio(figures["words_correct"], figures["words_practiced"])
    figures["exam_accuracy"] = _ratio(figures["exam_correct"], figures["exam_answers"])
    return figures


def _sums(queryset) -> dict[str, Any]:
    """The additive figures of ``queryset`` summed (zeros when empty), with their ratios."""
    sums = queryset.aggregate(**{name: Sum(name) for name in ADDITIVE})
    return _with_ratios({name: sums[name] or 0 for name in ADDITIVE})


def _days(start: date, end: date, rows: Iterable[Mapping[str, Any]], extra: tuple[str, ...] = ()) -> list[dict]:
    """One entry per day of ``[start, end]``: the stored row's figures, or zeros."""
    by_day = {row["date"]: row for row in rows}
    zero = {**{name: 0 for name in (*ADDITIVE, "unique_words", *extra)}, "accuracy": None, "exam_accuracy": None}
    days = []
    for n in range((end - start).days + 1):
        day = start + timedelta(days=n)
        row = by_day.get(day)
        days.append({"date": day, **({name: row[name] for name in zero} if row else zero)})
    return days


_DAY_FIELDS = ("date", *ADDITIVE, "unique_words", "accuracy", "exam_accuracy")


def learner_daily_stats(user_id: int, start: date, end: date) -> dict[str, Any]:
    """A learner's figures for each local day of ``[start, end]`` and over the whole range.

    Returns ``{"days": [...], "totals": {...}}``; totals count distinct words over the range.
    """
    rows = LearnerDailyStats.objects.filter(user_id=user_id, date__range=(start, end))
    return {"days": _days(start, end, rows.values(*_DAY_FIELDS)), "totals": learner_totals(user_id, start, end)}


def learner_totals(user_id: int, start: date, end: date) -> dict[str, Any]:
    """A learner's figures summed over ``[start, end]``, with distinct words over the range."""
    totals = _sums(LearnerDailyStats.objects.filter(user_id=user_id, date__range=(start, end)))
    totals["unique_words"] = (LearnerWordDailyStats.objects.filter(user_id=user_id, date__range=(start, end))
                              .values("word_id").distinct().count())
    return totals


def classroom_daily_stats(classroom_id: int, start: date, end: date) -> dict[str, Any]:
    """A classroom's figures for each day of ``[start, end]`` (its learners' local days) and over the range.

    Returns ``{"days": [...], "totals": {...}}``; each day and the totals carry ``active_learners``
    (over the range: distinct learners), totals count distinct words over the range.
    """
    rows = ClassroomDailyStats.objects.filter(classroom_id=classroom_id, date__range=(start, end))
    return {"days": _days(start, end, rows.values(*_DAY_FIELDS, "active_learners"), extra=("active_learners",)),
            "totals": classroom_totals(classroom_id, start, end)}


def classroom_totals(classroom_id: int, start: date, end: date) -> dict[str, Any]:
    """A classroom's figures summed over ``[start, end]``, with distinct words and distinct active learners
    over the range."""
    totals = _sums(ClassroomDailyStats.objects.filter(classroom_id=classroom_id, date__range=(start, end)))
    totals["unique_words"] = (ClassroomWordDailyStats.objects.filter(classroom_id=classroom_id,
                                                                     date__range=(start, end))
                              .values("word_id").distinct().count())
    totals["active_learners"] = (LearnerClassroomDailyStats.objects.filter(classroom_id=classroom_id,
                                                                           date__range=(start, end))
                                 .values("user_id").distinct().count())
    return totals


def classroom_learner_stats(classroom_id: int, start: date, end: date,
                            members: Mapping[int, str]) -> list[dict[str, Any]]:
    """One entry per member (in ``members`` order, ``{user_id: name}``): their figures in this classroom
    over ``[start, end]``, with ``active_days`` and ``last_active`` (None when never active). Members with no
    activity come back with zeros; activity of people no longer members is left out."""
    rows = (LearnerClassroomDailyStats.objects
            .filter(classroom_id=classroom_id, date__range=(start, end), user_id__in=list(members))
            .values("user_id")
            .annotate(**{name: Sum(name) for name in ADDITIVE}, active_days=Count("id"), last_active=Max("date")))
    by_user = {row["user_id"]: row for row in rows}
    table = []
    for user_id, name in members.items():
        row = by_user.get(user_id)
        figures = {key: (row[key] if row else 0) for key in ADDITIVE}
        table.append({"user_id": user_id, "name": name, **_with_ratios(figures),
                      "active_days": row["active_days"] if row else 0,
                      "last_active": row["last_active"] if row else None})
    return table


def classroom_hardest_words(classroom_id: int, *, min_attempts: int = 5, limit: int = 20,
                            start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    """The classroom's words with the lowest accuracy among those attempted at least ``min_attempts`` times
    (over ``[start, end]``, default all time): ``word_id``, ``attempts``, ``correct``, ``accuracy``.
    Ties: more attempts first, then the lower word id."""
    rows = _within(ClassroomWordDailyStats.objects.filter(classroom_id=classroom_id), start, end)
    return _lowest_accuracy(rows, min_attempts=min_attempts, limit=limit)


def learner_weakest_words(user_id: int, *, min_attempts: int = 5, limit: int = 20,
                          start: date | None = None, end: date | None = None,
                          with_last_correct: bool = False) -> list[dict[str, Any]]:
    """The learner's words with the lowest accuracy, as ``classroom_hardest_words`` ranks a classroom's.
    With ``with_last_correct``, each also carries ``last_correct``: whether the learner's latest attempt at it
    in the range was right (one more query)."""
    rows = _within(LearnerWordDailyStats.objects.filter(user_id=user_id), start, end)
    words = _lowest_accuracy(rows, min_attempts=min_attempts, limit=limit)
    if not with_last_correct:
        return words
    # Latest last: the dict keeps each word's latest day.
    latest = dict(rows.filter(word_id__in=[w["word_id"] for w in words]).order_by("last_seen", "date")
                  .values_list("word_id", "last_correct"))
    return [{**word, "last_correct": latest[word["word_id"]]} for word in words]


def _within(rows, start: date | None, end: date | None):
    """The day rows of ``rows`` in ``[start, end]`` (either bound may be open)."""
    if start is not None:
        rows = rows.filter(date__gte=start)
    if end is not None:
        rows = rows.filter(date__lte=end)
    return rows


def _lowest_accuracy(rows, *, min_attempts: int, limit: int) -> list[dict[str, Any]]:
    """The words of the word-day ``rows`` with at least ``min_attempts`` attempts, lowest accuracy first
    (ties: more attempts first, then the lower word id), at most ``limit``."""
    words = (rows.values("word_id")
             .annotate(total_attempts=Sum("attempts"), total_correct=Sum("correct"))
             .filter(total_attempts__gte=min_attempts))
    ranked = sorted(
        ({"word_id": w["word_id"], "attempts": w["total_attempts"], "correct": w["total_correct"],
          "accuracy": w["total_correct"] / w["total_attempts"]} for w in words),
        key=lambda w: (w["accuracy"], -w["attempts"], w["word_id"]),
    )
    return ranked[:limit]


#: What a word is called: the keys ``word_names`` gives each word (each a string or None).
WORD_NAME_FIELDS = ("text", "translation", "language")


def word_names(word_ids: Iterable[int]) -> dict[int, dict[str, str | None]]:
    """``{word_id: {"text", "translation", "language"}}`` for every distinct id of ``word_ids``, in one call of
    the host's ``LEARNING_EVENTS_WORD_NAMES`` hook (none when there are no ids).

    Each value is a string or None: None for what the host does not know, every field of a word it left out
    (a deleted word). Without that hook, the older ``LEARNING_EVENTS_WORD_LANGUAGES`` hook (if set) gives the
    language alone; with neither, all three are None.
    """
    ids = sorted(set(word_ids))
    if not ids:
        return {}
    names_of = app_settings.word_names
    if names_of is not None:
        found = names_of(ids)
        return {word_id: {key: (found.get(word_id) or {}).get(key) or None for key in WORD_NAME_FIELDS}
                for word_id in ids}
    languages_of = app_settings.word_languages
    languages = languages_of(ids) if languages_of is not None else {}
    return {word_id: {"text": None, "translation": None, "language": languages.get(word_id) or None}
            for word_id in ids}


def with_word_names(*word_lists: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Each of ``word_lists`` (rows with a ``word_id``, as the word rankings return them) with each row's
    ``text``, ``translation`` and ``language`` added, all named by one ``word_names`` call."""
    names = word_names(row["word_id"] for rows in word_lists for row in rows)
    return [[{**row, **names[row["word_id"]]} for row in rows] for rows in word_lists]


def classroom_for_stats(user: Any, classroom_id: int) -> Any:
    """The classroom ``user`` may read the statistics of, through the host's
    ``LEARNING_EVENTS_CLASSROOM_STATS_ACCESS``. Raises Http404 (unknown) or PermissionDenied (not allowed).
    Without the hook: staff only."""
    check = app_settings.classroom_stats_access
    if check is not None:
        return check(user, classroom_id)
    model = apps.get_model(app_settings.CLASSROOM_MODEL)
    try:
        classroom = model.objects.get(pk=classroom_id)
    except model.DoesNotExist:
        raise Http404("No classroom matches the given query.") from None
    if not user.is_staff:
        raise PermissionDenied("Only staff can read classroom statistics.")
    return classroom


def classroom_members(classroom_id: int) -> dict[int, str]:
    """``{user_id: name}`` of the classroom's learners, from the host's ``LEARNING_EVENTS_CLASSROOM_MEMBERS``.
    Without the hook: the learners with activity in the classroom, by username."""
    members = app_settings.classroom_members
    if members is not None:
        return dict(members(classroom_id))
    user_ids = (LearnerClassroomDailyStats.objects.filter(classroom_id=classroom_id)
                .values_list("user_id", flat=True).distinct())
    User = get_user_model()
    return dict(User.objects.filter(pk__in=user_ids).order_by(User.USERNAME_FIELD)
                .values_list("pk", User.USERNAME_FIELD))


def learner_stale_words(user_id: int, *, until: date, idle_days: int, min_attempts: int,
                        limit: int) -> list[dict[str, Any]]:
    """The learner's words attempted at least ``min_attempts`` times up to ``until`` and not since
    ``until - idle_days`` (see ``_stale_words``)."""
    return _stale_words(LearnerWordDailyStats.objects.filter(user_id=user_id), until=until, idle_days=idle_days,
                        min_attempts=min_attempts, limit=limit)


def classroom_stale_words(classroom_id: int, *, until: date, idle_days: int, min_attempts: int,
                          limit: int) -> list[dict[str, Any]]:
    """The classroom's words attempted at least ``min_attempts`` times up to ``until`` and not since
    ``until - idle_days`` (see ``_stale_words``)."""
    return _stale_words(ClassroomWordDailyStats.objects.filter(classroom_id=classroom_id), until=until,
                        idle_days=idle_days, min_attempts=min_attempts, limit=limit)


def _stale_words(rows, *, until: date, idle_days: int, min_attempts: int, limit: int) -> list[dict[str, Any]]:
    """Words of the word-day ``rows`` up to ``until`` last practised on ``until - idle_days`` or earlier,
    attempted at least ``min_attempts`` times: ``word_id``, ``attempts``, ``correct``, ``accuracy``,
    ``last_practiced`` (a day). Longest unpractised first; ties: more attempts first, then the lower word id."""
    words = (rows.filter(date__lte=until).values("word_id")
             .annotate(total_attempts=Sum("attempts"), total_correct=Sum("correct"), last_practiced=Max("date"))
             .filter(total_attempts__gte=min_attempts, last_practiced__lte=until - timedelta(days=idle_days))
             .order_by("last_practiced", "-total_attempts", "word_id")[:limit])
    return [{"word_id": w["word_id"], "attempts": w["total_attempts"], "correct": w["total_correct"],
             "accuracy": w["total_correct"] / w["total_attempts"], "last_practiced": w["last_practiced"]}
            for w in words]


#: Days fetched at a time by the active-date iterators: two months, what insights usually need.
ACTIVE_DATES_CHUNK = 64


def learner_active_dates(user_id: int, until: date) -> Iterator[date]:
    """The learner's active local days up to ``until`` (days with a rollup row: any event), latest first,
    fetched lazily so that a caller walking back to the first gap reads little."""
    return _dates_back_from(LearnerDailyStats.objects.filter(user_id=user_id), until)


def classroom_active_dates(classroom_id: int, until: date) -> Iterator[date]:
    """The classroom's active days up to ``until`` (a learner had an event in it), latest first, lazily."""
    return _dates_back_from(ClassroomDailyStats.objects.filter(classroom_id=classroom_id), until)


def _dates_back_from(rows, until: date) -> Iterator[date]:
    return (rows.filter(date__lte=until).order_by("-date").values_list("date", flat=True)
            .iterator(chunk_size=ACTIVE_DATES_CHUNK))


def learner_for_stats(user: Any, learner_id: int) -> str:
    """The display name of the learner whose statistics ``user`` may read, through the host's
    ``LEARNING_EVENTS_LEARNER_ACCESS``. Raises Http404 (unknown) or PermissionDenied (not allowed).
    Without the hook: the learner themself or staff, named by username."""
    check = app_settings.learner_access
    if check is not None:
        return check(user, learner_id)
    User = get_user_model()
    try:
        learner = User.objects.get(pk=learner_id)
    except User.DoesNotExist:
        raise Http404("No user matches the given query.") from None
    if not (user.is_staff or user.pk == learner.pk):
        raise PermissionDenied("You may read only your own statistics.")
    return learner.get_username()


# --- the memory model (docs/memory.md) ---------------------------------------------------------------------

_STATE_VALUES = ("user_id", "word_id", "stability", "difficulty", "last_review", "due", "reviews", "lapses")


def _today_of(user_ids: Iterable[int], now: datetime | None = None) -> dict[int, date]:
    """Each learner's local day at ``now`` (default: the present)."""
    now = now or timezone.now()
    return {user_id: local_date(now, tz) for user_id, tz in time_zones_of(list(user_ids)).items()}


def learner_reviews(user_id: int, *, limit: int = 20, now: datetime | None = None) -> dict[str, Any]:
    """The learner's memory today (their local day at ``now``, default the present): ``{today, tracked, due, mean_recall, words}``: how many
    words have a memory state, how many are due (due day today or before), the mean predicted recall over
    every tracked word (None without any), and up to ``limit`` due words, lowest predicted recall first (ties:
    word id), each ``{word_id, recall, due, last_review, stability, difficulty, reviews, lapses}``. Two queries
    and the hooks'; a learner with no reviews gets zeros and no words."""
    today = _today_of([user_id], now)[user_id]
    states = memory.predicted(list(MemoryState.objects.filter(user_id=user_id).values(*_STATE_VALUES)),
                              {user_id: today})
    due = sorted((s for s in states if s["due"] <= today), key=lambda s: (s["recall"], s["word_id"]))
    return {
        "today": today, "tracked": len(states), "due": len(due),
        "mean_recall": sum(s["recall"] for s in states) / len(states) if states else None,
        "words": [{k: v for k, v in s.items() if k != "user_id"} for s in due[:limit]],
    }


def classroom_retention(classroom_id: int, *, limit: int = 20, now: datetime | None = None) -> dict[str, Any]:
    """Predicted recall across a classroom's members today (each in their local day at ``now``, default the
    present):

    - ``words``: the words practised in the classroom that members have a memory of, lowest mean predicted
      recall first (ties: word id), at most ``limit``: ``{word_id, learners, mean_recall, due}`` (``due``: how
      many of those learners have it due);
    - ``learners``: every member, most words overdue first (due before today; ties: most due, then display
      order): ``{user_id, name, tracked, due, overdue, mean_recall}`` (None without any tracked word).
    """
    members = classroom_members(classroom_id)
    today_of = _today_of(members, now)
    practised = set(ClassroomWordDailyStats.objects.filter(classroom_id=classroom_id)
                    .values_list("word_id", flat=True).distinct())
    states = memory.predicted(list(MemoryState.objects.filter(user_id__in=list(members)).values(*_STATE_VALUES)),
                              today_of)
    per_word: dict[int, list[dict]] = {}
    per_learner: dict[int, list[dict]] = {user_id: [] for user_id in members}
    for state in states:
        per_learner[state["user_id"]].append(state)
        if state["word_id"] in practised:
            per_word.setdefault(state["word_id"], []).append(state)
    words = sorted(({"word_id": word_id, "learners": len(rows),
                     "mean_recall": sum(r["recall"] for r in rows) / len(rows),
                     "due": sum(r["due"] <= today_of[r["user_id"]] for r in rows)}
                    for word_id, rows in per_word.items()), key=lambda w: (w["mean_recall"], w["word_id"]))
    order = {user_id: n for n, user_id in enumerate(members)}
    learners = []
    for user_id, rows in per_learner.items():
        today = today_of[user_id]
        learners.append({
            "user_id": user_id, "name": members[user_id], "tracked": len(rows),
            "due": sum(r["due"] <= today for r in rows), "overdue": sum(r["due"] < today for r in rows),
            "mean_recall": sum(r["recall"] for r in rows) / len(rows) if rows else None,
        })
    learners.sort(key=lambda r: (-r["overdue"], -r["due"], order[r["user_id"]]))
    return {"words": with_word_names(words[:limit])[0], "learners": learners}
