"""Insight summaries: what a learner's or a classroom's rollups say, as figures and as a short paragraph.

Everything is read from the rollups through ``selectors`` (never from raw events) and is "as of" one day
``D``: later rows are ignored, so an insight of a past day is the same however often it is asked. The
figures (docs/insights.md has the definitions):

- the last 7 days ``[D-6, D]`` against the 7 before ``[D-13, D-7]``, and the last 28 days ``[D-27, D]``
  against the 28 before ``[D-55, D-28]``: active days, words practised (attempts), distinct words,
  accuracy, time on task and time per active day, with the change;
- the current streak: consecutive active days ending on ``D``, or on ``D-1`` while ``D`` has no activity
  yet (the day is not over); an active day is a day with a rollup row, i.e. any learning event;
- weakest (classroom: hardest) words over the last 28 days: lowest accuracy among words attempted at least
  ``LEARNING_EVENTS_INSIGHTS_MIN_ATTEMPTS`` times, words never missed left out;
- words not practised for long: attempted at least 3 times, last on ``D-14`` or earlier;
- for a classroom, members falling behind: no event in the classroom for 7 days or more, or accuracy down
  15 points or more (last 7 days against the 7 before, both with enough attempts).

Words carry their ``text``, ``translation`` and ``language`` from the host's ``LEARNING_EVENTS_WORD_NAMES``
hook, asked once per insight for every word listed (null without the hook or for a deleted word).

``summary`` turns the figures into a paragraph with fixed string templates (no external service), so the
same figures always give the same words, ready to show a teacher or to give a language model as context.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing
from datetime import date, timedelta
from fractions import Fraction
from functools import partial
from typing import Any

from . import selectors
from .conf import app_settings

#: Lengths in days of the windows compared with the window before them.
WINDOWS = (7, 28)
#: A word is "not practised for long" when its last attempt is this many days before the as-of day or more ...
STALE_DAYS = 14
#: ... and it was attempted at least this many times.
STALE_MIN_ATTEMPTS = 3
#: A member is inactive when they had no event in the classroom for this many days (the as-of day included).
INACTIVE_DAYS = 7
#: A member's accuracy has dropped when the last 7 days are this many percentage points below the 7 before.
ACCURACY_DROP_POINTS = 15
#: At most this many words in each word list of an insight.
WORDS_SHOWN = 5

_DAY = timedelta(days=1)


# --- the insights --------------------------------------------------------------------------------------


def learner_insights(learner_id: int, *, name: str, as_of: date) -> dict[str, Any]:
    """The insights of one learner as of their local day ``as_of``; ``name`` is how the summary calls them.

    Returns ``{learner, name, as_of, min_attempts, last_7_days, last_28_days, streak, weakest_words,
    stale_words, summary}``; each ``last_N_days`` is ``{current, previous, change}``.
    """
    min_attempts = app_settings.INSIGHTS_MIN_ATTEMPTS
    activity = _activity(selectors.learner_active_dates(learner_id, as_of),
                         partial(selectors.learner_totals, learner_id), as_of)
    start, end = window_bounds(as_of, max(WINDOWS))[0]
    weakest = never_perfect(selectors.learner_weakest_words(
        learner_id, min_attempts=min_attempts, limit=WORDS_SHOWN, start=start, end=end))
    stale = selectors.learner_stale_words(learner_id, until=as_of, idle_days=STALE_DAYS,
                                          min_attempts=STALE_MIN_ATTEMPTS, limit=WORDS_SHOWN)
    weakest, stale = selectors.with_word_names(weakest, stale)
    insights = {"learner": learner_id, "name": name, "as_of": as_of, "min_attempts": min_attempts, **activity,
                "weakest_words": weakest, "stale_words": stale}
    insights["summary"] = learner_summary(insights)
    return insights


def classroom_insights(classroom_id: int, *, members: Mapping[int, str], as_of: date) -> dict[str, Any]:
    """The insights of one classroom as of ``as_of`` (its learners' local days); ``members`` is
    ``{user_id: name}`` of its learners in display order (``selectors.classroom_members``).

    Returns ``{classroom, as_of, min_attempts, members, last_7_days, last_28_days, streak, hardest_words,
    stale_words, falling_behind, summary}``.
    """
    min_attempts = app_settings.INSIGHTS_MIN_ATTEMPTS
    activity = _activity(selectors.classroom_active_dates(classroom_id, as_of),
                         partial(selectors.classroom_totals, classroom_id), as_of)
    start, end = window_bounds(as_of, max(WINDOWS))[0]
    hardest = never_perfect(selectors.classroom_hardest_words(
        classroom_id, min_attempts=min_attempts, limit=WORDS_SHOWN, start=start, end=end))
    stale = selectors.classroom_stale_words(classroom_id, until=as_of, idle_days=STALE_DAYS,
                                            min_attempts=STALE_MIN_ATTEMPTS, limit=WORDS_SHOWN)
    hardest, stale = selectors.with_word_names(hardest, stale)
    (recent_start, recent_end), (before_start, before_end) = window_bounds(as_of, INACTIVE_DAYS)
    behind = falling_behind(
        recent=selectors.classroom_learner_stats(classroom_id, recent_start, recent_end, members),
        before=selectors.classroom_learner_stats(classroom_id, before_start, before_end, members),
        history=selectors.classroom_learner_stats(classroom_id, date.min, as_of, members),
        as_of=as_of, min_attempts=min_attempts,
    )
    insights = {"classroom": classroom_id, "as_of": as_of, "min_attempts": min_attempts, "members": len(members),
                **activity, "hardest_words": hardest, "stale_words": stale, "falling_behind": behind}
    insights["summary"] = classroom_summary(insights)
    return insights


def learner_streak(learner_id: int, *, as_of: date) -> dict[str, Any]:
    """The learner's streak as of their local day ``as_of``, counted as in ``learner_insights``:
    ``{"current": days, "last_active": day or None}``. Reads only the days of the streak and one more."""
    with closing(selectors.learner_active_dates(learner_id, as_of)) as dates:
        return walk_active_dates(dates, as_of=as_of, since=as_of)[1]


def _activity(active_dates: Iterator[date], totals: Callable[[date, date], dict[str, Any]],
              as_of: date) -> dict[str, Any]:
    """``{last_7_days, last_28_days, streak}`` of a learner or a classroom, from its active days (latest
    first, a selector's lazy iterator, closed here) and ``totals(start, end)`` of its figures."""
    with closing(active_dates) as dates:
        active, streak = walk_active_dates(dates, as_of=as_of, since=_horizon(as_of))
    windows = {f"last_{days}_days": compare(*(period(start, end, totals(start, end), active)
                                              for start, end in window_bounds(as_of, days)))
               for days in WINDOWS}
    return {**windows, "streak": streak}


# --- the figures (pure) ----------------------------------------------------------------------------------


def window_bounds(as_of: date, days: int) -> tuple[tuple[date, date], tuple[date, date]]:
    """``((first, last) of the last ``days`` days up to ``as_of``, (first, last) of the ``days`` before)``."""
    start = as_of - timedelta(days=days - 1)
    return (start, as_of), (start - timedelta(days=days), start - _DAY)


def _horizon(as_of: date) -> date:
    """The first day any window of an insight looks at."""
    return window_bounds(as_of, max(WINDOWS))[1][0]


def walk_active_dates(dates: Iterable[date], *, as_of: date, since: date) -> tuple[set[date], dict[str, Any]]:
    """From active days up to ``as_of``, latest first: the set of those on ``since`` or later, and the
    streak ``{"current": days, "last_active": day or None}``. Stops reading at the first day that is
    before ``since`` and past the streak, so only as much history as needed is read."""
    active: set[date] = set()
    last_active = expected = None
    current = 0
    counting = False
    for day in dates:
        if last_active is None:
            last_active = expected = day
            counting = (as_of - day).days <= 1  # a streak may end yesterday while today has no activity yet
        if counting:
            if day == expected:
                current += 1
                expected = day - _DAY
            else:
                counting = False
        if day >= since:
            active.add(day)
        elif not counting:
            break
    return active, {"current": current, "last_active": last_active}


def period(start: date, end: date, totals: Mapping[str, Any], active: set[date]) -> dict[str, Any]:
    """The figures of ``[start, end]`` from a selector's ``totals`` and the set of active days."""
    active_days = sum(1 for day in active if start <= day <= end)
    figures = {
        "from": start, "to": end, "active_days": active_days,
        "words_practiced": totals["words_practiced"], "words_correct": totals["words_correct"],
        "unique_words": totals["unique_words"], "accuracy": totals["accuracy"],
        "time_spent": totals["time_spent"],
        "time_per_active_day": totals["time_spent"] // active_days if active_days else None,
    }
    if "active_learners" in totals:
        figures["active_learners"] = totals["active_learners"]
    return figures


def compare(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """``{current, previous, change}``: the change in active days, words, time (differences) and accuracy
    (percentage points, one decimal; None unless both periods have an accuracy)."""
    change = {name: current[name] - previous[name] for name in ("active_days", "words_practiced", "time_spent")}
    change["accuracy_points"] = _points(current["accuracy"], previous["accuracy"])
    return {"current": current, "previous": previous, "change": change}


def _points(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round((now - before) * 100, 1)


def never_perfect(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ranked ``words`` without those never missed: a word always answered right is not weak. (They rank
    last, so what is left is still the top of the ranking.)"""
    return [word for word in words if word["correct"] < word["attempts"]]


def falling_behind(*, recent: list[dict[str, Any]], before: list[dict[str, Any]], history: list[dict[str, Any]],
                   as_of: date, min_attempts: int) -> list[dict[str, Any]]:
    """The members falling behind, from three ``selectors.classroom_learner_stats`` tables in the same member
    order: the last 7 days, the 7 before, and all days up to ``as_of``.

    A member is ``inactive`` with no event in the classroom in the last 7 days, else ``accuracy_drop`` when
    both weeks have at least ``min_attempts`` attempts and accuracy fell by 15 points or more. Inactive
    members come first (never active, then the longest inactive), then the biggest drops; ties keep the
    members' order.
    """
    flagged = []
    for now, then, ever in zip(recent, before, history, strict=True):
        days_inactive = (as_of - ever["last_active"]).days if ever["last_active"] else None
        entry = {"user_id": now["user_id"], "name": now["name"], "last_active": ever["last_active"],
                 "days_inactive": days_inactive, "accuracy": now["accuracy"],
                 "previous_accuracy": then["accuracy"], "accuracy_points": _points(now["accuracy"], then["accuracy"])}
        if not now["active_days"]:
            flagged.append(((0, days_inactive is not None, -(days_inactive or 0)), {"reason": "inactive", **entry}))
            continue
        if now["words_practiced"] < min_attempts or then["words_practiced"] < min_attempts:
            continue
        # Exact arithmetic: a drop of exactly 15 points counts, whatever floating point would say.
        drop = (Fraction(then["words_correct"], then["words_practiced"])
                - Fraction(now["words_correct"], now["words_practiced"]))
        if drop * 100 >= ACCURACY_DROP_POINTS:
            flagged.append(((1, False, -drop), {"reason": "accuracy_drop", **entry}))
    return [entry for _, entry in sorted(flagged, key=lambda item: item[0])]


# --- the summary (pure) -------------------------------------------------------------------------------


def learner_summary(insights: Mapping[str, Any]) -> str:
    """The paragraph of a learner's ``insights`` (as ``learner_insights`` returns them)."""
    return _summary(insights, subject=insights["name"], words_label="Weakest words",
                    words=insights["weakest_words"])


def classroom_summary(insights: Mapping[str, Any]) -> str:
    """The paragraph of a classroom's ``insights`` (as ``classroom_insights`` returns them)."""
    sentences = [_summary(insights, subject="the class", words_label="Hardest words",
                          words=insights["hardest_words"])]
    behind = insights["falling_behind"]
    if behind:
        sentences.append("Falling behind: " + ", ".join(f"{m['name']} ({_behind_reason(m)})" for m in behind) + ".")
    elif insights["members"]:
        sentences.append("Nobody is falling behind.")
    return " ".join(sentences)


def _summary(insights: Mapping[str, Any], *, subject: str, words_label: str, words: list[dict[str, Any]]) -> str:
    longest = insights[f"last_{max(WINDOWS)}_days"]["current"]
    streak = insights["streak"]
    if not longest["active_days"]:
        sentences = [f"No practice in the last {max(WINDOWS)} days."]
        if streak["last_active"]:
            sentences.append(f"Last active on {streak['last_active'].isoformat()}.")
    else:
        sentences = [_period_sentence(subject, days, insights[f"last_{days}_days"]) for days in WINDOWS]
        if streak["current"]:
            sentences.append(f"Current streak: {_count(streak['current'], 'day')}.")
        else:
            sentences.append(f"No current streak; last active on {streak['last_active'].isoformat()}.")
    if words:
        sentences.append(f"{words_label}: " + ", ".join(
            named_word(w, f"{_percent(w['accuracy'])} of {w['attempts']}") for w in words) + ".")
    if insights["stale_words"]:
        sentences.append(f"Not practised for {STALE_DAYS} days or more: " + ", ".join(
            named_word(w, f"last on {w['last_practiced'].isoformat()}") for w in insights["stale_words"]) + ".")
    return " ".join(sentences)


def named_word(word: Mapping[str, Any], figures: str) -> str:
    """A word of a word list with its ``figures``: ``"hola" ("hello", es; 40% of 10)`` when the host names it
    (what it does not know left out), ``#12 (40% of 10)`` when it does not (no hook, a deleted word). Text and
    translation are JSON strings, so quotes or commas inside them cannot blur where they end."""
    if not word.get("text"):
        return f"#{word['word_id']} ({figures})"
    known = ", ".join(filter(None, [word.get("translation") and json.dumps(word["translation"], ensure_ascii=False),
                                    word.get("language")]))
    return f"{json.dumps(word['text'], ensure_ascii=False)} ({f'{known}; ' if known else ''}{figures})"


def _period_sentence(subject: str, days: int, comparison: Mapping[str, Any]) -> str:
    now, before = comparison["current"], comparison["previous"]
    if not now["active_days"]:
        was = f" (active on {_count(before['active_days'], 'day')} in the {days} days before)" \
            if before["active_days"] else ""
        return f"In the last {days} days {subject} was not active{was}."
    opening = f"In the last {days} days {subject}"
    if "active_learners" in now:
        opening += f" ({_count(now['active_learners'], 'learner')} active)"
    if now["words_practiced"]:
        sentence = (f"{opening} practised {_count(now['words_practiced'], 'word')} on "
                    f"{_count(now['active_days'], 'day')} ({_trend(now['words_practiced'], before['words_practiced'])})")
    else:
        sentence = f"{opening} was active on {_count(now['active_days'], 'day')} but practised no words"
        if before["words_practiced"]:
            sentence += f" (down from {before['words_practiced']})"
    if now["accuracy"] is not None:
        sentence += f", with {_percent(now['accuracy'])} accuracy"
        if before["accuracy"] is not None:
            sentence += f" ({_accuracy_trend(now['accuracy'], before['accuracy'])})"
    if now["time_spent"]:
        sentence += (f", and spent {_duration(now['time_spent'])} on task "
                     f"({_duration(now['time_per_active_day'])} per active day)")
    return sentence + "."


def _behind_reason(member: Mapping[str, Any]) -> str:
    if member["reason"] == "inactive":
        if member["days_inactive"] is None:
            return "never active"
        return f"not active for {_count(member['days_inactive'], 'day')}"
    return (f"accuracy {_percent(member['accuracy'])}, "
            f"{_accuracy_trend(member['accuracy'], member['previous_accuracy'])}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _percent(ratio: float) -> str:
    return f"{round(ratio * 100)}%"


def _trend(now: int, before: int) -> str:
    if now == before:
        return "as many as before"
    return f"{'up' if now > before else 'down'} from {before}"


def _accuracy_trend(now: float, before: float) -> str:
    # Points between the percentages as shown, so that the sentence adds up for its reader.
    shown_now, shown_before = round(now * 100), round(before * 100)
    if shown_now == shown_before:
        return "as before"
    way = "up" if shown_now > shown_before else "down"
    return f"{way} {_count(abs(shown_now - shown_before), 'point')} from {shown_before}%"


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
